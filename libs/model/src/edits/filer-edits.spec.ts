import { describe, expect, it } from '@jest/globals';
import type { ClusterDocument } from '../document-types.js';
import { TEST_CLUSTER_MAC, clusterDoc } from '../testing/documents.js';
import { commitEdit, refusalOf } from '../testing/edit-harness.js';
import { initCluster } from './cluster-edits.js';
import type { PhysicalInterfaceInput } from './filer-edits.js';
import { registerFiler } from './filer-edits.js';

function emptyCluster(): ClusterDocument {
  return commitEdit(undefined, (c) => initCluster(c, { name: 'lab', mac: TEST_CLUSTER_MAC }))
    .document;
}

const ETHS: PhysicalInterfaceInput[] = [
  { name: 'ETH0', mac: '02:00:00:00:01:0A' },
  { name: 'eth1', mac: '02-00-00-00-01-0b', mtu: 9000 },
];

/** A cluster whose filer1 has MACs, so a new filer can clash with them. */
function withMacs(): ClusterDocument {
  const doc = clusterDoc();
  const filer1 = doc.filers[0];
  if (filer1 === undefined) {
    throw new Error('fixture has no filer1');
  }
  filer1.interfaces = filer1.interfaces.map((i) =>
    i.name === 'eth0' ? { ...i, mac: '02:00:00:00:00:10' } : i,
  );
  return doc;
}

describe('registerFiler', () => {
  it('adds the first filer of a new cluster, names lower case and MACs normalized', () => {
    const { document, result } = commitEdit(emptyCluster(), (c) =>
      registerFiler(c, { name: 'Filer1', interfaces: ETHS }),
    );
    const expected = {
      name: 'Filer1',
      interfaces: [
        { name: 'eth0', mac: '02:00:00:00:01:0a' },
        { name: 'eth1', mac: '02:00:00:00:01:0b', mtu: 9000 },
      ],
    };
    expect(result).toEqual(expected);
    expect(document.filers).toEqual([expected]);
  });

  it('refuses before the cluster exists with FAILED_PRECONDITION', () => {
    const r = refusalOf(() => registerFiler(undefined, { name: 'filer1', interfaces: ETHS }));
    expect(r.kind).toBe('failed-precondition');
  });

  it.each<[string, { name: string; interfaces: PhysicalInterfaceInput[] }, string]>([
    ['no name', { name: '', interfaces: ETHS }, 'name'],
    ['no interface', { name: 'filer3', interfaces: [] }, 'interfaces'],
    [
      'a bond among the physical interfaces',
      { name: 'filer3', interfaces: [...ETHS, { name: 'bond0', mac: '02:00:00:00:01:0c' }] },
      'interfaces[2].name',
    ],
    [
      'a VLAN among the physical interfaces',
      { name: 'filer3', interfaces: [{ name: 'eth0.5', mac: '02:00:00:00:01:0c' }] },
      'interfaces[0].name',
    ],
    [
      'an interface name that is no interface name',
      { name: 'filer3', interfaces: [{ name: 'nic0', mac: '02:00:00:00:01:0c' }] },
      'interfaces[0].name',
    ],
    [
      'an interface without a MAC',
      { name: 'filer3', interfaces: [{ name: 'eth0', mac: '' }] },
      'interfaces[0].mac',
    ],
    [
      'an MTU out of range',
      { name: 'filer3', interfaces: [{ name: 'eth0', mac: '02:00:00:00:01:0c', mtu: 67 }] },
      'interfaces[0].mtu',
    ],
    [
      'an interface listed twice',
      { name: 'filer3', interfaces: [...ETHS, { name: 'Eth1', mac: '02:00:00:00:01:0c' }] },
      'interfaces[2].name',
    ],
  ])('refuses %s with INVALID_ARGUMENT at the request field', (_title, input, field) => {
    const r = refusalOf(() => registerFiler(clusterDoc(), input));
    expect(r.kind).toBe('invalid-argument');
    expect(r.violations.map((v) => v.field)).toEqual([field]);
  });

  it('refuses a filer name that exists (in another case) with ALREADY_EXISTS at name', () => {
    const r = refusalOf(() => registerFiler(clusterDoc(), { name: 'FILER1', interfaces: ETHS }));
    expect(r.kind).toBe('already-exists');
    expect(r.violations[0]?.field).toBe('name');
    expect(r.message).toContain('filer1');
  });

  it('refuses a MAC another filer has with ALREADY_EXISTS at the document path', () => {
    const r = refusalOf(() =>
      commitEdit(withMacs(), (c) =>
        registerFiler(c, {
          name: 'filer3',
          interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:10' }],
        }),
      ),
    );
    expect(r.kind).toBe('already-exists');
    expect(r.reason).toBe('mac.duplicate');
    expect(r.violations[0]?.field).toBe('filers[2].interfaces[0].mac');
  });

  it('refuses the cluster MAC as an interface MAC with ALREADY_EXISTS', () => {
    const r = refusalOf(() =>
      commitEdit(clusterDoc(), (c) =>
        registerFiler(c, { name: 'filer3', interfaces: [{ name: 'eth0', mac: TEST_CLUSTER_MAC }] }),
      ),
    );
    expect(r.kind).toBe('already-exists');
    expect(r.reason).toBe('mac.duplicate');
  });

  it('refuses a malformed MAC with INVALID_ARGUMENT at the document path', () => {
    const r = refusalOf(() =>
      commitEdit(clusterDoc(), (c) =>
        registerFiler(c, { name: 'filer3', interfaces: [{ name: 'eth0', mac: '02:00:00:00:01' }] }),
      ),
    );
    expect(r.kind).toBe('invalid-argument');
    expect(r.reason).toBe('mac.invalid');
    expect(r.violations[0]?.field).toBe('filers[2].interfaces[0].mac');
  });

  it('refuses a filer name that cannot appear in DHCP identifiers at the document path', () => {
    const r = refusalOf(() =>
      commitEdit(clusterDoc(), (c) =>
        registerFiler(c, {
          name: 'filer:3',
          interfaces: [{ name: 'eth0', mac: '02:00:00:00:01:0c' }],
        }),
      ),
    );
    expect(r.kind).toBe('invalid-argument');
    expect(r.reason).toBe('name.invalid');
    expect(r.violations[0]?.field).toBe('filers[2].name');
  });
});
