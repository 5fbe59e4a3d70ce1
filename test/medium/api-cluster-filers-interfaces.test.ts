import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { ClusterDocument } from '@vsnet/model';
import {
  clusterApiGrpc,
  loadClusterApiPackageDefinition,
} from '../../libs/contracts/src/cluster-api.js';
import type { InterfaceServiceClient } from '../../libs/contracts/src/cluster-api.js';
import type { CreateAliasResponse__Output } from '../../libs/contracts/src/generated/vsnet/v1/CreateAliasResponse.js';
import { DEADLINE_MS, startControl } from './support/control-service.js';
import type { CallResult, RunningControl } from './support/control-service.js';
import { exportAsAdmin } from './support/documents.js';

// ClusterService (InitCluster, ChangeClusterMac), FilerService and InterfaceService against a
// real control service and MariaDB, building a cluster from nothing the way an operator would:
// every RPC's success (what Export shows after it, the generation it produced), every refusal
// the protos promise (status, BadRequest field, nothing written), and racing next-free callers.

interface InterfaceDoc {
  name: string;
  members?: string[];
  mode?: string;
  primary?: string;
  on?: string;
  mtu?: number;
  mac?: string;
}
interface Created {
  filer: string;
  interface: InterfaceDoc;
  generation: string;
}
interface FilerInterfaceRow {
  filer: string;
  kind: string;
  interface: InterfaceDoc;
  effectiveMtu: number;
}

const CLUSTER_MAC = '00:00:5e:00:53:01';

let r: RunningControl;

/** The stored generation: '0' while the cluster does not exist. */
async function generation(): Promise<string> {
  const { res, err } = await r.call<{ generation: string }>(
    'ClusterService',
    'GetCluster',
    {},
    r.adminToken,
  );
  if (err?.code === status.FAILED_PRECONDITION) {
    return '0';
  }
  if (res === undefined) {
    throw new Error(`GetCluster failed: ${err?.message ?? 'no answer'}`);
  }
  return res.generation;
}

async function exported(): Promise<ClusterDocument> {
  return (await exportAsAdmin(r)).document;
}

function interfacesOf(doc: ClusterDocument, filer: string): InterfaceDoc[] {
  return doc.filers.find((f) => f.name === filer)?.interfaces ?? [];
}

/** Calls as the admin and expects success; answers the response. */
async function ok<Res>(
  service: Parameters<RunningControl['call']>[0],
  method: string,
  request: object,
): Promise<Res> {
  const { res, err } = await r.call<Res>(service, method, request, r.adminToken);
  if (err !== undefined || res === undefined) {
    throw new Error(`${service}/${method} failed: ${err?.message ?? 'no answer'}`);
  }
  return res;
}

/** Calls as the admin, expects success, and checks it moved the generation by exactly one. */
async function bumps<Res extends { generation: string }>(
  service: Parameters<RunningControl['call']>[0],
  method: string,
  request: object,
): Promise<Res> {
  const before = BigInt(await generation());
  const res = await ok<Res>(service, method, request);
  expect(BigInt(res.generation)).toBe(before + 1n);
  expect(await generation()).toBe(res.generation);
  return res;
}

/**
 * Makes a call that must be refused with `code` and a BadRequest naming `field` (and, when
 * given, ErrorInfo `reason`), and checks nothing was written: the generation is unchanged.
 */
async function refused(
  call: () => Promise<CallResult<unknown>>,
  code: status,
  field: string,
  reason?: string,
): Promise<string> {
  const before = await generation();
  const { err, details } = await call();
  expect({ code: err?.code, fields: details?.violations.map((v) => v.field) }).toEqual({
    code,
    fields: expect.arrayContaining([field]),
  });
  if (reason !== undefined) {
    expect(details?.reason).toBe(reason);
  }
  expect(await generation()).toBe(before);
  return err?.details ?? '';
}

const admin =
  (service: Parameters<RunningControl['call']>[0], method: string, request: object) => () =>
    r.call(service, method, request, r.adminToken);

function eths(filer: number): { name: string; mac: string }[] {
  return [0, 1, 2, 3].map((n) => ({ name: `eth${n}`, mac: `02:00:00:00:0${filer}:1${n}` }));
}

