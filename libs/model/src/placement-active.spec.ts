import { describe, expect, it } from '@jest/globals';
import type { ClusterDocument } from './document-types.js';
import type { DhcpServerRenderer, NodeSpec } from './index.js';
import {
  activeFiler,
  compileNodeSpecs,
  decodeClusterDocument,
  encodeClusterDocument,
  failbackOf,
} from './index.js';
import { check } from './testing/analyze-document.js';
import { clusterDoc, filerDoc, vsvrDoc } from './testing/documents.js';

/** Three filers; filer3 lacks data1, so vs2 (on data1) can run on filer1 and filer2 only. */
function threeFilers(dhcp?: 'internal'): ClusterDocument {
  const withData1 = (name: string, mgmt: string) =>
    filerDoc(name, {
      interfaces: [
        { name: 'eth0' },
        { name: 'eth1' },
        { name: 'mgmt0', on: 'eth0' },
        { name: 'data0', on: 'eth1' },
        { name: 'data1', on: 'eth1' },
      ],
      addresses: [{ alias: 'mgmt0', address: mgmt }],
    });
  return clusterDoc({
    cluster: { name: 'test', mac: '00:07:34:04:12:0E', ...(dhcp ? { dhcp } : {}) },
    filers: [
      withData1('filer1', '192.0.2.11/24'),
      withData1('filer2', '192.0.2.12/24'),
      filerDoc('filer3', { addresses: [{ alias: 'mgmt0', address: '192.0.2.13/24' }] }),
    ],
    vsvrs: [
      vsvrDoc('vs_mgmt', { addresses: [{ alias: 'data0', address: '198.51.100.2/24' }] }),
      vsvrDoc('vs1', {
        failoverGroup: ['filer1', 'filer2', 'filer3'],
        addresses: [{ alias: 'data0', address: '198.51.100.10/24' }],
      }),
      vsvrDoc('vs2', { addresses: [{ alias: 'data1', address: '203.0.113.10/24' }] }),
    ],
  });
}

/** Stands in for libs/dhcp's renderer: the model only decides where the server goes. */
const FAKE_DHCP: DhcpServerRenderer = (_cluster, _analysis, interfaces) => ({
  kea4: `kea4 on ${interfaces.join(',')}`,
  kea6: '',
});

function compile(
  doc: ClusterDocument,
  placement?: ReadonlyMap<string, string>,
): Map<string, NodeSpec> {
  const { cluster, analysis, errors } = check(doc);
  expect(errors).toEqual([]);
  const specs = compileNodeSpecs(cluster, analysis, {
    dhcpServer: FAKE_DHCP,
    ...(placement ? { placement } : {}),
  });
  return new Map(specs.map((s) => [s.filer, s]));
}

/** `filer:priority` (with `*` when active) of one vsvr on every filer that carries it. */
function roles(specs: ReadonlyMap<string, NodeSpec>, vsvr: string): string[] {
  return [...specs.values()].flatMap((s) =>
    s.vsvrs
      .filter((v) => v.name === vsvr)
      .map((v) => `${s.filer}:${v.priority}${v.active ? '*' : ''}`),
  );
}

