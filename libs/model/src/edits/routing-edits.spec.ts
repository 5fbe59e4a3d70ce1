import { describe, expect, it } from '@jest/globals';
import type { ClusterDocument } from '../document-types.js';
import { check } from '../testing/analyze-document.js';
import { clusterDoc, filerDoc, TEST_CLUSTER_MAC, vsvrDoc } from '../testing/documents.js';
import { expectRefused, refusalOf, verdictOf } from '../testing/edit-refusals.js';
import { resolvedPolicyRoutes, routingPolicyUsers } from './route-identity.js';
import {
  addVsvrRoute,
  createRoutingPolicy,
  deleteRoutingPolicy,
  removeVsvrRoute,
  setAliasRoutingPolicy,
  setDefaultRoutingPolicy,
  setVsvrRoutingPolicy,
  updateRoutingPolicy,
} from './routing-edits.js';

/**
 * vs1 takes the default `base`; vs2 takes `group` (extends base); filer1's mgmt0 takes `mgmt`;
 * `spare` is used by nothing. vs1 has one route of its own.
 */
function routed(): ClusterDocument {
  const filer1 = filerDoc('filer1', { addresses: [{ alias: 'mgmt0', address: '192.0.2.11/24' }] });
  filer1.interfaces = filer1.interfaces.map((i) =>
    i.name === 'mgmt0' ? { ...i, routingPolicy: 'mgmt' } : i,
  );
  const on = (address: string) => ({
    failoverGroup: ['filer1', 'filer2'],
    addresses: [{ alias: 'data0', address }],
  });
  return clusterDoc({
    cluster: { name: 'test', mac: TEST_CLUSTER_MAC, defaultRoutingPolicy: 'base' },
    filers: [
      filer1,
      filerDoc('filer2', { addresses: [{ alias: 'mgmt0', address: '192.0.2.12/24' }] }),
    ],
    vsvrs: [
      vsvrDoc('vs1', {
        ...on('198.51.100.10/24'),
        routes: [{ to: '203.0.113.0/24', via: '198.51.100.254' }],
      }),
      vsvrDoc('vs2', { ...on('198.51.100.20/24'), routingPolicy: 'group' }),
    ],
    routingPolicies: [
      { name: 'base', routes: [{ to: 'default', via: '198.51.100.1' }] },
      { name: 'group', extends: 'base', routes: [{ to: '192.0.2.128/25', via: '198.51.100.2' }] },
      { name: 'mgmt', routes: [{ to: 'default', via: '192.0.2.1' }] },
      { name: 'spare', routes: [] },
    ],
  });
}

const policy = (doc: ClusterDocument, name: string) =>
  doc.routingPolicies?.find((p) => p.name === name);
const vsvr = (doc: ClusterDocument, name: string) => doc.vsvrs?.find((v) => v.name === name);

describe('the fixture', () => {
  it('is a valid cluster', () => {
    expect(check(routed()).errors).toEqual([]);
  });
});

