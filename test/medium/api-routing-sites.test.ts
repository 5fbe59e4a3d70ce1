import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import type { ClusterDocument, RouteDocument } from '@vsnet/model';
import { startControl } from './support/control-service.js';
import type { CallResult, RunningControl } from './support/control-service.js';
import { applyAsAdmin, exportAsAdmin, labCluster } from './support/documents.js';

// RoutingService and SiteService against a real control service and MariaDB, on the lab
// cluster (deploy/examples/lab-cluster.yaml): every RPC's success as Export and the reads show
// it, every refusal the protos promise with the field it names, and that a refusal writes
// nothing. The tests run in order and build on each other's changes.

interface Policy {
  name: string;
  extends?: string;
  routes: RouteDocument[];
}
interface Resolved {
  route: RouteDocument;
  from: string;
}
interface Site {
  name: string;
  subnets: string[];
}

let r: RunningControl;

async function exported(): Promise<{ document: ClusterDocument; generation: bigint }> {
  const { document, generation } = await exportAsAdmin(r);
  return { document, generation: BigInt(generation) };
}

function routing<Res = { generation: string }>(
  method: string,
  request: object,
  token = r.adminToken,
) {
  return r.call<Res>('RoutingService', method, request, token);
}

function sites<Res = { generation: string }>(
  method: string,
  request: object,
  token = r.adminToken,
) {
  return r.call<Res>('SiteService', method, request, token);
}

/** Runs a mutation that must succeed and move the generation by exactly one. */
async function changes<Res extends { generation: string }>(
  call: () => Promise<CallResult<Res>>,
): Promise<Res> {
  const before = (await exported()).generation;
  const { res, err } = await call();
  expect(err?.message).toBeUndefined();
  expect(BigInt(res?.generation ?? '0')).toBe(before + 1n);
  expect((await exported()).generation).toBe(before + 1n);
  return res as Res;
}

/**
 * Runs a call that must be refused with `code`, a BadRequest violation at `field` and
 * (when given) the ErrorInfo `reason`, leaving the generation where it was.
 */
async function refused(
  call: () => Promise<CallResult<unknown>>,
  code: status,
  field: string | RegExp,
  reason?: string,
): Promise<string> {
  const before = (await exported()).generation;
  const { res, err, details } = await call();
  expect(res).toBeUndefined();
  expect(status[err?.code ?? status.OK]).toBe(status[code]);
  const fields = details?.violations.map((v) => v.field) ?? [];
  if (typeof field === 'string') {
    expect(fields).toContain(field);
  } else {
    expect(fields.some((f) => field.test(f))).toBe(true);
  }
  if (reason !== undefined) {
    expect(details?.reason).toBe(reason);
  }
  expect((await exported()).generation).toBe(before);
  return err?.details ?? '';
}

/** Refused before anything is looked up: no details, nothing written. */
async function denied(call: () => Promise<CallResult<unknown>>): Promise<void> {
  const before = (await exported()).generation;
  const { err } = await call();
  expect(status[err?.code ?? status.OK]).toBe(status[status.PERMISSION_DENIED]);
  expect((await exported()).generation).toBe(before);
}

/** A message as the client decodes it, without proto-loader's synthetic oneof names (`_via`). */
function plain<T>(message: T): T {
  return JSON.parse(JSON.stringify(message), (key, value: unknown) =>
    key.startsWith('_') ? undefined : value,
  ) as T;
}

function policyIn(document: ClusterDocument, name: string) {
  return document.routingPolicies?.find((p) => p.name === name);
}

function vsvrIndex(document: ClusterDocument, name: string): number {
  return (document.vsvrs ?? []).findIndex((v) => v.name === name);
}

beforeAll(async () => {
  r = await startControl('routing');
  await applyAsAdmin(r, labCluster());
});

afterAll(async () => {
  await r?.stop();
});