beforeAll(async () => {
  r = await startControl('cfi');
});

afterAll(async () => {
  await r?.stop();
});

describe('before the cluster exists', () => {
  it('refuses ChangeClusterMac, RegisterFiler and ListFilers with FAILED_PRECONDITION', async () => {
    await refused(
      admin('ClusterService', 'ChangeClusterMac', { mac: CLUSTER_MAC }),
      status.FAILED_PRECONDITION,
      'cluster',
    );
    await refused(
      admin('FilerService', 'RegisterFiler', { name: 'filer1', interfaces: eths(1) }),
      status.FAILED_PRECONDITION,
      'cluster',
    );
    await refused(admin('FilerService', 'ListFilers', {}), status.FAILED_PRECONDITION, 'cluster');
  });

  it('refuses InitCluster with a bad MAC or name with INVALID_ARGUMENT, creating nothing', async () => {
    await refused(
      admin('ClusterService', 'InitCluster', { name: 'lab', mac: '01:00:5e:00:00:01' }),
      status.INVALID_ARGUMENT,
      'cluster.mac',
    );
    await refused(
      admin('ClusterService', 'InitCluster', { name: 'lab', mac: 'nope' }),
      status.INVALID_ARGUMENT,
      'cluster.mac',
    );
    await refused(
      admin('ClusterService', 'InitCluster', { name: 'my lab', mac: CLUSTER_MAC }),
      status.INVALID_ARGUMENT,
      'cluster.name',
    );
  });

  it('refuses InitCluster to a read-only principal with PERMISSION_DENIED', async () => {
    const reader = await r.principal('early-reader', 'read-only');
    const { err } = await r.call(
      'ClusterService',
      'InitCluster',
      { name: 'lab', mac: CLUSTER_MAC },
      reader,
    );
    expect(err?.code).toBe(status.PERMISSION_DENIED);
    expect(await generation()).toBe('0');
  });
});

describe('ClusterService', () => {
  it('InitCluster creates the cluster at generation 1 with no filers', async () => {
    const res = await ok<{ cluster: { name: string; mac: string }; generation: string }>(
      'ClusterService',
      'InitCluster',
      { name: 'lab', mac: '00:00:5E:00:53:01' },
    );
    expect(res.generation).toBe('1');
    expect(res.cluster).toMatchObject({ name: 'lab', mac: CLUSTER_MAC });
    const doc = await exported();
    expect(doc.cluster).toEqual({ name: 'lab', mac: CLUSTER_MAC });
    expect(doc.filers).toEqual([]);
    const head = await ok<{ filerCount: number; vsvrCount: number }>(
      'ClusterService',
      'GetCluster',
      {},
    );
    expect(head).toMatchObject({ filerCount: 0, vsvrCount: 0 });
  });

  it('refuses a second InitCluster with ALREADY_EXISTS', async () => {
    await refused(
      admin('ClusterService', 'InitCluster', { name: 'other', mac: '02:00:00:00:00:01' }),
      status.ALREADY_EXISTS,
      'cluster',
      'cluster.initialized',
    );
    expect((await exported()).cluster.name).toBe('lab');
  });
});