describe('createRoutingPolicy', () => {
  it('adds the policy with canonical routes, which the model accepts, leaving its input alone', () => {
    const current = routed();
    const planned = createRoutingPolicy(current, {
      name: 'branch',
      extends: 'BASE',
      routes: [
        { to: '2001:DB8:2::/48', via: '2001:db8:0:0::1', metric: 5 },
        { to: 'default', via: '198.51.100.3' },
      ],
    });
    expect(policy(planned.document, 'branch')).toEqual({
      name: 'branch',
      extends: 'base',
      routes: [
        { to: '2001:db8:2::/48', via: '2001:db8::1', metric: 5 },
        { to: '0.0.0.0/0', via: '198.51.100.3' },
      ],
    });
    expect(planned.target).toBe('routing policy branch');
    expect(verdictOf(planned)).toBeUndefined();
    expect(current).toEqual(routed());
  });

  it('refuses an uninitialized cluster', () => {
    const refusal = refusalOf(() => createRoutingPolicy(undefined, { name: 'p' }));
    expectRefused(refusal, 'failed-precondition', 'cluster', 'cluster.uninitialized');
  });

  it('refuses an empty name', () => {
    const refusal = refusalOf(() => createRoutingPolicy(routed(), { name: ' ' }));
    expectRefused(refusal, 'invalid-argument', 'policy.name');
  });

  it('refuses a name that exists in another case', () => {
    const refusal = refusalOf(() => createRoutingPolicy(routed(), { name: 'Spare' }));
    expectRefused(refusal, 'already-exists', 'policy.name', 'name.duplicate');
    expect(refusal.message).toContain('"spare"');
  });

  it('refuses an unknown parent, naming the policies there are', () => {
    const refusal = refusalOf(() => createRoutingPolicy(routed(), { name: 'p', extends: 'nope' }));
    expectRefused(refusal, 'failed-precondition', 'policy.extends', 'routing.unknown-policy');
    expect(refusal.message).toContain('base, group, mgmt, spare');
  });

  it('leaves a policy extending itself to the model: a cycle', () => {
    const planned = createRoutingPolicy(routed(), { name: 'loop', extends: 'loop' });
    expectRefused(
      verdictOf(planned),
      'failed-precondition',
      'routingPolicies[4].extends',
      'routing.cycle',
    );
  });

  it('leaves malformed names and routes to the model, at their document paths', () => {
    const badName = createRoutingPolicy(routed(), { name: '9lives' });
    expectRefused(
      verdictOf(badName),
      'invalid-argument',
      'routingPolicies[4].name',
      'name.invalid',
    );
    const badTo = createRoutingPolicy(routed(), {
      name: 'p',
      routes: [{ to: '203.0.113.0/33', via: '198.51.100.1' }],
    });
    expectRefused(verdictOf(badTo), 'invalid-argument', 'routingPolicies[4].routes[0].to');
  });

  it('leaves two routes with one key to the model: a conflict', () => {
    const planned = createRoutingPolicy(routed(), {
      name: 'p',
      routes: [
        { to: '203.0.113.0/24', via: '198.51.100.1' },
        { to: '203.0.113.0/24', via: '198.51.100.2' },
      ],
    });
    expectRefused(
      verdictOf(planned),
      'failed-precondition',
      'routingPolicies[4].routes[1]',
      'routing.conflict',
    );
  });
});

describe('updateRoutingPolicy', () => {
  it('replaces extends and routes, keeping the name as stored', () => {
    const planned = updateRoutingPolicy(routed(), {
      name: 'GROUP',
      routes: [{ to: 'default', via: '198.51.100.9' }],
    });
    expect(policy(planned.document, 'group')).toEqual({
      name: 'group',
      routes: [{ to: '0.0.0.0/0', via: '198.51.100.9' }],
    });
    expect(planned.before).toContain('extends base');
    expect(verdictOf(planned)).toBeUndefined();
  });

  it('refuses an unknown policy', () => {
    const refusal = refusalOf(() => updateRoutingPolicy(routed(), { name: 'nope' }));
    expectRefused(refusal, 'not-found', 'policy.name', 'policy.unknown');
  });

  it('refuses an unknown parent', () => {
    const refusal = refusalOf(() => updateRoutingPolicy(routed(), { name: 'group', extends: 'x' }));
    expectRefused(refusal, 'failed-precondition', 'policy.extends', 'routing.unknown-policy');
  });

  it('leaves a loop through extends to the model', () => {
    const planned = updateRoutingPolicy(routed(), { name: 'base', extends: 'group' });
    const verdict = verdictOf(planned);
    expectRefused(verdict, 'failed-precondition', 'routingPolicies[0].extends', 'routing.cycle');
  });

  it('leaves a gateway that the policy’s users cannot reach to the model', () => {
    const planned = updateRoutingPolicy(routed(), {
      name: 'base',
      routes: [{ to: 'default', via: '203.0.113.1' }],
    });
    const verdict = verdictOf(planned);
    expectRefused(
      verdict,
      'failed-precondition',
      'routingPolicies[0].routes[0]',
      'routing.gateway',
    );
  });
});