describe('RoutingService: policies', () => {
  it('creates a policy with canonical routes; Export, Get and List show it', async () => {
    const res = await changes(() =>
      routing<{ policy: Policy; generation: string }>('CreateRoutingPolicy', {
        policy: {
          name: 'branch-office',
          extends: 'Cluster-Default',
          routes: [
            { to: '203.0.113.0/24', via: '198.51.100.254', metric: 20 },
            { to: 'default', via: '2001:DB8:1:100:0::fe' },
          ],
        },
      }),
    );
    const expected = {
      name: 'branch-office',
      extends: 'cluster-default',
      routes: [
        { to: '203.0.113.0/24', via: '198.51.100.254', metric: 20 },
        { to: '::/0', via: '2001:db8:1:100::fe' },
      ],
    };
    expect(plain(res.policy)).toEqual(expected);
    expect(policyIn((await exported()).document, 'branch-office')).toEqual(expected);
    const shown = await routing<{ policy: Policy; resolved: Resolved[]; usedBy: string[] }>(
      'GetRoutingPolicy',
      { name: 'BRANCH-OFFICE' },
    );
    expect(plain(shown.res?.policy)).toEqual(expected);
    // The IPv6 default overrides the inherited one; the IPv4 default is inherited.
    expect(plain(shown.res?.resolved)).toEqual([
      { route: { to: '0.0.0.0/0', via: '198.51.100.1' }, from: 'cluster-default' },
      { route: { to: '203.0.113.0/24', via: '198.51.100.254', metric: 20 }, from: 'branch-office' },
      { route: { to: '::/0', via: '2001:db8:1:100::fe' }, from: 'branch-office' },
    ]);
    expect(shown.res?.usedBy).toEqual([]);
  });

  it('refuses to create a policy: ALREADY_EXISTS, INVALID_ARGUMENT, FAILED_PRECONDITION', async () => {
    const next = `routingPolicies[${(await exported()).document.routingPolicies?.length}]`;
    const create = (policy: object) => () => routing('CreateRoutingPolicy', { policy });
    await refused(create({ name: 'MGMT' }), status.ALREADY_EXISTS, 'policy.name', 'name.duplicate');
    await refused(
      create({ name: 'bad', routes: [{ to: '203.0.113.0/33', via: '198.51.100.1' }] }),
      status.INVALID_ARGUMENT,
      `${next}.routes[0].to`,
    );
    await refused(
      create({ name: 'bad', routes: [{ to: '203.0.113.0/24', via: '198.51.100.1/24' }] }),
      status.INVALID_ARGUMENT,
      `${next}.routes[0].via`,
    );
    await refused(create({ name: '9bad' }), status.INVALID_ARGUMENT, `${next}.name`);
    await refused(() => routing('CreateRoutingPolicy', {}), status.INVALID_ARGUMENT, 'policy');
    await refused(
      create({ name: 'orphan', extends: 'nope' }),
      status.FAILED_PRECONDITION,
      'policy.extends',
      'routing.unknown-policy',
    );
    await refused(
      create({ name: 'loop', extends: 'loop' }),
      status.FAILED_PRECONDITION,
      `${next}.extends`,
      'routing.cycle',
    );
    await refused(
      create({
        name: 'twice',
        routes: [
          { to: '203.0.113.0/24', via: '198.51.100.1' },
          { to: '203.0.113.0/24', via: '198.51.100.2' },
        ],
      }),
      status.FAILED_PRECONDITION,
      `${next}.routes[1]`,
      'routing.conflict',
    );
  });

  it('shows who uses a policy, and answers NOT_FOUND for an unknown one', async () => {
    const usedBy = async (name: string) =>
      (await routing<{ usedBy: string[] }>('GetRoutingPolicy', { name })).res?.usedBy;
    expect(await usedBy('group-a')).toEqual(['eng']);
    expect(await usedBy('cluster-default')).toEqual(['legacy', 'sales']);
    expect(await usedBy('mgmt')).toEqual([
      'vs_mgmt',
      'filer1/mgmt0',
      'filer2/mgmt0',
      'filer3/mgmt0',
    ]);
    await refused(() => routing('GetRoutingPolicy', { name: 'nope' }), status.NOT_FOUND, 'name');
  });

  it('lists policies in name order, a page at a time', async () => {
    const list = (request: object) =>
      routing<{ policies: Policy[]; nextPageToken: string; generation: string }>(
        'ListRoutingPolicies',
        request,
      );
    const first = await list({ pageSize: 3 });
    expect(first.res?.policies.map((p) => p.name)).toEqual([
      'branch-office',
      'cluster-default',
      'group-a',
    ]);
    const rest = await list({ pageSize: 3, pageToken: first.res?.nextPageToken });
    expect(rest.res?.policies.map((p) => p.name)).toEqual(['group-b', 'mgmt']);
    expect(rest.res?.nextPageToken).toBe('');
    expect(BigInt(rest.res?.generation ?? '0')).toBe((await exported()).generation);
    await refused(() => list({ pageSize: 1001 }), status.INVALID_ARGUMENT, 'pageSize');
  });

  it('updates a policy’s extends and routes', async () => {
    const res = await changes(() =>
      routing<{ policy: Policy; generation: string }>('UpdateRoutingPolicy', {
        policy: {
          name: 'Branch-Office',
          routes: [{ to: '203.0.113.0/24', via: '198.51.100.253' }],
        },
      }),
    );
    const expected = {
      name: 'branch-office',
      routes: [{ to: '203.0.113.0/24', via: '198.51.100.253' }],
    };
    expect(plain(res.policy)).toEqual(expected);
    expect(policyIn((await exported()).document, 'branch-office')).toEqual(expected);
  });

  it('refuses to update a policy: NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION', async () => {
    const { document } = await exported();
    const groupB = `routingPolicies[${document.routingPolicies?.findIndex((p) => p.name === 'group-b')}]`;
    const update = (policy: object) => () => routing('UpdateRoutingPolicy', { policy });
    await refused(update({ name: 'nope' }), status.NOT_FOUND, 'policy.name', 'policy.unknown');
    await refused(
      update({ name: 'group-b', routes: [{ to: 'somewhere', via: '198.18.5.1' }] }),
      status.INVALID_ARGUMENT,
      `${groupB}.routes[0].to`,
    );
    await refused(
      update({ name: 'group-b', extends: 'nope' }),
      status.FAILED_PRECONDITION,
      'policy.extends',
      'routing.unknown-policy',
    );
    await refused(
      update({ name: 'cluster-default', extends: 'group-a' }),
      status.FAILED_PRECONDITION,
      /^routingPolicies\[\d+\]\.extends$/,
      'routing.cycle',
    );
    // archive (group-b) lives on 198.18.5.0/24 only: it cannot reach 198.51.100.1.
    await refused(
      update({ name: 'group-b', routes: [{ to: '198.19.0.0/16', via: '198.51.100.1' }] }),
      status.FAILED_PRECONDITION,
      `${groupB}.routes[0]`,
      'routing.gateway',
    );
  });

  it('sets, clears and restores the cluster default', async () => {
    await changes(() => routing('SetDefaultRoutingPolicy', { policy: 'BRANCH-OFFICE' }));
    expect((await exported()).document.cluster.defaultRoutingPolicy).toBe('branch-office');
    const sales = await routing<{ effective: Resolved[] }>('ListVsvrRoutes', { vsvr: 'sales' });
    expect(sales.res?.effective.map((e) => e.from)).toEqual(['branch-office']);
    await changes(() => routing('SetDefaultRoutingPolicy', {}));
    expect((await exported()).document.cluster).not.toHaveProperty('defaultRoutingPolicy');
    await changes(() => routing('SetDefaultRoutingPolicy', { policy: 'cluster-default' }));
    expect((await exported()).document.cluster.defaultRoutingPolicy).toBe('cluster-default');
  });

  it('refuses an unknown default policy with FAILED_PRECONDITION', async () => {
    await refused(
      () => routing('SetDefaultRoutingPolicy', { policy: 'nope' }),
      status.FAILED_PRECONDITION,
      'policy',
      'routing.unknown-policy',
    );
  });

  it('sets and clears a vsvr’s policy; ListVsvrRoutes follows', async () => {
    await changes(() =>
      routing('SetVsvrRoutingPolicy', { vsvr: 'SALES', policy: 'branch-office' }),
    );
    const { document } = await exported();
    expect(document.vsvrs?.[vsvrIndex(document, 'sales')]?.routingPolicy).toBe('branch-office');
    const routes = await routing<{ own: RouteDocument[]; effective: Resolved[] }>(
      'ListVsvrRoutes',
      {
        vsvr: 'sales',
      },
    );
    expect(routes.res?.own).toEqual([]);
    expect(plain(routes.res?.effective)).toEqual([
      {
        route: { to: '203.0.113.0/24', via: '198.51.100.253', alias: 'data0' },
        from: 'branch-office',
      },
    ]);
    await changes(() => routing('SetVsvrRoutingPolicy', { vsvr: 'sales' }));
    const after = (await exported()).document;
    expect(after.vsvrs?.[vsvrIndex(after, 'sales')]).not.toHaveProperty('routingPolicy');
  });

  it('refuses to set a vsvr’s policy: NOT_FOUND, FAILED_PRECONDITION', async () => {
    const { document } = await exported();
    const mgmt = document.routingPolicies?.findIndex((p) => p.name === 'mgmt');
    const set = (request: object) => () => routing('SetVsvrRoutingPolicy', request);
    await refused(set({ vsvr: 'nope', policy: 'mgmt' }), status.NOT_FOUND, 'vsvr', 'vsvr.unknown');
    await refused(
      set({ vsvr: 'sales', policy: 'nope' }),
      status.FAILED_PRECONDITION,
      'policy',
      'routing.unknown-policy',
    );
    // archive has no address in 192.0.2.0/25, where mgmt's gateway is.
    await refused(
      set({ vsvr: 'archive', policy: 'mgmt' }),
      status.FAILED_PRECONDITION,
      `routingPolicies[${mgmt}].routes[0]`,
      'routing.gateway',
    );
  });

  it('clears and sets the policy of a filer’s mgmt# alias', async () => {
    const mgmt0 = (document: ClusterDocument, filer: string) =>
      document.filers.find((f) => f.name === filer)?.interfaces.find((i) => i.name === 'mgmt0');
    await changes(() => routing('SetAliasRoutingPolicy', { filer: 'filer2', alias: 'mgmt0' }));
    expect(mgmt0((await exported()).document, 'filer2')).not.toHaveProperty('routingPolicy');
    await changes(() =>
      routing('SetAliasRoutingPolicy', { filer: 'FILER2', alias: 'MGMT0', policy: 'Mgmt' }),
    );
    expect(mgmt0((await exported()).document, 'filer2')?.routingPolicy).toBe('mgmt');
  });

  it('refuses to set an alias’s policy: NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION', async () => {
    const set = (request: object) => () => routing('SetAliasRoutingPolicy', request);
    await refused(
      set({ filer: 'nope', alias: 'mgmt0', policy: 'mgmt' }),
      status.NOT_FOUND,
      'filer',
    );
    await refused(
      set({ filer: 'filer3', alias: 'mgmt1', policy: 'mgmt' }),
      status.NOT_FOUND,
      'alias',
    );
    await refused(
      set({ filer: 'filer1', alias: 'data0', policy: 'mgmt' }),
      status.INVALID_ARGUMENT,
      'alias',
      'interface.kind',
    );
    await refused(
      set({ filer: 'filer1', alias: 'mgmt1', policy: 'nope' }),
      status.FAILED_PRECONDITION,
      'policy',
      'routing.unknown-policy',
    );
    // mgmt1 is 192.0.2.128/25; mgmt's gateway 192.0.2.1 is not on it.
    await refused(
      set({ filer: 'filer1', alias: 'mgmt1', policy: 'mgmt' }),
      status.FAILED_PRECONDITION,
      /^routingPolicies\[\d+\]\.routes\[0\]$/,
      'routing.gateway',
    );
  });
});