describe('FilerService', () => {
  it('RegisterFiler adds filers with their physical interfaces', async () => {
    const res = await bumps<{
      filer: { name: string; interfaces: InterfaceDoc[] };
      generation: string;
    }>('FilerService', 'RegisterFiler', { name: 'filer2', interfaces: eths(2) });
    expect(res.filer.interfaces.map((i) => i.name)).toEqual(['eth0', 'eth1', 'eth2', 'eth3']);
    await bumps('FilerService', 'RegisterFiler', {
      name: 'filer1',
      interfaces: eths(1).map((e, k) =>
        k === 0 ? { ...e, mac: e.mac.replaceAll(':', '-'), mtu: 9000 } : e,
      ),
    });
    const doc = await exported();
    expect(doc.filers.map((f) => f.name)).toEqual(['filer2', 'filer1']);
    expect(interfacesOf(doc, 'filer1')[0]).toEqual({
      name: 'eth0',
      mac: '02:00:00:00:01:10',
      mtu: 9000,
    });
  });

  it('refuses a bad RegisterFiler with the status and field the proto names', async () => {
    const register = (request: object) => admin('FilerService', 'RegisterFiler', request);
    await refused(register({ name: 'FILER1', interfaces: eths(3) }), status.ALREADY_EXISTS, 'name');
    await refused(
      register({ name: 'filer3', interfaces: [{ name: 'eth0', mac: '02:00:00:00:01:11' }] }),
      status.ALREADY_EXISTS,
      'filers[2].interfaces[0].mac',
      'mac.duplicate',
    );
    await refused(
      register({ name: 'filer3', interfaces: [{ name: 'eth0', mac: '02:00:00:00:03' }] }),
      status.INVALID_ARGUMENT,
      'filers[2].interfaces[0].mac',
      'mac.invalid',
    );
    await refused(
      register({ name: 'filer3', interfaces: [{ name: 'bond0', mac: '02:00:00:00:03:10' }] }),
      status.INVALID_ARGUMENT,
      'interfaces[0].name',
    );
    await refused(
      register({ name: 'filer3', interfaces: [] }),
      status.INVALID_ARGUMENT,
      'interfaces',
    );
    await refused(
      register({ name: 'filer:3', interfaces: eths(3) }),
      status.INVALID_ARGUMENT,
      'filers[2].name',
    );
  });

  it('ListFilers answers in name order and pages', async () => {
    const all = await ok<{ filers: { name: string }[]; nextPageToken: string; generation: string }>(
      'FilerService',
      'ListFilers',
      {},
    );
    expect(all.filers.map((f) => f.name)).toEqual(['filer1', 'filer2']);
    expect(all.generation).toBe(await generation());
    const first = await ok<{ filers: { name: string }[]; nextPageToken: string }>(
      'FilerService',
      'ListFilers',
      { pageSize: 1 },
    );
    expect(first.filers.map((f) => f.name)).toEqual(['filer1']);
    const second = await ok<{ filers: { name: string }[]; nextPageToken: string }>(
      'FilerService',
      'ListFilers',
      {
        pageSize: 1,
        pageToken: first.nextPageToken,
      },
    );
    expect(second.filers.map((f) => f.name)).toEqual(['filer2']);
    expect(second.nextPageToken).toBe('');
    await refused(
      admin('FilerService', 'ListFilers', { pageToken: 'garbage!' }),
      status.INVALID_ARGUMENT,
      'pageToken',
    );
  });

  it('GetFiler shows one filer (any case), and NOT_FOUND for a filer that does not exist', async () => {
    const res = await ok<{ filer: { name: string; interfaces: InterfaceDoc[] } }>(
      'FilerService',
      'GetFiler',
      { name: 'Filer1' },
    );
    expect(res.filer.name).toBe('filer1');
    expect(res.filer.interfaces).toHaveLength(4);
    await refused(admin('FilerService', 'GetFiler', { name: 'filer9' }), status.NOT_FOUND, 'name');
  });
});

