import { describe, expect, it } from '@jest/globals';
import type { ClusterDocument } from './document-types.js';
import { check } from './testing/analyze-document.js';
import { clusterDoc, filerDoc, vsvrDoc } from './testing/documents.js';

/** Two vsvrs in 198.51.100.0/24, one in 203.0.113.0/24; policies as each test needs. */
function withPolicies(extra: Partial<ClusterDocument>): ClusterDocument {
  const on = (address: string) => ({
    failoverGroup: ['filer1'],
    addresses: [{ alias: 'data0', address }],
  });
  return clusterDoc({
    cluster: { name: 'test', mac: '00:07:34:04:12:0e', defaultRoutingPolicy: 'cluster-default' },
    vsvrs: [
      vsvrDoc('va', on('198.51.100.10/24')),
      vsvrDoc('vb', on('198.51.100.11/24')),
      vsvrDoc('vc', { ...on('203.0.113.10/24'), routingPolicy: 'group-c' }),
    ],
    routingPolicies: [
      {
        name: 'cluster-default',
        routes: [
          { to: 'default', via: '198.51.100.1' },
          { to: '192.0.2.0/24', via: '198.51.100.2' },
        ],
      },
      {
        name: 'group-c',
        extends: 'cluster-default',
        routes: [
          { to: 'default', via: '203.0.113.1' },
          { to: '192.0.2.0/24', via: '203.0.113.2' },
        ],
      },
    ],
    ...extra,
  });
}

