// A committed placement (where a failover or a move put a vsvr) as the public API shows it: the
// vsvr's active filer, the filer's active vsvrs, the change it made for the pipeline, and an
// Export that neither carries nor loses it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClusterStateStore } from '@vsnet/store';
import type { ClusterApiServiceName } from '../../libs/contracts/src/cluster-api.js';
import { startControl } from './support/control-service.js';
import type { RunningControl } from './support/control-service.js';
import { applyAsAdmin, correctedSeed, exportAsAdmin } from './support/documents.js';

let r: RunningControl;
let placedAt = '';

async function get<T>(service: ClusterApiServiceName, method: string, req: object): Promise<T> {
  const { res, err } = await r.call<T>(service, method, req, r.adminToken);
  if (err !== undefined || res === undefined) {
    throw new Error(`${method}: ${err?.details ?? 'no answer'}`);
  }
  return res;
}

beforeAll(async () => {
  r = await startControl('placement_api');
  await applyAsAdmin(r, correctedSeed());
  const placed = await r.app.get(ClusterStateStore).place([{ vsvr: 'VsvrA', filer: 'Filer2' }], {
    principal: 'vsnet-failover',
    rpc: '/vsnet.v1.FailoverService/MoveVsvr',
    peer: 'test',
    reason: 'move',
    epoch: '1',
  });
  placedAt = placed.generation;
});

afterAll(async () => {
  await r?.stop();
});

describe('a placed vsvr through the API', () => {
  it('GetVsvr says where it runs now, its failover order unchanged', async () => {
    const res = await get<{
      vsvr: { placement: { runsOn: string[]; activeFiler: string } };
      generation: string;
    }>('VsvrService', 'GetVsvr', { name: 'VsvrA' });
    expect(res.generation).toBe(placedAt);
    expect(res.vsvr.placement).toMatchObject({
      runsOn: ['Filer1', 'Filer2'],
      activeFiler: 'Filer2',
    });
    const other = await get<{ vsvr: { placement: { activeFiler: string } } }>(
      'VsvrService',
      'GetVsvr',
      { name: 'VsvrB' },
    );
    expect(other.vsvr.placement.activeFiler).toBe('Filer1');
  });

  it('GetFiler lists it among the vsvrs active on the filer it moved to', async () => {
    const filer1 = await get<{ activeVsvrs: string[] }>('FilerService', 'GetFiler', {
      name: 'Filer1',
    });
    const filer2 = await get<{ activeVsvrs: string[] }>('FilerService', 'GetFiler', {
      name: 'Filer2',
    });
    expect(filer1.activeVsvrs).not.toContain('VsvrA');
    expect(filer2.activeVsvrs).toContain('VsvrA');
  });

  it('is a change for the filers it left and joined', async () => {
    const res = await get<{ change: { target: string; filers: { filer: string }[] } }>(
      'ChangeService',
      'GetChange',
      { generation: placedAt },
    );
    expect(res.change.target).toBe('vsvr/VsvrA');
    expect(res.change.filers.map((f) => f.filer).sort()).toEqual(['Filer1', 'Filer2']);
  });

  it('applying the export changes nothing and keeps it', async () => {
    const exported = await exportAsAdmin(r);
    expect(exported.generation).toBe(placedAt);
    expect(await applyAsAdmin(r, exported.document)).toBe(placedAt);
    const res = await get<{ vsvr: { placement: { activeFiler: string } } }>(
      'VsvrService',
      'GetVsvr',
      {
        name: 'VsvrA',
      },
    );
    expect(res.vsvr.placement.activeFiler).toBe('Filer2');
  });
});