describe('RoutingService: routes of a vsvr', () => {
  it('adds a route of the vsvr’s own, which ListVsvrRoutes and Export show', async () => {
    const res = await changes(() =>
      routing<{ vsvr: { name: string; routes: RouteDocument[] }; generation: string }>(
        'AddVsvrRoute',
        { vsvr: 'Sales', route: { to: '198.19.0.0/16', via: '198.51.100.254' } },
      ),
    );
    expect(res.vsvr.name).toBe('sales');
    expect(plain(res.vsvr.routes)).toEqual([{ to: '198.19.0.0/16', via: '198.51.100.254' }]);
    const { document } = await exported();
    expect(document.vsvrs?.[vsvrIndex(document, 'sales')]?.routes).toEqual(plain(res.vsvr.routes));
    const listed = await routing<{ own: RouteDocument[]; effective: Resolved[] }>(
      'ListVsvrRoutes',
      {
        vsvr: 'sales',
      },
    );
    expect(plain(listed.res?.own)).toEqual(plain(res.vsvr.routes));
    expect(plain(listed.res?.effective)).toContainEqual({
      route: { to: '198.19.0.0/16', via: '198.51.100.254', alias: 'data0' },
      from: 'vsvr sales',
    });
    expect(plain(listed.res?.effective)).toContainEqual({
      route: { to: '0.0.0.0/0', via: '198.51.100.1', alias: 'data0' },
      from: 'cluster-default',
    });
  });

  it('refuses to add a route: NOT_FOUND, INVALID_ARGUMENT, ALREADY_EXISTS, FAILED_PRECONDITION', async () => {
    const { document } = await exported();
    const next = `vsvrs[${vsvrIndex(document, 'sales')}].routes[1]`;
    const add = (vsvr: string, route: object) => () => routing('AddVsvrRoute', { vsvr, route });
    await refused(add('nope', { to: 'default', via: '198.51.100.1' }), status.NOT_FOUND, 'vsvr');
    await refused(
      add('sales', { to: '198.19.0.0/15x', via: '198.51.100.254' }),
      status.INVALID_ARGUMENT,
      `${next}.to`,
    );
    await refused(
      add('sales', { to: '198.18.0.0/15', via: 'gateway' }),
      status.INVALID_ARGUMENT,
      `${next}.via`,
    );
    await refused(
      add('sales', { to: '198.19.0.0/16', via: '198.51.100.254', metric: 5 }),
      status.ALREADY_EXISTS,
      'route',
      'route.duplicate',
    );
    await refused(
      add('sales', { to: '198.18.0.0/15', via: '203.0.113.1' }),
      status.FAILED_PRECONDITION,
      next,
      'routing.gateway',
    );
    await refused(
      add('sales', { to: '198.19.0.0/16', via: '198.51.100.253' }),
      status.FAILED_PRECONDITION,
      next,
      'routing.conflict',
    );
  });

  it('removes a route of the vsvr’s own, answering it', async () => {
    const res = await changes(() =>
      routing<{ removed: RouteDocument; generation: string }>('RemoveVsvrRoute', {
        vsvr: 'sales',
        to: '198.19.0.0/16',
        via: '198.51.100.254',
      }),
    );
    expect(plain(res.removed)).toEqual({ to: '198.19.0.0/16', via: '198.51.100.254' });
    const { document } = await exported();
    expect(document.vsvrs?.[vsvrIndex(document, 'sales')]).not.toHaveProperty('routes');
    const listed = await routing<{ own: RouteDocument[] }>('ListVsvrRoutes', { vsvr: 'sales' });
    expect(listed.res?.own).toEqual([]);
  });

  it('refuses to remove a route: NOT_FOUND for the vsvr and the route', async () => {
    const remove = (request: object) => () => routing('RemoveVsvrRoute', request);
    await refused(remove({ vsvr: 'nope', to: 'default' }), status.NOT_FOUND, 'vsvr');
    await refused(
      remove({ vsvr: 'eng', to: '203.0.113.0/24', via: '198.18.1.1' }),
      status.NOT_FOUND,
      'to',
      'route.unknown',
    );
    await refused(() => routing('ListVsvrRoutes', { vsvr: 'nope' }), status.NOT_FOUND, 'vsvr');
  });
});