describe('InterfaceService: creating', () => {
  it('CreateAlias makes mgmt0 with the next free instance, then the same alias on another filer by number', async () => {
    const first = await bumps<Created>('InterfaceService', 'CreateAlias', {
      filer: 'filer1',
      kind: 'ALIAS_KIND_MGMT',
      nextFree: true,
      on: 'eth0',
    });
    expect(first.interface).toMatchObject({ name: 'mgmt0', on: 'eth0' });
    await bumps('InterfaceService', 'CreateAlias', {
      filer: 'filer2',
      kind: 'ALIAS_KIND_MGMT',
      number: 0,
      on: 'eth0',
    });
    const doc = await exported();
    expect(interfacesOf(doc, 'filer1').map((i) => i.name)).toContain('mgmt0');
    expect(interfacesOf(doc, 'filer2').map((i) => i.name)).toContain('mgmt0');
  });

  it('CreateBond makes bond0 of two members, 802.3ad unless asked otherwise', async () => {
    const res = await bumps<Created>('InterfaceService', 'CreateBond', {
      filer: 'filer1',
      nextFree: true,
      members: ['eth2', 'ETH3'],
    });
    expect(res).toMatchObject({
      filer: 'filer1',
      interface: { name: 'bond0', members: ['eth2', 'eth3'], mode: '802.3ad' },
    });
    await bumps('InterfaceService', 'CreateBond', {
      filer: 'filer2',
      number: 0,
      members: ['eth2', 'eth3'],
      mode: 'balance-alb',
    });
    const doc = await exported();
    expect(interfacesOf(doc, 'filer2').find((i) => i.name === 'bond0')).toEqual({
      name: 'bond0',
      members: ['eth2', 'eth3'],
      mode: 'balance-alb',
    });
  });

  it('refuses a bad CreateBond with the status and field the proto names', async () => {
    const bond = (request: object) =>
      admin('InterfaceService', 'CreateBond', {
        filer: 'filer1',
        members: ['eth1', 'eth0'],
        nextFree: true,
        ...request,
      });
    await refused(bond({ nextFree: undefined }), status.INVALID_ARGUMENT, 'instance');
    await refused(bond({ members: ['eth1'] }), status.INVALID_ARGUMENT, 'members');
    await refused(bond({ mode: 'active-backup' }), status.INVALID_ARGUMENT, 'mode');
    await refused(bond({ mtu: 20 }), status.INVALID_ARGUMENT, 'mtu');
    await refused(bond({ filer: 'filer9' }), status.NOT_FOUND, 'filer');
    await refused(
      bond({ nextFree: undefined, number: 0, members: ['eth1', 'eth2'] }),
      status.ALREADY_EXISTS,
      'instance',
    );
    // filer1 (filers[1]): eth0–eth3, mgmt0, bond0; the new bond is interfaces[6].
    await refused(
      bond({ members: ['eth2', 'eth1'] }),
      status.FAILED_PRECONDITION,
      'filers[1].interfaces[6].members[0]',
      'interface.consumed',
    );
    await refused(
      bond({ members: ['eth1', 'eth7'] }),
      status.FAILED_PRECONDITION,
      'filers[1].interfaces[6].members[1]',
      'interface.unknown',
    );
  });

  it('CreateVlan makes <parent>.<tag>', async () => {
    const res = await bumps<Created>('InterfaceService', 'CreateVlan', {
      filer: 'filer1',
      parent: 'bond0',
      tag: 10,
    });
    expect(res.interface).toEqual({ name: 'bond0.10', members: [] });
    await bumps('InterfaceService', 'CreateVlan', { filer: 'filer1', parent: 'bond0', tag: 20 });
    await bumps('InterfaceService', 'CreateVlan', { filer: 'filer2', parent: 'bond0', tag: 10 });
    expect(interfacesOf(await exported(), 'filer1').map((i) => i.name)).toEqual(
      expect.arrayContaining(['bond0.10', 'bond0.20']),
    );
  });

  it('refuses a bad CreateVlan with the status and field the proto names', async () => {
    const vlan = (request: object) =>
      admin('InterfaceService', 'CreateVlan', {
        filer: 'filer1',
        parent: 'bond0',
        tag: 30,
        ...request,
      });
    await refused(vlan({ tag: 0 }), status.INVALID_ARGUMENT, 'tag');
    await refused(vlan({ tag: 4095 }), status.INVALID_ARGUMENT, 'tag');
    await refused(vlan({ filer: 'filer9' }), status.NOT_FOUND, 'filer');
    await refused(vlan({ tag: 10 }), status.ALREADY_EXISTS, 'tag');
    await refused(
      vlan({ parent: 'eth2' }),
      status.FAILED_PRECONDITION,
      'parent',
      'interface.consumed',
    );
    await refused(
      vlan({ parent: 'eth9' }),
      status.FAILED_PRECONDITION,
      'parent',
      'interface.unknown',
    );
  });

  it('CreateFailoverInterface makes fail0 over a physical interface and a VLAN', async () => {
    const res = await bumps<Created>('InterfaceService', 'CreateFailoverInterface', {
      filer: 'filer1',
      nextFree: true,
      members: ['eth1', 'bond0.20'],
      primary: 'eth1',
    });
    expect(res.interface).toMatchObject({
      name: 'fail0',
      members: ['eth1', 'bond0.20'],
      primary: 'eth1',
    });
    expect(interfacesOf(await exported(), 'filer1').find((i) => i.name === 'fail0')?.primary).toBe(
      'eth1',
    );
  });

  it('refuses a bad CreateFailoverInterface with the status and field the proto names', async () => {
    const fail = (request: object) =>
      admin('InterfaceService', 'CreateFailoverInterface', {
        filer: 'filer2',
        nextFree: true,
        members: ['eth1', 'bond0.10'],
        ...request,
      });
    await refused(fail({ primary: 'eth0' }), status.INVALID_ARGUMENT, 'primary');
    await refused(fail({ members: ['eth1'] }), status.INVALID_ARGUMENT, 'members');
    await refused(
      fail({ filer: 'filer1', members: ['eth1', 'eth0'] }),
      status.FAILED_PRECONDITION,
      'filers[1].interfaces[9].members[0]',
      'interface.consumed',
    );
  });

  it('CreateAlias makes data0 and san0 with the next free instance', async () => {
    const data = await bumps<Created>('InterfaceService', 'CreateAlias', {
      filer: 'filer1',
      kind: 'ALIAS_KIND_DATA',
      nextFree: true,
      on: 'bond0.10',
    });
    expect(data.interface).toMatchObject({ name: 'data0', on: 'bond0.10' });
    await bumps('InterfaceService', 'CreateAlias', {
      filer: 'filer2',
      kind: 'ALIAS_KIND_DATA',
      number: 0,
      on: 'bond0.10',
    });
    const san = await bumps<Created>('InterfaceService', 'CreateAlias', {
      filer: 'filer1',
      kind: 'ALIAS_KIND_SAN',
      nextFree: true,
      on: 'fail0',
      mtu: 1400,
    });
    expect(san.interface).toMatchObject({ name: 'san0', on: 'fail0', mtu: 1400 });
    expect(interfacesOf(await exported(), 'filer1').find((i) => i.name === 'san0')).toEqual({
      name: 'san0',
      on: 'fail0',
      mtu: 1400,
    });
  });

  it('refuses a bad CreateAlias with the status and field the proto names', async () => {
    const alias = (request: object) =>
      admin('InterfaceService', 'CreateAlias', {
        filer: 'filer1',
        kind: 'ALIAS_KIND_DATA',
        nextFree: true,
        on: 'bond0.10',
        ...request,
      });
    await refused(alias({ kind: 'ALIAS_KIND_UNSPECIFIED' }), status.INVALID_ARGUMENT, 'kind');
    await refused(alias({ nextFree: undefined }), status.INVALID_ARGUMENT, 'instance');
    await refused(
      alias({ kind: 'ALIAS_KIND_MGMT', nextFree: undefined, number: 100 }),
      status.INVALID_ARGUMENT,
      'instance',
    );
    await refused(alias({ routingPolicy: 'p' }), status.INVALID_ARGUMENT, 'routingPolicy');
    await refused(alias({ filer: 'filer9' }), status.NOT_FOUND, 'filer');
    await refused(alias({ nextFree: undefined, number: 0 }), status.ALREADY_EXISTS, 'instance');
    await refused(alias({ on: 'eth9' }), status.FAILED_PRECONDITION, 'on', 'interface.unknown');
    await refused(alias({ on: 'data0' }), status.FAILED_PRECONDITION, 'on', 'interface.kind');
    await refused(alias({ on: 'eth2' }), status.FAILED_PRECONDITION, 'on', 'interface.consumed');
    await refused(
      alias({ kind: 'ALIAS_KIND_MGMT', on: 'eth0', routingPolicy: 'nope' }),
      status.FAILED_PRECONDITION,
      'filers[1].interfaces[11].routingPolicy',
      'routing.unknown-policy',
    );
  });
});