describe('deleteRoutingPolicy', () => {
  it('deletes a policy nothing uses', () => {
    const planned = deleteRoutingPolicy(routed(), 'SPARE');
    expect(planned.document.routingPolicies?.map((p) => p.name)).toEqual(['base', 'group', 'mgmt']);
    expect(planned.after).toBe('');
    expect(verdictOf(planned)).toBeUndefined();
  });

  it('refuses an unknown policy', () => {
    expectRefused(
      refusalOf(() => deleteRoutingPolicy(routed(), 'nope')),
      'not-found',
      'name',
    );
  });

  it.each([
    ['group', 'vsvr vs2'],
    ['mgmt', 'alias filer1/mgmt0'],
    ['base', 'policy group (extends it)'],
    ['base', 'the cluster default'],
  ])('refuses to delete %s while %s uses it', (name, user) => {
    const refusal = refusalOf(() => deleteRoutingPolicy(routed(), name));
    expectRefused(refusal, 'failed-precondition', 'name', 'routing.policy-in-use');
    expect(refusal.message).toContain(user);
  });
});

describe('setDefaultRoutingPolicy', () => {
  it('sets the default as the policy spells its name, and clears it', () => {
    const set = setDefaultRoutingPolicy(routed(), 'GROUP');
    expect(set.document.cluster.defaultRoutingPolicy).toBe('group');
    expect(verdictOf(set)).toBeUndefined();
    const cleared = setDefaultRoutingPolicy(routed(), undefined);
    expect(cleared.document.cluster).not.toHaveProperty('defaultRoutingPolicy');
    expect(verdictOf(cleared)).toBeUndefined();
  });

  it('refuses an unknown policy', () => {
    const refusal = refusalOf(() => setDefaultRoutingPolicy(routed(), 'nope'));
    expectRefused(refusal, 'failed-precondition', 'policy', 'routing.unknown-policy');
  });

  it('leaves a default whose gateway a vsvr cannot reach to the model', () => {
    const verdict = verdictOf(setDefaultRoutingPolicy(routed(), 'mgmt'));
    expectRefused(
      verdict,
      'failed-precondition',
      'routingPolicies[2].routes[0]',
      'routing.gateway',
    );
  });
});

describe('setVsvrRoutingPolicy', () => {
  it('sets and clears a vsvr’s policy', () => {
    const set = setVsvrRoutingPolicy(routed(), 'VS1', 'spare');
    expect(vsvr(set.document, 'vs1')?.routingPolicy).toBe('spare');
    expect(verdictOf(set)).toBeUndefined();
    const cleared = setVsvrRoutingPolicy(routed(), 'vs2', undefined);
    expect(vsvr(cleared.document, 'vs2')).not.toHaveProperty('routingPolicy');
  });

  it('refuses an unknown vsvr', () => {
    const refusal = refusalOf(() => setVsvrRoutingPolicy(routed(), 'nope', 'base'));
    expectRefused(refusal, 'not-found', 'vsvr', 'vsvr.unknown');
  });

  it('refuses an unknown policy', () => {
    const refusal = refusalOf(() => setVsvrRoutingPolicy(routed(), 'vs1', 'nope'));
    expectRefused(refusal, 'failed-precondition', 'policy', 'routing.unknown-policy');
  });

  it('leaves an unreachable gateway to the model', () => {
    const verdict = verdictOf(setVsvrRoutingPolicy(routed(), 'vs1', 'mgmt'));
    expectRefused(
      verdict,
      'failed-precondition',
      'routingPolicies[2].routes[0]',
      'routing.gateway',
    );
  });
});