describe('RoutingService: deleting policies', () => {
  it('refuses to delete a policy still in use with FAILED_PRECONDITION naming the user', async () => {
    const remove = (name: string) => () => routing('DeleteRoutingPolicy', { name });
    const inUse = status.FAILED_PRECONDITION;
    expect(await refused(remove('group-a'), inUse, 'name', 'routing.policy-in-use')).toContain(
      'vsvr eng',
    );
    const mgmt = await refused(remove('mgmt'), inUse, 'name', 'routing.policy-in-use');
    expect(mgmt).toContain('vsvr vs_mgmt');
    expect(mgmt).toContain('alias filer1/mgmt0');
    const parent = await refused(remove('cluster-default'), inUse, 'name');
    expect(parent).toContain('policy group-a (extends it)');
    expect(parent).toContain('the cluster default');
    await changes(() => routing('SetDefaultRoutingPolicy', { policy: 'branch-office' }));
    expect(await refused(remove('branch-office'), inUse, 'name')).toContain('the cluster default');
    await changes(() => routing('SetDefaultRoutingPolicy', { policy: 'cluster-default' }));
    await refused(remove('nope'), status.NOT_FOUND, 'name');
  });

  it('deletes a policy nothing uses; Get then answers NOT_FOUND', async () => {
    await changes(() => routing('DeleteRoutingPolicy', { name: 'Branch-Office' }));
    expect(policyIn((await exported()).document, 'branch-office')).toBeUndefined();
    await refused(
      () => routing('GetRoutingPolicy', { name: 'branch-office' }),
      status.NOT_FOUND,
      'name',
    );
  });
});