describe('InterfaceService: listing', () => {
  it('ListInterfaces answers filer then document order, with kinds and effective MTUs', async () => {
    const res = await ok<{ interfaces: FilerInterfaceRow[]; generation: string }>(
      'InterfaceService',
      'ListInterfaces',
      {},
    );
    const filer1 = res.interfaces.filter((i) => i.filer === 'filer1');
    expect(filer1.map((i) => i.interface.name)).toEqual(
      interfacesOf(await exported(), 'filer1').map((i) => i.name),
    );
    expect(res.interfaces.findIndex((i) => i.filer === 'filer2')).toBe(filer1.length);
    const row = (name: string) => filer1.find((i) => i.interface.name === name);
    expect(row('eth0')).toMatchObject({ kind: 'INTERFACE_KIND_PHYSICAL', effectiveMtu: 9000 });
    expect(row('mgmt0')).toMatchObject({ kind: 'INTERFACE_KIND_ALIAS', effectiveMtu: 9000 });
    expect(row('bond0')).toMatchObject({ kind: 'INTERFACE_KIND_BOND', effectiveMtu: 1500 });
    expect(row('bond0.10')).toMatchObject({ kind: 'INTERFACE_KIND_VLAN' });
    expect(row('fail0')).toMatchObject({ kind: 'INTERFACE_KIND_FAILOVER' });
    expect(row('san0')).toMatchObject({ effectiveMtu: 1400 });
  });

  it('filters by filer and kind, pages, and refuses an unknown filer with NOT_FOUND', async () => {
    const aliases = await ok<{ interfaces: FilerInterfaceRow[] }>(
      'InterfaceService',
      'ListInterfaces',
      {
        filer: 'FILER1',
        kind: 'INTERFACE_KIND_ALIAS',
      },
    );
    expect(aliases.interfaces.map((i) => i.interface.name)).toEqual(['mgmt0', 'data0', 'san0']);
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await ok<{ interfaces: FilerInterfaceRow[]; nextPageToken: string }>(
        'InterfaceService',
        'ListInterfaces',
        {
          pageSize: 4,
          pageToken,
        },
      );
      expect(page.interfaces.length).toBeLessThanOrEqual(4);
      seen.push(...page.interfaces.map((i) => `${i.filer}/${i.interface.name}`));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    const all = await ok<{ interfaces: FilerInterfaceRow[] }>(
      'InterfaceService',
      'ListInterfaces',
      {},
    );
    expect(seen).toEqual(all.interfaces.map((i) => `${i.filer}/${i.interface.name}`));
    await refused(
      admin('InterfaceService', 'ListInterfaces', { filer: 'filer9' }),
      status.NOT_FOUND,
      'filer',
    );
  });
});