describe('the compiler follows the committed placement', () => {
  it('runs a vsvr on its home filer (first qualifying candidate) without a placement', () => {
    const specs = compile(threeFilers());
    expect(roles(specs, 'vs1')).toEqual(['filer1:0*', 'filer2:1', 'filer3:2']);
  });

  it('makes the placed filer active and keeps the others in failover order as standbys', () => {
    const specs = compile(threeFilers(), new Map([['vs1', 'filer3']]));
    expect(roles(specs, 'vs1')).toEqual(['filer1:1', 'filer2:2', 'filer3:0*']);
  });

  it('matches vsvr and filer names without regard to case', () => {
    const specs = compile(threeFilers(), new Map([['vs1', 'FILER2']]));
    expect(roles(specs, 'vs1')).toEqual(['filer1:1', 'filer2:0*', 'filer3:2']);
  });

  it('ignores a placement on a filer that cannot run the vsvr, or of a vsvr that is gone', () => {
    const home = compile(threeFilers());
    const specs = compile(
      threeFilers(),
      new Map([
        ['vs2', 'filer3'],
        ['vs9', 'filer2'],
        ['vs1', 'nofiler'],
      ]),
    );
    expect(roles(specs, 'vs2')).toEqual(['filer1:0*', 'filer2:1']);
    expect([...specs.values()].map((s) => s.hash)).toEqual([...home.values()].map((s) => s.hash));
  });

  it('changes the hashes of the filers whose role changed and only those', () => {
    const home = compile(threeFilers());
    const moved = compile(threeFilers(), new Map([['vs2', 'filer2']]));
    const changed = [...moved.values()]
      .filter((s) => home.get(s.filer)?.hash !== s.hash)
      .map((s) => s.filer);
    expect(changed).toEqual(['filer1', 'filer2']);
  });

  it('a placement on the home filer is the same as none', () => {
    const home = compile(threeFilers());
    const placed = compile(threeFilers(), new Map([['vs1', 'filer1']]));
    expect([...placed.values()].map((s) => s.hash)).toEqual([...home.values()].map((s) => s.hash));
  });

  it('runs the internal DHCP server where vs_mgmt is active, and moves it with vs_mgmt', () => {
    const where = (specs: ReadonlyMap<string, NodeSpec>) =>
      [...specs.values()].filter((s) => s.dhcpServer !== undefined).map((s) => s.filer);
    expect(where(compile(threeFilers('internal')))).toEqual(['filer1']);
    const moved = compile(threeFilers('internal'), new Map([['vs_mgmt', 'filer3']]));
    expect(where(moved)).toEqual(['filer3']);
    expect(moved.get('filer3')?.dhcpServer).toMatchObject({
      namespace: 'vs-vs_mgmt',
      interfaces: ['data0'],
    });
  });

  it('activeFiler tells where a vsvr runs, placement first, home otherwise', () => {
    const { analysis } = check(threeFilers());
    const vs2 = analysis.placements.get('vs2');
    if (vs2 === undefined) {
      throw new Error('vs2 has no placement');
    }
    expect(activeFiler(vs2)).toBe('filer1');
    expect(activeFiler(vs2, new Map([['vs2', 'filer2']]))).toBe('filer2');
    expect(activeFiler(vs2, new Map([['vs2', 'filer3']]))).toBe('filer1');
  });
});

describe('a vsvr failback policy', () => {
  const withPolicy = (policy: Record<string, unknown>): unknown =>
    clusterDoc({
      vsvrs: [
        {
          ...vsvrDoc('vs1', { addresses: [{ alias: 'data0', address: '198.51.100.10/24' }] }),
          ...policy,
        },
      ],
    });

  it.each([
    [{}, { mode: 'manual', holdDownSeconds: 60 }],
    [
      { failback: 'manual', failbackHoldDown: 60 },
      { mode: 'manual', holdDownSeconds: 60 },
    ],
    [{ failback: 'auto' }, { mode: 'auto', holdDownSeconds: 60 }],
    [
      { failback: 'AUTO', failbackHoldDown: 0 },
      { mode: 'auto', holdDownSeconds: 0 },
    ],
    [
      { failback: 'auto', failbackHoldDown: 86400 },
      { mode: 'auto', holdDownSeconds: 86400 },
    ],
  ])('reads %j as %j', (policy, expected) => {
    const { cluster, errors } = check(withPolicy(policy));
    expect(errors).toEqual([]);
    const vs1 = cluster.vsvrs[0];
    expect(vs1 && failbackOf(vs1)).toEqual(expected);
  });

  it.each([
    [{ failback: 'sometimes' }, 'vsvrs.0.failback', '"sometimes" is not a failback policy'],
    [{ failback: 3 }, 'vsvrs.0.failback', '"3" is not a failback policy'],
    [{ failbackHoldDown: -1 }, 'vsvrs.0.failbackHoldDown', 'from 0 to 86400'],
    [{ failbackHoldDown: 86401 }, 'vsvrs.0.failbackHoldDown', 'from 0 to 86400'],
    [{ failbackHoldDown: 1.5 }, 'vsvrs.0.failbackHoldDown', 'whole number'],
    [{ failbackHoldDown: '60' }, 'vsvrs.0.failbackHoldDown', 'whole number'],
    [{ failBack: 'auto' }, 'vsvrs.0.failBack', 'no field "failBack"'],
  ])('refuses %j with one problem at %s', (policy, path, message) => {
    const { errors } = check(withPolicy(policy));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path.join('.')).toBe(path);
    expect(errors[0]?.message).toContain(message);
  });

  it('writes only what differs from the defaults, and reads back the same vsvr', () => {
    const auto = decodeClusterDocument(withPolicy({ failback: 'auto', failbackHoldDown: 300 }));
    const encoded = encodeClusterDocument(auto.cluster);
    expect(encoded.vsvrs?.[0]).toMatchObject({ failback: 'auto', failbackHoldDown: 300 });
    expect(encodeClusterDocument(decodeClusterDocument(encoded).cluster)).toEqual(encoded);
    const defaults = decodeClusterDocument(
      withPolicy({ failback: 'manual', failbackHoldDown: 60 }),
    );
    const plain = encodeClusterDocument(defaults.cluster).vsvrs?.[0];
    expect(plain).not.toHaveProperty('failback');
    expect(plain).not.toHaveProperty('failbackHoldDown');
  });
});