describe('SiteService', () => {
  it('creates a site with canonical subnets; Export, Get and List show it', async () => {
    const res = await changes(() =>
      sites<{ site: Site; generation: string }>('CreateSite', {
        site: { name: 'annex', subnets: ['2001:DB8:3:0::/48'] },
      }),
    );
    expect(res.site).toEqual({ name: 'annex', subnets: ['2001:db8:3::/48'] });
    expect((await exported()).document.sites).toContainEqual(res.site);
    const shown = await sites<{ site: Site }>('GetSite', { name: 'ANNEX' });
    expect(shown.res?.site).toEqual(res.site);
    const first = await sites<{ sites: Site[]; nextPageToken: string }>('ListSites', {
      pageSize: 2,
    });
    expect(first.res?.sites.map((s) => s.name)).toEqual(['annex', 'branch']);
    const rest = await sites<{ sites: Site[]; nextPageToken: string }>('ListSites', {
      pageSize: 2,
      pageToken: first.res?.nextPageToken,
    });
    expect(rest.res?.sites.map((s) => s.name)).toEqual(['hq']);
    expect(rest.res?.nextPageToken).toBe('');
  });

  it('refuses to create a site: ALREADY_EXISTS, INVALID_ARGUMENT, FAILED_PRECONDITION', async () => {
    const next = `sites[${(await exported()).document.sites?.length}]`;
    const create = (site: object) => () => sites('CreateSite', { site });
    await refused(
      create({ name: 'HQ', subnets: ['2001:db8:4::/48'] }),
      status.ALREADY_EXISTS,
      'site.name',
      'name.duplicate',
    );
    await refused(
      create({ name: 'lab', subnets: ['2001:db8:4::1/48'] }),
      status.INVALID_ARGUMENT,
      `${next}.subnets[0]`,
    );
    await refused(create({ name: 'lab', subnets: [] }), status.INVALID_ARGUMENT, 'site.subnets');
    await refused(() => sites('CreateSite', {}), status.INVALID_ARGUMENT, 'site');
    await refused(
      create({ name: 'lab', subnets: ['2001:db8:4::/48', '198.51.100.128/25'] }),
      status.FAILED_PRECONDITION,
      `${next}.subnets[1]`,
      'site.overlap',
    );
  });

  it('updates a site’s subnets; the address worksheet follows', async () => {
    // 192.0.2.0/24 (vs_mgmt's subnet) moves from hq to annex: hq lets go of it first.
    const moved = await changes(() =>
      sites<{ site: Site; generation: string }>('UpdateSite', {
        site: { name: 'hq', subnets: ['198.51.100.0/24', '198.18.0.0/16', '2001:db8:1::/48'] },
      }),
    );
    expect(moved.site.name).toBe('hq');
    const annex = await changes(() =>
      sites<{ site: Site; generation: string }>('UpdateSite', {
        site: { name: 'Annex', subnets: ['2001:db8:3::/48', '192.0.2.0/24'] },
      }),
    );
    expect(annex.site).toEqual({ name: 'annex', subnets: ['2001:db8:3::/48', '192.0.2.0/24'] });
    const vsMgmt = await r.call<{ vsvr: { addresses: { site?: string }[] } }>(
      'VsvrService',
      'GetVsvr',
      { name: 'vs_mgmt' },
      r.adminToken,
    );
    expect(vsMgmt.res?.vsvr.addresses.map((a) => a.site)).toEqual(['annex']);
  });

  it('refuses to update a site: NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION', async () => {
    const { document } = await exported();
    const annex = `sites[${document.sites?.findIndex((s) => s.name === 'annex')}]`;
    const update = (site: object) => () => sites('UpdateSite', { site });
    await refused(
      update({ name: 'nope', subnets: ['2001:db8:4::/48'] }),
      status.NOT_FOUND,
      'site.name',
      'site.unknown',
    );
    await refused(
      update({ name: 'annex', subnets: ['2001:db8:3::/480'] }),
      status.INVALID_ARGUMENT,
      `${annex}.subnets[0]`,
    );
    await refused(
      update({ name: 'annex', subnets: ['203.0.113.0/25'] }),
      status.FAILED_PRECONDITION,
      /^sites\[\d+\]\.subnets\[\d+\]$/,
      'site.overlap',
    );
    await refused(() => sites('GetSite', { name: 'nope' }), status.NOT_FOUND, 'name');
  });

  it('deletes a site, and refuses an unknown one with NOT_FOUND', async () => {
    await changes(() => sites('DeleteSite', { name: 'ANNEX' }));
    expect((await exported()).document.sites?.map((s) => s.name)).toEqual(['hq', 'branch']);
    await refused(() => sites('DeleteSite', { name: 'annex' }), status.NOT_FOUND, 'name');
  });
});