describe('InterfaceService: deleting', () => {
  it('refuses deleting what something still uses with FAILED_PRECONDITION naming the user', async () => {
    const del = (filer: string, name: string) =>
      admin('InterfaceService', 'DeleteInterface', { filer, name });
    // filer1: eth0–eth3, mgmt0, bond0 (eth2, eth3), bond0.10, bond0.20, fail0 (eth1, bond0.20), data0, san0.
    const message = await refused(
      del('filer1', 'eth2'),
      status.FAILED_PRECONDITION,
      'filers[1].interfaces[5].members[0]',
      'interface.in-use',
    );
    expect(message).toContain('bond0 has eth2 as a member');
    await refused(
      del('filer1', 'bond0'),
      status.FAILED_PRECONDITION,
      'filers[1].interfaces[6].name',
    );
    await refused(
      del('filer1', 'bond0.10'),
      status.FAILED_PRECONDITION,
      'filers[1].interfaces[9].on',
    );
    await refused(
      del('filer1', 'fail0'),
      status.FAILED_PRECONDITION,
      'filers[1].interfaces[10].on',
    );
    await refused(del('filer9', 'eth0'), status.NOT_FOUND, 'filer');
    await refused(del('filer1', 'eth9'), status.NOT_FOUND, 'name');
  });

  it('refuses deleting a data alias a vsvr that runs on the filer uses, and GetFiler shows that vsvr', async () => {
    await bumps('VsvrService', 'CreateVsvr', { name: 'web' });
    await bumps('VsvrService', 'AddAddress', {
      vsvr: 'web',
      alias: 'data0',
      address: '198.51.100.61/24',
      nextFree: true,
    });
    const filer2 = await ok<{ activeVsvrs: string[] }>('FilerService', 'GetFiler', {
      name: 'filer2',
    });
    const filer1 = await ok<{ activeVsvrs: string[] }>('FilerService', 'GetFiler', {
      name: 'filer1',
    });
    // No failover group: the first filer of the document that has data0 runs it.
    expect({ filer1: filer1.activeVsvrs, filer2: filer2.activeVsvrs }).toEqual({
      filer1: [],
      filer2: ['web'],
    });
    const message = await refused(
      admin('InterfaceService', 'DeleteInterface', { filer: 'filer1', name: 'data0' }),
      status.FAILED_PRECONDITION,
      'vsvrs[0].addresses[0].alias',
      'interface.in-use',
    );
    expect(message).toContain('vsvr web');
  });

  it('DeleteInterface removes an interface nothing uses', async () => {
    const res = await bumps<{ generation: string }>('InterfaceService', 'DeleteInterface', {
      filer: 'FILER1',
      name: 'SAN0',
    });
    expect(res.generation).toBe(await generation());
    expect(interfacesOf(await exported(), 'filer1').map((i) => i.name)).not.toContain('san0');
  });
});

