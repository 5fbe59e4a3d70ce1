import type { Cluster, Route, RoutingPolicy } from './cluster.js';
import type { Cidr } from './ip.js';
import { contains, formatCidr } from './ip.js';
import type { FilerIndex } from './hierarchy.js';
import { compareText } from './hierarchy.js';
import { objectNameProblem } from './names.js';
import type { Path, ProblemList } from './problems.js';
import { formatPath } from './problems.js';
import type { EffectiveRoute } from './spec-types.js';

/**
 * Routing (§3.1.1 and its notes): every vsvr has its own table; named policies are shared by
 * groups of vsvrs and may extend another policy, so a cluster-wide default is inherited and
 * overridden per group or per vsvr. mgmt#/san# aliases take policies too.
 */
export interface RoutingResult {
  readonly vsvrRoutes: ReadonlyMap<string, readonly EffectiveRoute[]>;
  /** filer name → alias → routes for the filer's addresses on that alias. */
  readonly aliasRoutes: ReadonlyMap<string, ReadonlyMap<string, readonly EffectiveRoute[]>>;
}

interface Sourced {
  readonly route: Route;
  readonly from: string;
}

/** Routes to the same destination with the same metric are the same entry of a table. */
function routeKey(r: Route): string {
  return `${r.to.family}|${r.to.value}/${r.to.prefix}|${r.metric ?? ''}`;
}

function describeTo(r: Route): string {
  return r.to.prefix === 0 ? 'default' : formatCidr(r.to);
}

export class RoutingResolver {
  private readonly policies = new Map<string, RoutingPolicy>();
  private readonly merged = new Map<string, Map<string, Sourced> | undefined>();
  /** Gateway failures of shared routes, gathered so one bad policy route is one problem. */
  private readonly gatewayFailures = new Map<
    string,
    { at: Path; message: string; users: string[] }
  >();

  constructor(
    private readonly cluster: Cluster,
    private readonly problems: ProblemList,
  ) {
    for (const p of cluster.routingPolicies) {
      const bad = objectNameProblem('routing policy', p.name);
      if (bad) {
        problems.error('name.invalid', [...p.at, 'name'], bad.reason, bad.hint);
      }
      const key = p.name.toLowerCase();
      if (this.policies.has(key)) {
        problems.error(
          'name.duplicate',
          [...p.at, 'name'],
          `routing policy ${p.name} is defined twice`,
          'merge the two policies or rename one',
        );
        continue;
      }
      this.policies.set(key, p);
      checkConflicts(p.routes, `policy ${p.name}`, problems);
    }
    for (const p of this.policies.values()) {
      this.resolve(p.name, [...p.at, 'name'], []);
    }
  }

  /** The merged routes of a policy and its ancestors, or undefined if it cannot be resolved. */
  private resolve(name: string, at: Path, trail: string[]): Map<string, Sourced> | undefined {
    const key = name.toLowerCase();
    if (this.merged.has(key)) {
      return this.merged.get(key);
    }
    const p = this.policies.get(key);
    if (!p) {
      this.problems.error(
        'routing.unknown-policy',
        at,
        `routing policy ${name} is not defined`,
        `define it under routingPolicies, or use one of: ${[...this.policies.values()].map((q) => q.name).join(', ') || '(none defined)'}`,
      );
      this.merged.set(key, undefined);
      return undefined;
    }
    if (trail.includes(key)) {
      this.problems.error(
        'routing.cycle',
        [...p.at, 'extends'],
        `routing policies extend each other in a loop: ${[...trail, key].join(' → ')}`,
        'break the loop: one policy must extend none',
      );
      this.merged.set(key, undefined);
      return undefined;
    }
    let base = new Map<string, Sourced>();
    if (p.extends !== undefined) {
      const parent = this.resolve(p.extends, [...p.at, 'extends'], [...trail, key]);
      if (!parent) {
        this.merged.set(key, undefined);
        return undefined;
      }
      base = new Map(parent);
    }
    for (const route of p.routes) {
      base.set(routeKey(route), { route, from: p.name });
    }
    this.merged.set(key, base);
    return base;
  }