describe('setAliasRoutingPolicy', () => {
  it('sets and clears the policy of a mgmt# alias', () => {
    const set = setAliasRoutingPolicy(routed(), 'FILER2', 'MGMT0', 'mgmt');
    const mgmt0 = set.document.filers[1]?.interfaces.find((i) => i.name === 'mgmt0');
    expect(mgmt0?.routingPolicy).toBe('mgmt');
    expect(set.target).toBe('filer filer2 mgmt0');
    expect(verdictOf(set)).toBeUndefined();
    const cleared = setAliasRoutingPolicy(routed(), 'filer1', 'mgmt0', undefined);
    const was = cleared.document.filers[0]?.interfaces.find((i) => i.name === 'mgmt0');
    expect(was).not.toHaveProperty('routingPolicy');
  });

  it('refuses an unknown filer', () => {
    const refusal = refusalOf(() => setAliasRoutingPolicy(routed(), 'nope', 'mgmt0', 'mgmt'));
    expectRefused(refusal, 'not-found', 'filer', 'filer.unknown');
  });

  it('refuses an alias the filer does not have, naming the ones it has', () => {
    const refusal = refusalOf(() => setAliasRoutingPolicy(routed(), 'filer1', 'san0', 'mgmt'));
    expectRefused(refusal, 'not-found', 'alias');
    expect(refusal.message).toContain('are: mgmt0');
  });

  it.each(['data0', 'eth0'])('refuses %s: not a mgmt# or san# alias', (alias) => {
    const refusal = refusalOf(() => setAliasRoutingPolicy(routed(), 'filer1', alias, 'mgmt'));
    expectRefused(refusal, 'invalid-argument', 'alias', 'interface.kind');
  });

  it('refuses an unknown policy', () => {
    const refusal = refusalOf(() => setAliasRoutingPolicy(routed(), 'filer1', 'mgmt0', 'x'));
    expectRefused(refusal, 'failed-precondition', 'policy', 'routing.unknown-policy');
  });
});

describe('addVsvrRoute', () => {
  it('adds a canonical route of the vsvr’s own, which overrides its policy’s', () => {
    const planned = addVsvrRoute(routed(), 'vs2', { to: 'DEFAULT', via: '198.51.100.3' });
    expect(vsvr(planned.document, 'vs2')?.routes).toEqual([
      { to: '0.0.0.0/0', via: '198.51.100.3' },
    ]);
    expect(planned.result.name).toBe('vs2');
    expect(verdictOf(planned)).toBeUndefined();
    const table = check(planned.document).analysis.routing.vsvrRoutes.get('vs2');
    expect(table?.find((r) => r.to === '0.0.0.0/0')).toMatchObject({
      via: '198.51.100.3',
      from: 'vsvr vs2',
    });
  });

  it('refuses an unknown vsvr', () => {
    const refusal = refusalOf(() =>
      addVsvrRoute(routed(), 'nope', { to: 'default', via: '198.51.100.3' }),
    );
    expectRefused(refusal, 'not-found', 'vsvr', 'vsvr.unknown');
  });

  it('refuses a missing route and a missing destination', () => {
    expectRefused(
      refusalOf(() => addVsvrRoute(routed(), 'vs1', undefined)),
      'invalid-argument',
      'route',
    );
    const noTo = refusalOf(() => addVsvrRoute(routed(), 'vs1', { to: '', via: '198.51.100.3' }));
    expectRefused(noTo, 'invalid-argument', 'route.to');
  });

  it('refuses a route with the destination and gateway of one it has, whatever its metric', () => {
    const refusal = refusalOf(() =>
      addVsvrRoute(routed(), 'vs1', { to: '203.0.113.0/24', via: '198.51.100.254', metric: 7 }),
    );
    expectRefused(refusal, 'already-exists', 'route', 'route.duplicate');
  });

  it('leaves a malformed destination to the model, at its document path', () => {
    const planned = addVsvrRoute(routed(), 'vs1', { to: '203.0.113.7/24', via: '198.51.100.3' });
    expectRefused(verdictOf(planned), 'invalid-argument', 'vsvrs[0].routes[1].to');
  });

  it('leaves an unreachable gateway and a conflicting route to the model', () => {
    const offLink = addVsvrRoute(routed(), 'vs1', { to: '192.0.2.0/25', via: '203.0.113.1' });
    expectRefused(
      verdictOf(offLink),
      'failed-precondition',
      'vsvrs[0].routes[1]',
      'routing.gateway',
    );
    const conflict = addVsvrRoute(routed(), 'vs1', { to: '203.0.113.0/24', via: '198.51.100.253' });
    expectRefused(
      verdictOf(conflict),
      'failed-precondition',
      'vsvrs[0].routes[1]',
      'routing.conflict',
    );
  });
});