describe('roles', () => {
  // After the deletes: vsvr web exists now, so a principal can be scoped to it.
  it('refuses every mutation to a read-only or vsvr-scoped principal, and lets them list', async () => {
    const reader = await r.principal('reader', 'read-only');
    const scoped = await r.principal('scoped', 'vsvr-network', ['web']);
    for (const token of [reader, scoped]) {
      const calls: [Parameters<RunningControl['call']>[0], string, object][] = [
        [
          'InterfaceService',
          'CreateAlias',
          { filer: 'filer1', kind: 'ALIAS_KIND_DATA', nextFree: true, on: 'eth0' },
        ],
        [
          'InterfaceService',
          'CreateBond',
          { filer: 'filer1', nextFree: true, members: ['eth0', 'eth1'] },
        ],
        ['InterfaceService', 'CreateVlan', { filer: 'filer1', parent: 'eth0', tag: 5 }],
        ['InterfaceService', 'DeleteInterface', { filer: 'filer1', name: 'san0' }],
        ['FilerService', 'RegisterFiler', { name: 'filer3', interfaces: eths(3) }],
        ['ClusterService', 'ChangeClusterMac', { mac: '02:00:00:00:00:aa' }],
      ];
      for (const [service, method, request] of calls) {
        const { err } = await r.call(service, method, request, token);
        expect({ method, code: err?.code }).toEqual({ method, code: status.PERMISSION_DENIED });
      }
      const listed = await r.call<{ interfaces: unknown[] }>(
        'InterfaceService',
        'ListInterfaces',
        {},
        token,
      );
      expect(listed.res?.interfaces.length).toBeGreaterThan(0);
    }
    const anonymous = await r.call('InterfaceService', 'ListInterfaces', {});
    expect(anonymous.err?.code).toBe(status.UNAUTHENTICATED);
  });
});