describe('routing policies (§3.1.1)', () => {
  it('gives every vsvr its own table: the cluster default, inherited and overridden by a group policy', () => {
    const { analysis, errors } = check(withPolicies({}));
    expect(errors).toEqual([]);
    expect(analysis.routing.vsvrRoutes.get('va')).toEqual([
      { to: '0.0.0.0/0', via: '198.51.100.1', alias: 'data0', from: 'cluster-default' },
      { to: '192.0.2.0/24', via: '198.51.100.2', alias: 'data0', from: 'cluster-default' },
    ]);
    expect(analysis.routing.vsvrRoutes.get('vc')).toEqual([
      { to: '0.0.0.0/0', via: '203.0.113.1', alias: 'data0', from: 'group-c' },
      { to: '192.0.2.0/24', via: '203.0.113.2', alias: 'data0', from: 'group-c' },
    ]);
  });

  it("skips a policy's routes of a family the vsvr has no address of, but still checks its own", () => {
    const doc = withPolicies({});
    const va = doc.vsvrs?.[0];
    if (va) {
      // An IPv6-only vsvr under the IPv4 cluster default, and a vsvr with no address yet.
      va.addresses = [{ alias: 'data0', address: '2001:db8:1::10/64' }];
      doc.vsvrs?.push(vsvrDoc('vd', { failoverGroup: ['filer1'] }));
    }
    const { analysis, errors } = check(doc);
    expect(errors).toEqual([]);
    expect(analysis.routing.vsvrRoutes.get('va')).toEqual([]);
    expect(analysis.routing.vsvrRoutes.get('vd')).toEqual([]);
  });

  it("lets one vsvr override a shared route with its own, leaving the others' tables alone", () => {
    const doc = withPolicies({});
    const vb = doc.vsvrs?.[1];
    if (vb) {
      vb.routes = [
        { to: '192.0.2.0/24', via: '198.51.100.3' },
        { to: '2001:db8:9::/48', alias: 'data0' },
      ];
    }
    const { analysis, errors } = check(doc);
    // vb has no IPv6 address, so its IPv6 device route cannot leave through data0.
    expect(errors.map((e) => [e.code, e.path])).toEqual([
      ['routing.gateway', ['vsvrs', 1, 'routes', 1]],
    ]);
    expect(errors[0]?.message).toContain('no IPv6 address of vsvr vb on data0');
    expect(analysis.routing.vsvrRoutes.get('vb')?.find((r) => r.to === '192.0.2.0/24')).toEqual({
      to: '192.0.2.0/24',
      via: '198.51.100.3',
      alias: 'data0',
      from: 'vsvr vb',
    });
    expect(analysis.routing.vsvrRoutes.get('va')?.find((r) => r.to === '192.0.2.0/24')?.via).toBe(
      '198.51.100.2',
    );
  });

  it('reports a shared route whose gateway some vsvrs cannot reach once, naming them', () => {
    const { errors } = check(
      withPolicies({
        cluster: { name: 't', mac: '00:07:34:04:12:0e', defaultRoutingPolicy: 'group-c' },
      }),
    );
    expect(errors.map((e) => [e.code, e.path])).toEqual([
      ['routing.gateway', ['routingPolicies', 1, 'routes', 0]],
      ['routing.gateway', ['routingPolicies', 1, 'routes', 1]],
    ]);
    expect(errors[0]?.message).toContain('gateway 203.0.113.1');
    expect(errors[0]?.message).toContain('vsvr va');
    expect(errors[0]?.message).toContain('vsvr vb');
  });

  it.each([
    [
      'an unknown policy',
      { vsvrs: [vsvrDoc('va', { routingPolicy: 'nope' })] },
      'routing.unknown-policy',
      ['vsvrs', 0, 'routingPolicy'],
    ],
    [
      'a loop of extends',
      {
        routingPolicies: [
          { name: 'a', extends: 'b' },
          { name: 'b', extends: 'a' },
        ],
        vsvrs: [],
      },
      'routing.cycle',
      ['routingPolicies', 0, 'extends'],
    ],
    [
      'two routes to one destination in one policy',
      {
        routingPolicies: [
          {
            name: 'cluster-default',
            routes: [
              { to: '192.0.2.0/24', via: '198.51.100.1' },
              { to: '192.0.2.0/24', via: '198.51.100.2' },
            ],
          },
        ],
      },
      'routing.conflict',
      ['routingPolicies', 0, 'routes', 1],
    ],
    [
      'a gateway of the other family',
      {
        routingPolicies: [
          { name: 'cluster-default', routes: [{ to: '192.0.2.0/24', via: '2001:db8::1' }] },
        ],
      },
      'routing.invalid',
      ['routingPolicies', 0, 'routes', 0, 'via'],
    ],
    [
      'a destination with host bits',
      {
        routingPolicies: [
          { name: 'cluster-default', routes: [{ to: '192.0.2.7/24', via: '198.51.100.1' }] },
        ],
      },
      'address.invalid',
      ['routingPolicies', 0, 'routes', 0, 'to'],
    ],
    [
      'a default route without gateway',
      { routingPolicies: [{ name: 'cluster-default', routes: [{ to: 'default' }] }] },
      'routing.invalid',
      ['routingPolicies', 0, 'routes', 0],
    ],
  ])('refuses %s', (_what, extra, code, path) => {
    const { errors } = check(withPolicies(extra));
    expect(errors.map((e) => [e.code, e.path])).toContainEqual([code, path]);
  });

  it('routes a filer mgmt0 alias by its own policy, with the gateway inside the alias subnet', () => {
    const filer = filerDoc('filer1', {
      interfaces: [
        { name: 'eth0' },
        { name: 'eth1' },
        { name: 'mgmt0', on: 'eth0', routingPolicy: 'mgmt' },
        { name: 'data0', on: 'eth1' },
      ],
      addresses: [{ alias: 'mgmt0', address: '192.0.2.11/24' }],
    });
    const ok = check(
      clusterDoc({
        filers: [filer],
        vsvrs: [],
        routingPolicies: [{ name: 'mgmt', routes: [{ to: 'default', via: '192.0.2.1' }] }],
      }),
    );
    expect(ok.errors).toEqual([]);
    expect(ok.analysis.routing.aliasRoutes.get('filer1')?.get('mgmt0')).toEqual([
      { to: '0.0.0.0/0', via: '192.0.2.1', alias: 'mgmt0', from: 'mgmt' },
    ]);
    const bad = check(
      clusterDoc({
        filers: [filer],
        vsvrs: [],
        routingPolicies: [{ name: 'mgmt', routes: [{ to: 'default', via: '198.51.100.1' }] }],
      }),
    );
    expect(bad.errors.map((e) => e.code)).toEqual(['routing.gateway']);
    expect(bad.errors[0]?.message).toContain('mgmt0 of filer filer1');
  });
});
