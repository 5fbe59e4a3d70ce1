import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { createConnection } from 'mysql2/promise';
import { startControl } from './support/control-service.js';
import type { RunningControl } from './support/control-service.js';
import { applyAsAdmin, exportAsAdmin, labCluster } from './support/documents.js';

// VsvrService against a real control service and MariaDB: every RPC, its refusals, and two
// kinds of race (the same address, the same next-free instance).

interface VsvrView {
  vsvr: { name: string; addresses: { alias: string; address: string; instance?: number }[] };
  placement: { runsOn: string[]; candidates: string[]; explicitGroup: boolean } | null;
  addresses: { address: { address: string }; identifier: string; site?: string }[];
}

let r: RunningControl;

async function generation(): Promise<string> {
  return (await exportAsAdmin(r)).generation;
}

async function auditCount(): Promise<number> {
  const conn = await createConnection(r.db.url);
  try {
    const [rows] = await conn.query('SELECT COUNT(*) AS n FROM audit');
    return Number((rows as { n: number }[])[0]?.n);
  } finally {
    await conn.end();
  }
}

function addAddress(request: object, token = r.adminToken) {
  return r.call<{
    address: { address: string; instance: number };
    identifier: string;
    generation: string;
  }>('VsvrService', 'AddAddress', request, token);
}

beforeAll(async () => {
  r = await startControl('vsvrs');
  await applyAsAdmin(r, labCluster());
});

afterAll(async () => {
  await r?.stop();
});

describe('VsvrService', () => {
  it('creates a vsvr, then shows it with its placement; the generation moves by one', async () => {
    const before = BigInt(await generation());
    const created = await r.call<{ vsvr: { name: string }; generation: string }>(
      'VsvrService',
      'CreateVsvr',
      { name: 'web', failoverGroup: { filers: ['filer2', 'filer1'] } },
      r.adminToken,
    );
    expect(created.err).toBeUndefined();
    expect(created.res?.vsvr.name).toBe('web');
    expect(BigInt(created.res?.generation ?? '0')).toBe(before + 1n);
    const shown = await r.call<{ vsvr: VsvrView }>(
      'VsvrService',
      'GetVsvr',
      { name: 'web' },
      r.adminToken,
    );
    expect(shown.res?.vsvr.placement?.candidates).toEqual(['filer2', 'filer1']);
    expect(shown.res?.vsvr.placement?.explicitGroup).toBe(true);
  });

  it('adds an address with the next free instance and answers its DHCP identifier', async () => {
    const { res, err } = await addAddress({
      vsvr: 'web',
      alias: 'data0',
      address: '198.51.100.61/24',
      nextFree: true,
    });
    expect(err).toBeUndefined();
    expect(res?.address.instance).toBe(0);
    expect(res?.identifier).toBe('00:00:5e:00:53:01:data0:web:0');
    const again = await addAddress({
      vsvr: 'web',
      alias: 'data0',
      address: '198.51.100.62/24',
      nextFree: true,
    });
    expect(again.res?.address.instance).toBe(1);
    const exported = await exportAsAdmin(r);
    const web = exported.document.vsvrs?.find((v) => v.name === 'web');
    expect(web?.addresses?.map((a) => a.address)).toEqual(['198.51.100.61/24', '198.51.100.62/24']);
  });

  it('lists vsvrs in name order, pages them, and filters by filer', async () => {
    const all = await r.call<{ vsvrs: VsvrView[]; nextPageToken: string }>(
      'VsvrService',
      'ListVsvrs',
      {},
      r.adminToken,
    );
    const names = all.res?.vsvrs.map((v) => v.vsvr.name);
    expect(names).toEqual(['archive', 'eng', 'legacy', 'sales', 'vs_mgmt', 'web']);
    const first = await r.call<{ vsvrs: VsvrView[]; nextPageToken: string }>(
      'VsvrService',
      'ListVsvrs',
      { pageSize: 4 },
      r.adminToken,
    );
    expect(first.res?.vsvrs).toHaveLength(4);
    const second = await r.call<{ vsvrs: VsvrView[]; nextPageToken: string }>(
      'VsvrService',
      'ListVsvrs',
      { pageSize: 4, pageToken: first.res?.nextPageToken },
      r.adminToken,
    );
    expect(second.res?.vsvrs.map((v) => v.vsvr.name)).toEqual(['vs_mgmt', 'web']);
    expect(second.res?.nextPageToken).toBe('');
    const onFiler3 = await r.call<{ vsvrs: VsvrView[] }>(
      'VsvrService',
      'ListVsvrs',
      { filer: 'filer3' },
      r.adminToken,
    );
    expect(onFiler3.res?.vsvrs.map((v) => v.vsvr.name)).toEqual(['legacy', 'sales', 'vs_mgmt']);
    const bad = await r.call('VsvrService', 'ListVsvrs', { pageToken: 'not-ours' }, r.adminToken);
    expect(bad.err?.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.details?.violations[0]?.field).toBe('pageToken');
  });

  it('removes an address by address and by alias#instance', async () => {
    const byAddress = await r.call<{ removed: { address: string } }>(
      'VsvrService',
      'RemoveAddress',
      { vsvr: 'web', address: '198.51.100.61' },
      r.adminToken,
    );
    expect(byAddress.res?.removed.address).toBe('198.51.100.61/24');
    const byInstance = await r.call<{ removed: { address: string } }>(
      'VsvrService',
      'RemoveAddress',
      { vsvr: 'web', aliasInstance: { alias: 'data0', instance: 1 } },
      r.adminToken,
    );
    expect(byInstance.res?.removed.address).toBe('198.51.100.62/24');
    const gone = await r.call(
      'VsvrService',
      'RemoveAddress',
      { vsvr: 'web', address: '198.51.100.61/24' },
      r.adminToken,
    );
    expect(gone.err?.code).toBe(status.NOT_FOUND);
  });

  it('sets the failover group and answers the new placement', async () => {
    const { res, err } = await r.call<{ placement: { runsOn: string[] } }>(
      'VsvrService',
      'SetFailoverGroup',
      { vsvr: 'web', failoverGroup: { filers: ['filer3'] } },
      r.adminToken,
    );
    expect(err).toBeUndefined();
    expect(res?.placement.runsOn).toEqual(['filer3']);
  });

  it('deletes a vsvr; deleting vs_mgmt is refused', async () => {
    const deleted = await r.call('VsvrService', 'DeleteVsvr', { name: 'web' }, r.adminToken);
    expect(deleted.err).toBeUndefined();
    const missing = await r.call('VsvrService', 'GetVsvr', { name: 'web' }, r.adminToken);
    expect(missing.err?.code).toBe(status.NOT_FOUND);
    const mgmt = await r.call('VsvrService', 'DeleteVsvr', { name: 'vs_mgmt' }, r.adminToken);
    expect(mgmt.err?.code).toBe(status.FAILED_PRECONDITION);
  });
});

