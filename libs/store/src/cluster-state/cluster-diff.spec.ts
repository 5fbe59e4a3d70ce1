import { describe, expect, it } from '@jest/globals';
import type { ClusterDocument } from '@vsnet/model';
import { diffClusterDocuments } from './cluster-diff.js';

function doc(overrides: Partial<ClusterDocument> = {}): ClusterDocument {
  return {
    apiVersion: 'vsnet/v1',
    kind: 'Cluster',
    cluster: { name: 'c', mac: '00:07:34:04:12:0e' },
    filers: [{ name: 'Filer1', interfaces: [{ name: 'eth0' }, { name: 'data0', on: 'eth0' }] }],
    vsvrs: [
      {
        name: 'VsvrA',
        failoverGroup: ['Filer1'],
        addresses: [{ alias: 'data0', address: '10.2.2.1/24', instance: 0 }],
      },
    ],
    ...overrides,
  };
}

describe('diffClusterDocuments', () => {
  it('finds nothing between equal documents', () => {
    expect(diffClusterDocuments(doc(), doc())).toEqual([]);
  });

  it('reports a new order of the same elements as one change of the list', () => {
    const reordered = doc();
    reordered.filers[0]?.interfaces.reverse();
    expect(diffClusterDocuments(doc(), reordered)).toEqual([
      {
        kind: 'change',
        path: 'filers[Filer1].interfaces',
        before: ['eth0', 'data0'],
        after: ['data0', 'eth0'],
      },
    ]);
  });

  it('names list elements by key and ordered value lists as a whole', () => {
    const after = doc({
      vsvrs: [
        {
          name: 'VsvrA',
          failoverGroup: ['Filer1', 'Filer2'],
          addresses: [{ alias: 'data1', address: '10.2.2.1/24', instance: 0 }],
        },
      ],
    });
    after.filers[0]?.interfaces.push({ name: 'bond0', members: ['eth1'] });
    expect(diffClusterDocuments(doc(), after)).toEqual([
      { kind: 'add', path: 'filers[Filer1].interfaces[bond0]', after: expect.anything() },
      {
        kind: 'change',
        path: 'vsvrs[VsvrA].failoverGroup',
        before: ['Filer1'],
        after: ['Filer1', 'Filer2'],
      },
      {
        kind: 'change',
        path: 'vsvrs[VsvrA].addresses[10.2.2.1/24].alias',
        before: 'data0',
        after: 'data1',
      },
    ]);
  });

  it('reports removals, optional fields and whole lists that appear or go', () => {
    const after = doc({
      cluster: { name: 'c', mac: '00:07:34:04:12:0f', defaultRoutingPolicy: 'p' },
    });
    delete after.vsvrs;
    expect(diffClusterDocuments(doc(), after)).toEqual([
      {
        kind: 'change',
        path: 'cluster.mac',
        before: '00:07:34:04:12:0e',
        after: '00:07:34:04:12:0f',
      },
      { kind: 'add', path: 'cluster.defaultRoutingPolicy', after: 'p' },
      { kind: 'remove', path: 'vsvrs[VsvrA]', before: expect.anything() },
    ]);
  });

  it('tells repeated keys apart by occurrence', () => {
    const policy = (metric: number) => ({
      name: 'p',
      routes: [
        { to: '0.0.0.0/0', via: '10.1.1.1', metric: 10 },
        { to: '0.0.0.0/0', via: '10.1.1.254', metric },
      ],
    });
    expect(
      diffClusterDocuments(
        doc({ routingPolicies: [policy(20)] }),
        doc({ routingPolicies: [policy(30)] }),
      ),
    ).toEqual([
      {
        kind: 'change',
        path: 'routingPolicies[p].routes[0.0.0.0/0#2].metric',
        before: 20,
        after: 30,
      },
    ]);
  });

  it('describes the first apply as additions', () => {
    const paths = diffClusterDocuments(undefined, doc()).map((c) => `${c.kind} ${c.path}`);
    expect(paths).toEqual([
      'add cluster.name',
      'add cluster.mac',
      'add filers[Filer1]',
      'add vsvrs[VsvrA]',
    ]);
  });
});
