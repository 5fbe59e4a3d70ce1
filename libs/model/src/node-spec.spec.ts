import { describe, expect, it } from '@jest/globals';
import type { ClusterDocument } from './document-types.js';
import {
  addressTable,
  compileNodeSpec,
  compileNodeSpecs,
  decodeClusterDocument,
  derivedMac,
  FILER_ALIAS_TABLES,
  encodeClusterDocument,
} from './index.js';
import { check } from './testing/analyze-document.js';
import { clusterDoc, filerDoc, vsvrDoc } from './testing/documents.js';

function layered(): ClusterDocument {
  const interfaces = [
    { name: 'eth0', mac: '02:00:00:00:00:01' },
    { name: 'eth1', mtu: 9000 },
    { name: 'eth2', mtu: 9000 },
    { name: 'eth3', mtu: 9000 },
    { name: 'bond0', members: ['eth1', 'eth2'] },
    { name: 'bond0.10' },
    { name: 'eth3.10' },
    { name: 'fail0', members: ['bond0.10', 'eth3.10'], primary: 'bond0.10' },
    { name: 'data0', on: 'fail0' },
    { name: 'data0.5' },
    { name: 'mgmt0', on: 'eth0' },
    { name: 'mgmt0.7' },
    { name: 'san0', on: 'eth0' },
  ];
  return clusterDoc({
    filers: [
      filerDoc('filer1', {
        interfaces,
        addresses: [
          { alias: 'mgmt0', address: '192.0.2.11/24' },
          { alias: 'san0', address: '198.18.0.11/24' },
        ],
      }),
      filerDoc('filer2', {
        interfaces: interfaces.map((i) =>
          i.name === 'eth0' ? { name: 'eth0', mac: '02:00:00:00:00:02' } : i,
        ),
        addresses: [{ alias: 'mgmt0', address: '192.0.2.12/24' }],
      }),
    ],
    vsvrs: [
      vsvrDoc('vs1', {
        failoverGroup: ['filer2', 'filer1'],
        addresses: [
          { alias: 'data0', address: '198.51.100.10/24' },
          { alias: 'data0.5', address: '2001:db8:5::10/64' },
          { alias: 'data0', address: '198.51.100.11/24' },
        ],
      }),
    ],
    mysqlNodes: [
      { role: 'MySQLMgmtNode', addresses: [{ alias: 'mgmt0', address: '192.0.2.50/24' }] },
    ],
  });
}