describe('VsvrService refusals write nothing', () => {
  const cases: { name: string; method: string; request: object; code: status; field: string }[] = [
    {
      name: 'a duplicate name (any case)',
      method: 'CreateVsvr',
      request: { name: 'SALES' },
      code: status.ALREADY_EXISTS,
      field: 'name',
    },
    {
      name: 'the reserved name',
      method: 'CreateVsvr',
      request: { name: 'vs_mgmt' },
      code: status.INVALID_ARGUMENT,
      field: 'name',
    },
    {
      name: 'an unknown failover filer',
      method: 'CreateVsvr',
      request: { name: 'x1', failoverGroup: { filers: ['nofiler'] } },
      code: status.FAILED_PRECONDITION,
      field: 'vsvrs[5].failoverGroup[0]',
    },
    {
      name: 'an unknown vsvr',
      method: 'AddAddress',
      request: { vsvr: 'nope', alias: 'data0', address: '198.51.100.70/24', nextFree: true },
      code: status.NOT_FOUND,
      field: 'vsvr',
    },
    {
      name: 'no instance',
      method: 'AddAddress',
      request: { vsvr: 'sales', alias: 'data0', address: '198.51.100.70/24' },
      code: status.INVALID_ARGUMENT,
      field: 'instance',
    },
    {
      name: 'a malformed address',
      method: 'AddAddress',
      request: { vsvr: 'sales', alias: 'data0', address: '198.51.100.300/24', nextFree: true },
      code: status.INVALID_ARGUMENT,
      field: 'address',
    },
    {
      name: 'an address used elsewhere',
      method: 'AddAddress',
      request: { vsvr: 'sales', alias: 'data0', address: '198.51.100.31/24', nextFree: true },
      code: status.ALREADY_EXISTS,
      field: 'vsvrs[2].addresses[0].address',
    },
    {
      name: 'a taken instance',
      method: 'AddAddress',
      request: { vsvr: 'legacy', alias: 'data0', address: '198.51.100.39/24', number: 1 },
      code: status.ALREADY_EXISTS,
      field: 'instance',
    },
    {
      name: 'an alias the vsvr’s filers lack',
      method: 'AddAddress',
      request: { vsvr: 'legacy', alias: 'data1', address: '198.18.1.77/24', nextFree: true },
      code: status.FAILED_PRECONDITION,
      field: 'vsvrs[2].failoverGroup[0]',
    },
    {
      name: 'no selector',
      method: 'RemoveAddress',
      request: { vsvr: 'sales' },
      code: status.INVALID_ARGUMENT,
      field: 'selector',
    },
  ];

  it.each(cases)('$name → $code at $field, generation and audit unchanged', async (c) => {
    const before = await generation();
    const audits = await auditCount();
    const { err, details } = await r.call('VsvrService', c.method, c.request, r.adminToken);
    expect(err?.code).toBe(c.code);
    expect(details?.violations.map((v) => v.field)).toContain(c.field);
    expect(err?.details).not.toMatch(/internal/i);
    expect(await generation()).toBe(before);
    expect(await auditCount()).toBe(audits);
  });
});