  resolveAll(filers: ReadonlyMap<string, FilerIndex>): RoutingResult {
    const vsvrRoutes = new Map<string, readonly EffectiveRoute[]>();
    const fallback = this.cluster.defaultRoutingPolicy;
    const fallbackRoutes =
      fallback === undefined
        ? undefined
        : this.resolve(fallback, ['cluster', 'defaultRoutingPolicy'], []);
    for (const v of this.cluster.vsvrs) {
      const base =
        v.routingPolicy !== undefined
          ? this.resolve(v.routingPolicy, [...v.at, 'routingPolicy'], [])
          : fallbackRoutes;
      checkConflicts(v.routes, `vsvr ${v.name}`, this.problems);
      const table = new Map(base ?? []);
      for (const route of v.routes) {
        table.set(routeKey(route), { route, from: `vsvr ${v.name}` });
      }
      const subnets = v.addresses.map((a) => ({ alias: a.alias, address: a.address }));
      vsvrRoutes.set(v.name, this.effective(table, subnets, `vsvr ${v.name}`));
    }
    const aliasRoutes = new Map<string, Map<string, readonly EffectiveRoute[]>>();
    for (const index of filers.values()) {
      const perAlias = new Map<string, readonly EffectiveRoute[]>();
      for (const i of index.byName.values()) {
        if (i.routingPolicy === undefined) {
          continue;
        }
        const table = this.resolve(i.routingPolicy, [...i.at, 'routingPolicy'], []);
        const subnets = index.filer.addresses
          .filter((a) => a.alias === i.name)
          .map((a) => ({ alias: a.alias, address: a.address }));
        perAlias.set(
          i.name,
          this.effective(table ?? new Map(), subnets, `${i.name} of filer ${index.filer.name}`),
        );
      }
      aliasRoutes.set(index.filer.name, perAlias);
    }
    this.reportGatewayFailures();
    return { vsvrRoutes, aliasRoutes };
  }

  /** Checks each route against the owner's subnets: a gateway must be on-link (§5.2.3). */
  private effective(
    table: ReadonlyMap<string, Sourced>,
    subnets: readonly { alias: string; address: Cidr }[],
    owner: string,
  ): EffectiveRoute[] {
    const out: EffectiveRoute[] = [];
    for (const { route, from } of table.values()) {
      if (from !== owner && !subnets.some((s) => s.address.family === route.to.family)) {
        // A policy's route has nothing to apply to on an owner without any address of its family
        // (an IPv6-only vsvr under a dual-stack policy, a vsvr created before its addresses).
        // The owner's own routes are still checked: writing one that can never apply is a mistake.
        continue;
      }
      const usable = subnets.filter(
        (s) =>
          s.address.family === route.to.family &&
          (route.alias === undefined || s.alias === route.alias),
      );
      let failure: string | undefined;
      if (usable.length === 0) {
        const where = route.alias !== undefined ? ` on ${route.alias}` : '';
        failure = `the IPv${route.to.family} route to ${describeTo(route)} has no IPv${route.to.family} address of ${owner}${where} to leave from`;
      } else if (route.via && !usable.some((s) => contains(s.address, route.via as Cidr))) {
        failure = `gateway ${route.via.ip} of the route to ${describeTo(route)} is outside every subnet of ${owner}${route.alias !== undefined ? ` on ${route.alias}` : ''}`;
      }
      if (failure !== undefined) {
        this.noteGatewayFailure(route, failure, owner);
        continue;
      }
      const alias =
        route.alias ??
        (route.via ? usable.find((s) => contains(s.address, route.via as Cidr))?.alias : undefined);
      out.push({
        to: formatCidr(route.to),
        ...(route.via ? { via: route.via.ip } : {}),
        ...(alias !== undefined ? { alias } : {}),
        ...(route.metric !== undefined ? { metric: route.metric } : {}),
        from,
      });
    }
    return out.sort((a, b) => compareText(a.to, b.to) || (a.metric ?? 0) - (b.metric ?? 0));
  }

  private noteGatewayFailure(route: Route, message: string, owner: string): void {
    const key = formatPath(route.at);
    const entry = this.gatewayFailures.get(key) ?? { at: route.at, message, users: [] };
    entry.users.push(owner);
    this.gatewayFailures.set(key, entry);
  }

  private reportGatewayFailures(): void {
    for (const f of this.gatewayFailures.values()) {
      const users =
        f.users.length === 1
          ? ''
          : ` (and for ${f.users.length - 1} more: ${f.users.slice(1, 4).join(', ')}${f.users.length > 4 ? ', …' : ''})`;
      this.problems.error(
        'routing.gateway',
        f.at,
        `${f.message}${users}`,
        'use a gateway inside the subnet of one of its addresses, or override this route for those that cannot reach it',
      );
    }
  }
}

function checkConflicts(routes: readonly Route[], owner: string, problems: ProblemList): void {
  const seen = new Map<string, Route>();
  for (const r of routes) {
    const key = routeKey(r);
    const first = seen.get(key);
    if (first) {
      problems.error(
        'routing.conflict',
        r.at,
        `${owner} has two routes to ${describeTo(r)}${r.metric !== undefined ? ` with metric ${r.metric}` : ''} (the first at ${formatPath(first.at)})`,
        'keep one, or give them different metrics',
      );
    } else {
      seen.set(key, r);
    }
  }
}