describe('the node spec compiler', () => {
  it('lists links parents first, with inherited MTUs, and aliases on top', () => {
    const { cluster, analysis, errors } = check(layered());
    expect(errors).toEqual([]);
    const spec = compileNodeSpec(cluster, 'filer1', analysis);
    expect(spec.links.map((l) => `${l.name}:${l.kind}:${l.mtu}`)).toEqual([
      'eth0:physical:1500',
      'eth1:physical:9000',
      'eth2:physical:9000',
      'eth3:physical:9000',
      'bond0:bond:9000',
      'eth3.10:vlan:9000',
      'bond0.10:vlan:9000',
      'fail0:failover:9000',
    ]);
    expect(spec.links.find((l) => l.name === 'fail0')).toMatchObject({
      mode: 'active-backup',
      primary: 'bond0.10',
      members: ['bond0.10', 'eth3.10'],
    });
    expect(spec.links.find((l) => l.name === 'bond0')).toMatchObject({ mode: '802.3ad' });
    // Aliases too come in creation order: each after the interface it is built on.
    expect(spec.aliases).toEqual([
      { name: 'mgmt0', kind: 'mgmt', lower: 'eth0', mtu: 1500 },
      { name: 'san0', kind: 'san', lower: 'eth0', mtu: 1500 },
      { name: 'mgmt0.7', kind: 'mgmt', lower: 'mgmt0', mtu: 1500, tag: 7 },
      { name: 'data0', kind: 'data', lower: 'fail0', mtu: 9000 },
      { name: 'data0.5', kind: 'data', lower: 'data0', mtu: 9000, tag: 5 },
    ]);
  });

  it('places the vsvr active on the first filer of its group and pre-stages it on the next', () => {
    const { cluster, analysis } = check(layered());
    const [f1, f2] = compileNodeSpecs(cluster, analysis);
    expect(f2?.vsvrs[0]).toMatchObject({
      name: 'vs1',
      namespace: 'vs-vs1',
      active: true,
      priority: 0,
    });
    expect(f1?.vsvrs[0]).toMatchObject({ name: 'vs1', active: false, priority: 1 });
    expect(f1?.vsvrs[0]?.addresses.map((a) => a.identifier)).toEqual([
      '00:07:34:04:12:0e:data0:vs1:0',
      '00:07:34:04:12:0e:data0:vs1:1',
      '00:07:34:04:12:0e:data0.5:vs1:0',
    ]);
    // The vsvr's MAC on an alias is the same on every filer, so ARP caches survive a failover.
    expect(f1?.vsvrs[0]?.interfaces).toEqual(f2?.vsvrs[0]?.interfaces);
    expect(f1?.vsvrs[0]?.interfaces.map((i) => [i.name, i.lower, i.tag])).toEqual([
      ['data0', 'fail0', undefined],
      ['data0.5', 'data0', 5],
    ]);
  });

  it('gives filer addresses stable policy-routing tables and their DHCP identifiers', () => {
    const { cluster, analysis } = check(layered());
    const spec = compileNodeSpec(cluster, 'FILER1', analysis);
    expect(spec.addresses).toEqual([
      {
        alias: 'mgmt0',
        address: '192.0.2.11/24',
        mode: 'static',
        identifier: '00:07:34:04:12:0e:mgmt0:filer1',
        table: 1000000,
      },
      {
        alias: 'san0',
        address: '198.18.0.11/24',
        mode: 'static',
        identifier: '00:07:34:04:12:0e:san0:filer1',
        table: 2000000,
      },
    ]);
    expect(spec.mysqlNodes).toEqual([
      {
        role: 'MySQLMgmtNode',
        addresses: [
          {
            alias: 'mgmt0',
            address: '192.0.2.50/24',
            identifier: '00:07:34:04:12:0e:mgmt0:MySQLMgmtNode',
          },
        ],
      },
    ]);
  });

  it('keeps every alias table, up to mgmt99/san99 with tag 4094, inside FILER_ALIAS_TABLES', () => {
    const filer = filerDoc('filer1', {
      interfaces: [
        { name: 'eth0' },
        { name: 'eth1' },
        { name: 'data0', on: 'eth1' },
        { name: 'mgmt0', on: 'eth0' },
        { name: 'mgmt99', on: 'eth0' },
        { name: 'mgmt99.4094' },
        { name: 'san99', on: 'eth1' },
        { name: 'san99.4094' },
      ],
      addresses: [
        { alias: 'mgmt0', address: '192.0.2.11/24' },
        { alias: 'mgmt99.4094', address: '198.18.0.11/24' },
        { alias: 'san99.4094', address: '198.18.1.11/24' },
      ],
    });
    const { cluster, analysis, errors } = check(clusterDoc({ filers: [filer], vsvrs: [] }));
    expect(errors).toEqual([]);
    const tables = compileNodeSpec(cluster, 'filer1', analysis).addresses.map((a) => a.table);
    expect(tables).toEqual([1000000, 1994094, 2994094]);
    for (const t of tables) {
      expect(t).toBeGreaterThanOrEqual(FILER_ALIAS_TABLES.min);
      expect(t).toBeLessThanOrEqual(FILER_ALIAS_TABLES.max);
    }
  });

  it('is deterministic: the same cluster written in another order gives the same specs and hashes', () => {
    const a = layered();
    const b = layered();
    b.filers.reverse();
    for (const f of b.filers) {
      f.interfaces.reverse();
    }
    const specsA = compileNodeSpecs(check(a).cluster);
    const specsB = compileNodeSpecs(check(b).cluster);
    expect(specsB.map((s) => s.filer)).toEqual(['filer2', 'filer1']);
    expect(Object.fromEntries(specsB.map((s) => [s.filer, s]))).toEqual(
      Object.fromEntries(specsA.map((s) => [s.filer, s])),
    );
    expect(specsA[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes the hash of only the filers a change touches', () => {
    const before = compileNodeSpecs(check(layered()).cluster);
    const doc = layered();
    doc.filers[1]?.addresses?.push({ alias: 'san0', address: '198.18.0.12/24' });
    const after = compileNodeSpecs(check(doc).cluster);
    expect(after[0]?.hash).toBe(before[0]?.hash);
    expect(after[1]?.hash).not.toBe(before[1]?.hash);
  });

  it('changes every identifier, derived MAC and hash when the cluster MAC changes (§5.2.4)', () => {
    const doc = layered();
    const before = check(doc);
    doc.cluster.mac = '00-07-34-99-00-01';
    const after = check(doc);
    const idsBefore = addressTable(before.cluster, before.analysis).map((r) => r.identifier);
    const idsAfter = addressTable(after.cluster, after.analysis).map((r) => r.identifier);
    expect(idsAfter).toHaveLength(idsBefore.length);
    expect(idsAfter.every((id) => id.startsWith('00:07:34:99:00:01:'))).toBe(true);
    expect(idsAfter.some((id) => idsBefore.includes(id))).toBe(false);
    expect(derivedMac('00:07:34:99:00:01', 'vs1', 'data0')).not.toBe(
      derivedMac('00:07:34:04:12:0e', 'vs1', 'data0'),
    );
    expect(compileNodeSpecs(after.cluster).map((s) => s.hash)).not.toContain(
      compileNodeSpecs(before.cluster)[0]?.hash,
    );
  });

  it('derives locally administered unicast MACs', () => {
    const mac = derivedMac('00:07:34:04:12:0e', 'VsvrA', 'data0');
    const first = parseInt(mac.slice(0, 2), 16);
    expect(mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(first & 0x02).toBe(2);
    expect(first & 0x01).toBe(0);
  });

  it('refuses to compile for a filer the cluster does not have', () => {
    const { cluster } = check(layered());
    expect(() => compileNodeSpec(cluster, 'filer9')).toThrow(
      'filer filer9 is not part of cluster test',
    );
  });
});

describe('the cluster document round trip', () => {
  it('encodes a cluster into a document that decodes to the same specs, with no problems', () => {
    const first = check(layered());
    const doc = JSON.parse(JSON.stringify(encodeClusterDocument(first.cluster))) as unknown;
    const again = decodeClusterDocument(doc);
    expect(again.problems).toEqual([]);
    expect(compileNodeSpecs(again.cluster)).toEqual(compileNodeSpecs(first.cluster));
    expect(encodeClusterDocument(again.cluster)).toEqual(doc);
  });
});