describe('racing clients', () => {
  it('of 12 clients adding the same address, exactly one wins; the rest get ALREADY_EXISTS', async () => {
    const vsvrs = ['sales', 'legacy', 'vs_mgmt'];
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        addAddress({
          vsvr: vsvrs[i % 3],
          alias: i % 3 === 2 ? 'data2' : 'data0',
          address: i % 3 === 2 ? '192.0.2.99/25' : '198.51.100.99/24',
          nextFree: true,
        }),
      ),
    );
    // data0 and data2 clients race for different addresses; each address has one winner.
    const winners99 = results.filter((x, i) => i % 3 !== 2 && x.err === undefined);
    const winnersMgmt = results.filter((x, i) => i % 3 === 2 && x.err === undefined);
    expect(winners99).toHaveLength(1);
    expect(winnersMgmt).toHaveLength(1);
    const losers = results.filter((x) => x.err !== undefined);
    expect(losers.map((x) => x.err?.code)).toEqual(Array(10).fill(status.ALREADY_EXISTS));
    const exported = await exportAsAdmin(r);
    const holders = (exported.document.vsvrs ?? []).filter((v) =>
      (v.addresses ?? []).some((a) => a.address === '198.51.100.99/24'),
    );
    expect(holders).toHaveLength(1);
  });

  it('of 10 clients asking for the next free instance, each gets its own', async () => {
    // The instances legacy already has on data0 (the race above may have given it one more).
    const before = await exportAsAdmin(r);
    const legacy = before.document.vsvrs?.find((v) => v.name === 'legacy');
    const taken = (legacy?.addresses ?? []).filter((a) => a.alias === 'data0').length;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        addAddress({
          vsvr: 'legacy',
          alias: 'data0',
          address: `198.51.100.${110 + i}/24`,
          nextFree: true,
        }),
      ),
    );
    expect(results.map((x) => x.err?.code)).toEqual(Array(10).fill(undefined));
    const instances = results
      .map((x) => x.res?.address.instance)
      .sort((a, b) => (a ?? 0) - (b ?? 0));
    // legacy's instances are 0..taken-1, so the ten new ones are exactly the next ten.
    expect(instances).toEqual(Array.from({ length: 10 }, (_, i) => taken + i));
  });

  it('of 8 clients asking for the same explicit instance, exactly one wins', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        addAddress({
          vsvr: 'eng',
          alias: 'data0',
          address: `198.51.100.${130 + i}/24`,
          number: 40,
        }),
      ),
    );
    expect(results.filter((x) => x.err === undefined)).toHaveLength(1);
    expect(results.filter((x) => x.err?.code === status.ALREADY_EXISTS)).toHaveLength(7);
  });
});