describe('ChangeClusterMac', () => {
  it('refuses a stale expected_generation with FAILED_PRECONDITION and changes nothing', async () => {
    const stale = String(BigInt(await generation()) - 1n);
    await refused(
      admin('ClusterService', 'ChangeClusterMac', {
        mac: '02:00:00:00:00:aa',
        expectedGeneration: stale,
      }),
      status.FAILED_PRECONDITION,
      'expectedGeneration',
      'cluster.stale-generation',
    );
    expect((await exported()).cluster.mac).toBe(CLUSTER_MAC);
  });

  it('refuses a bad MAC, or a physical interface’s, with INVALID_ARGUMENT at cluster.mac', async () => {
    await refused(
      admin('ClusterService', 'ChangeClusterMac', { mac: '02:00:00:00:00' }),
      status.INVALID_ARGUMENT,
      'cluster.mac',
    );
    await refused(
      admin('ClusterService', 'ChangeClusterMac', { mac: '02:00:00:00:01:10' }),
      status.INVALID_ARGUMENT,
      'cluster.mac',
      'mac.duplicate',
    );
  });

  it('changes the MAC at the expected generation, and every DHCP identifier with it', async () => {
    const res = await bumps<{ cluster: { mac: string }; generation: string }>(
      'ClusterService',
      'ChangeClusterMac',
      {
        mac: '02:00:00:00:00:AA',
        expectedGeneration: await generation(),
      },
    );
    expect(res.cluster.mac).toBe('02:00:00:00:00:aa');
    expect((await exported()).cluster.mac).toBe('02:00:00:00:00:aa');
    const web = await ok<{ vsvr: { addresses: { identifier: string }[] } }>(
      'VsvrService',
      'GetVsvr',
      { name: 'web' },
    );
    expect(web.vsvr.addresses[0]?.identifier).toBe('02:00:00:00:00:aa:data0:web:0');
    await bumps('ClusterService', 'ChangeClusterMac', { mac: CLUSTER_MAC });
  });
});

describe('racing CreateAlias callers', () => {
  /** A second client with its own connection, so the calls really arrive side by side. */
  function secondClient(): InterfaceServiceClient {
    const api = clusterApiGrpc(loadClusterApiPackageDefinition());
    return new api.InterfaceService(r.address, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  function viaSecond(
    client: InterfaceServiceClient,
    request: object,
  ): Promise<CallResult<CreateAliasResponse__Output>> {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${r.adminToken}`);
    return new Promise((resolve) => {
      client.createAlias(request, md, { deadline: Date.now() + DEADLINE_MS }, (err, res) => {
        resolve(err ? { err } : res === undefined ? {} : { res });
      });
    });
  }

  it('20 concurrent next-free calls each get a distinct instance, one generation each', async () => {
    const client = secondClient();
    try {
      const before = BigInt(await generation());
      const request = { filer: 'filer1', kind: 'ALIAS_KIND_DATA', nextFree: true, on: 'eth0' };
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, k) =>
          k % 2 === 0
            ? r.call<CreateAliasResponse__Output>(
                'InterfaceService',
                'CreateAlias',
                request,
                r.adminToken,
              )
            : viaSecond(client, request),
        ),
      );
      expect(results.map((x) => x.err?.message)).toEqual(Array(20).fill(undefined));
      const names = results.map((x) => x.res?.interface?.name ?? '');
      expect(new Set(names).size).toBe(20);
      // data0 exists: the next free are data1 … data20, whoever got which.
      expect([...names].sort()).toEqual(
        Array.from({ length: 20 }, (_, k) => `data${k + 1}`).sort(),
      );
      const generations = results
        .map((x) => BigInt(x.res?.generation ?? '0'))
        .sort((a, b) => (a < b ? -1 : 1));
      expect(generations).toEqual(Array.from({ length: 20 }, (_, k) => before + BigInt(k + 1)));
      expect(interfacesOf(await exported(), 'filer1').filter((i) => i.on === 'eth0')).toHaveLength(
        21,
      );
    } finally {
      client.close();
    }
  });

  it('20 concurrent calls for the same instance: exactly one wins, the rest get ALREADY_EXISTS', async () => {
    const client = secondClient();
    try {
      const before = BigInt(await generation());
      const request = { filer: 'filer2', kind: 'ALIAS_KIND_DATA', number: 50, on: 'eth0' };
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, k) =>
          k % 2 === 0
            ? r.call<CreateAliasResponse__Output>(
                'InterfaceService',
                'CreateAlias',
                request,
                r.adminToken,
              )
            : viaSecond(client, request),
        ),
      );
      expect(results.filter((x) => x.err === undefined)).toHaveLength(1);
      expect(results.filter((x) => x.err?.code === status.ALREADY_EXISTS)).toHaveLength(19);
      expect(BigInt(await generation())).toBe(before + 1n);
      expect(
        interfacesOf(await exported(), 'filer2').filter((i) => i.name === 'data50'),
      ).toHaveLength(1);
    } finally {
      client.close();
    }
  });
});