describe('removeVsvrRoute', () => {
  /** vs1 with a second route to 203.0.113.0/24 (another metric) and an IPv4 default. */
  function twoRoutes(): ClusterDocument {
    const doc = routed();
    const vs1 = vsvr(doc, 'vs1');
    vs1?.routes?.push(
      { to: '203.0.113.0/24', via: '198.51.100.253', metric: 10 },
      { to: '0.0.0.0/0', via: '198.51.100.5' },
    );
    return doc;
  }

  it('removes the route named by destination alone, and by destination and gateway', () => {
    const planned = removeVsvrRoute(routed(), 'vs1', '203.0.113.0/24', undefined);
    expect(planned.result).toEqual({ to: '203.0.113.0/24', via: '198.51.100.254' });
    expect(vsvr(planned.document, 'vs1')).not.toHaveProperty('routes');
    const byGateway = removeVsvrRoute(twoRoutes(), 'vs1', '203.0.113.0/24', '198.51.100.253');
    expect(byGateway.result.metric).toBe(10);
    expect(vsvr(byGateway.document, 'vs1')?.routes).toHaveLength(2);
  });

  it('names a default route by `default`', () => {
    const planned = removeVsvrRoute(twoRoutes(), 'vs1', 'default', undefined);
    expect(planned.result).toEqual({ to: '0.0.0.0/0', via: '198.51.100.5' });
  });

  it('refuses an unknown vsvr', () => {
    const refusal = refusalOf(() => removeVsvrRoute(routed(), 'nope', 'default', undefined));
    expectRefused(refusal, 'not-found', 'vsvr', 'vsvr.unknown');
  });

  it.each([
    ['', undefined, 'to'],
    ['203.0.113.0', undefined, 'to'],
    ['203.0.113.0/24', '198.51.100.254/24', 'via'],
  ])('refuses the malformed destination %j via %j at %s', (to, via, field) => {
    const refusal = refusalOf(() => removeVsvrRoute(routed(), 'vs1', to, via));
    expectRefused(refusal, 'invalid-argument', field);
  });

  it('refuses a route the vsvr does not have of its own', () => {
    const refusal = refusalOf(() =>
      removeVsvrRoute(routed(), 'vs1', '203.0.113.0/24', '198.51.100.1'),
    );
    expectRefused(refusal, 'not-found', 'to', 'route.unknown');
    expect(refusal.message).toContain('203.0.113.0/24 via 198.51.100.254');
  });

  it('refuses a destination that names two routes until the gateway is given', () => {
    const refusal = refusalOf(() =>
      removeVsvrRoute(twoRoutes(), 'vs1', '203.0.113.0/24', undefined),
    );
    expectRefused(refusal, 'invalid-argument', 'via', 'route.ambiguous');
  });
});

describe('reading policies', () => {
  it('resolves a policy through its parent, the child’s routes overriding by key', () => {
    const doc = routed();
    policy(doc, 'group')?.routes?.push({ to: 'default', via: '198.51.100.2' });
    expect(resolvedPolicyRoutes(doc, 'GROUP')).toEqual([
      { route: { to: '192.0.2.128/25', via: '198.51.100.2' }, from: 'group' },
      { route: { to: 'default', via: '198.51.100.2' }, from: 'group' },
    ]);
    expect(resolvedPolicyRoutes(doc, 'base')).toEqual([
      { route: { to: 'default', via: '198.51.100.1' }, from: 'base' },
    ]);
  });

  it('names everything that uses a policy', () => {
    expect(routingPolicyUsers(routed(), 'base')).toEqual({
      vsvrs: [],
      byDefault: ['vs1'],
      aliases: [],
      extendedBy: ['group'],
      isClusterDefault: true,
    });
    expect(routingPolicyUsers(routed(), 'MGMT').aliases).toEqual(['filer1/mgmt0']);
  });
});