describe('roles', () => {
  let ops: string;
  let reader: string;

  beforeAll(async () => {
    const created = await r.call(
      'VsvrService',
      'CreateVsvr',
      { name: 'VsvrA', failoverGroup: { filers: ['filer1', 'filer2'] } },
      r.adminToken,
    );
    expect(created.err?.message).toBeUndefined();
    const added = await r.call(
      'VsvrService',
      'AddAddress',
      { vsvr: 'VsvrA', alias: 'data0', address: '198.51.100.71/24', nextFree: true },
      r.adminToken,
    );
    expect(added.err?.message).toBeUndefined();
    ops = await r.principal('ops', 'vsvr-network', ['VsvrA']);
    reader = await r.principal('auditor', 'read-only');
  });

  it('lets a vsvr-scoped principal change its vsvr’s routes and policy', async () => {
    const route = { to: '198.19.0.0/16', via: '198.51.100.254' };
    await changes(() => routing('AddVsvrRoute', { vsvr: 'vsvra', route }, ops));
    await changes(() =>
      routing('SetVsvrRoutingPolicy', { vsvr: 'VsvrA', policy: 'cluster-default' }, ops),
    );
    await changes(() => routing('RemoveVsvrRoute', { vsvr: 'VsvrA', to: '198.19.0.0/16' }, ops));
    const listed = await routing<{ own: RouteDocument[] }>(
      'ListVsvrRoutes',
      { vsvr: 'VsvrA' },
      ops,
    );
    expect(listed.res?.own).toEqual([]);
  });

  it('refuses a vsvr-scoped principal another vsvr, policies, aliases and sites', async () => {
    const route = { to: '198.19.0.0/16', via: '198.51.100.254' };
    await denied(() => routing('AddVsvrRoute', { vsvr: 'sales', route }, ops));
    await denied(() => routing('AddVsvrRoute', { vsvr: 'nope', route }, ops));
    await denied(() => routing('SetVsvrRoutingPolicy', { vsvr: 'sales' }, ops));
    await denied(() => routing('CreateRoutingPolicy', { policy: { name: 'mine' } }, ops));
    await denied(() => routing('SetDefaultRoutingPolicy', {}, ops));
    await denied(() => routing('SetAliasRoutingPolicy', { filer: 'filer1', alias: 'mgmt0' }, ops));
    await denied(() =>
      sites('CreateSite', { site: { name: 'mine', subnets: ['2001:db8:5::/48'] } }, ops),
    );
  });

  it('lets a read-only principal read and nothing else', async () => {
    const listed = await routing<{ policies: Policy[] }>('ListRoutingPolicies', {}, reader);
    expect(listed.res?.policies.length).toBeGreaterThan(0);
    const site = await sites<{ site: Site }>('GetSite', { name: 'hq' }, reader);
    expect(site.res?.site.name).toBe('hq');
    await denied(() => routing('DeleteRoutingPolicy', { name: 'group-b' }, reader));
    await denied(() => sites('DeleteSite', { name: 'hq' }, reader));
  });

  it('refuses a call without a token with UNAUTHENTICATED', async () => {
    const { err } = await r.call('SiteService', 'ListSites', {});
    expect(status[err?.code ?? status.OK]).toBe(status[status.UNAUTHENTICATED]);
  });
});
