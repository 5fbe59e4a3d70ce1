import type { ClusterDocument, RouteDocument } from '../document-types.js';
import { compareText } from '../hierarchy.js';
import { formatCidr, parseCidr, parseIp } from '../ip.js';
import { EditRefusal } from './edit-refusal.js';

// Routes as the routing API names them: within its owner a route is identified by its
// destination `to` and gateway `via`, both canonical (`default` becomes 0.0.0.0/0 or ::/0
// after the family of `via`, the way the model stores it).

/** A routing policy as the document holds it. */
export type RoutingPolicyDocument = NonNullable<ClusterDocument['routingPolicies']>[number];

/** The gateway in canonical form, or undefined when it is not an address. */
export function canonicalVia(via: string): string | undefined {
  const ip = parseIp(via);
  return ip.ok ? ip.value.ip : undefined;
}

/**
 * The destination in canonical form, or undefined when it cannot be told: not a subnet, or
 * `default` without a usable gateway (then either family's default matches).
 */
export function canonicalTo(to: string, via: string | undefined): string | undefined {
  if (to.trim().toLowerCase() === 'default') {
    const gateway = via === undefined ? undefined : parseIp(via);
    if (gateway === undefined || !gateway.ok) {
      return undefined;
    }
    return gateway.value.family === 4 ? '0.0.0.0/0' : '::/0';
  }
  const subnet = parseCidr(to);
  return subnet.ok ? formatCidr(subnet.value) : undefined;
}

/**
 * The route with `to` and `via` in canonical form where they parse; what does not parse is
 * kept as written, so the model refuses it at its document path.
 */
export function canonicalRoute(route: RouteDocument): RouteDocument {
  const via = route.via === undefined ? undefined : (canonicalVia(route.via) ?? route.via);
  return {
    to: canonicalTo(route.to, route.via) ?? route.to,
    ...(via !== undefined ? { via } : {}),
    ...(route.alias !== undefined ? { alias: route.alias } : {}),
    ...(route.metric !== undefined ? { metric: route.metric } : {}),
  };
}

/** Whether `route` is the one the caller names by destination and, optionally, gateway. */
export function routeMatches(route: RouteDocument, to: string, via: string | undefined): boolean {
  const wantedVia = via === undefined ? undefined : canonicalVia(via);
  const haveVia = route.via === undefined ? undefined : canonicalVia(route.via);
  if (via !== undefined && wantedVia !== haveVia) {
    return false;
  }
  const haveTo = canonicalTo(route.to, route.via);
  if (to.trim().toLowerCase() === 'default' && via === undefined) {
    return haveTo === '0.0.0.0/0' || haveTo === '::/0';
  }
  return haveTo !== undefined && haveTo === canonicalTo(to, via);
}

/** One line for audit rows and messages: `203.0.113.0/24 via 198.18.1.1 on data1 metric 100`. */
export function describeRoute(r: RouteDocument): string {
  const via = r.via === undefined ? '' : ` via ${r.via}`;
  const alias = r.alias === undefined ? '' : ` on ${r.alias}`;
  const metric = r.metric === undefined ? '' : ` metric ${r.metric}`;
  return `${r.to}${via}${alias}${metric}`;
}

/** One line for audit rows describing a routing policy. */
export function describeRoutingPolicy(p: RoutingPolicyDocument): string {
  const parent = p.extends === undefined ? '' : ` extends ${p.extends}`;
  const routes = (p.routes ?? []).map(describeRoute).join(', ');
  return `${p.name}${parent}; routes: ${routes === '' ? 'none' : routes}`;
}

/** Index of the policy named `name` (policy names are unique without regard to case). */
export function findRoutingPolicy(document: ClusterDocument, name: string): number {
  const lower = name.toLowerCase();
  return (document.routingPolicies ?? []).findIndex((p) => p.name.toLowerCase() === lower);
}

/** A route of a policy after inheritance, with the policy it came from. */
export interface ResolvedPolicyRoute {
  readonly route: RouteDocument;
  readonly from: string;
}

/**
 * The routes policy `name` resolves to: its `extends` chain from the root, each policy
 * overriding inherited routes with the same key (destination and metric), the model's rule
 * (docs/cluster-document.md, which routes apply). In destination order; empty for an unknown
 * policy. A loop (which the model refuses) ends the chain where it closes.
 */
export function resolvedPolicyRoutes(
  document: ClusterDocument,
  name: string,
): ResolvedPolicyRoute[] {
  const policies = document.routingPolicies ?? [];
  const chain: RoutingPolicyDocument[] = [];
  const seen = new Set<string>();
  let next: string | undefined = name;
  while (next !== undefined && !seen.has(next.toLowerCase())) {
    seen.add(next.toLowerCase());
    const policy: RoutingPolicyDocument | undefined = policies[findRoutingPolicy(document, next)];
    if (policy === undefined) {
      break;
    }
    chain.unshift(policy);
    next = policy.extends;
  }
  const table = new Map<string, ResolvedPolicyRoute>();
  for (const policy of chain) {
    for (const route of policy.routes ?? []) {
      const key = `${canonicalTo(route.to, route.via) ?? route.to}|${route.metric ?? ''}`;
      table.set(key, { route, from: policy.name });
    }
  }
  return [...table.values()].sort(
    (a, b) => compareText(a.route.to, b.route.to) || (a.route.metric ?? 0) - (b.route.metric ?? 0),
  );
}

/** What refers to a routing policy by name. */
export interface RoutingPolicyUsers {
  /** Vsvrs that name the policy. */
  readonly vsvrs: readonly string[];
  /** Vsvrs that name no policy, when this one is the cluster default. */
  readonly byDefault: readonly string[];
  /** `<filer>/<alias>` of the mgmt#/san# aliases that name it. */
  readonly aliases: readonly string[];
  /** Policies whose `extends` names it. */
  readonly extendedBy: readonly string[];
  readonly isClusterDefault: boolean;
}

/** Everything in the document that names policy `name` (compared without regard to case). */
export function routingPolicyUsers(document: ClusterDocument, name: string): RoutingPolicyUsers {
  const lower = name.toLowerCase();
  const names = (value: string | undefined) => value?.toLowerCase() === lower;
  const isClusterDefault = names(document.cluster.defaultRoutingPolicy);
  const vsvrs = document.vsvrs ?? [];
  return {
    vsvrs: vsvrs.filter((v) => names(v.routingPolicy)).map((v) => v.name),
    byDefault: isClusterDefault
      ? vsvrs.filter((v) => v.routingPolicy === undefined).map((v) => v.name)
      : [],
    aliases: document.filers.flatMap((f) =>
      f.interfaces.filter((i) => names(i.routingPolicy)).map((i) => `${f.name}/${i.name}`),
    ),
    extendedBy: (document.routingPolicies ?? []).filter((p) => names(p.extends)).map((p) => p.name),
    isClusterDefault,
  };
}

/** The index of the policy `name` names, or NOT_FOUND at `field`. */
export function requireRoutingPolicy(
  document: ClusterDocument,
  name: string,
  field: string,
): number {
  const index = findRoutingPolicy(document, name);
  if (index < 0) {
    throw EditRefusal.field(
      'not-found',
      field,
      `no routing policy is named "${name}"; the cluster has: ${policyNames(document)}`,
      'policy.unknown',
    );
  }
  return index;
}

/**
 * The name of the policy a reference (`extends`, a vsvr's or alias's policy, the default)
 * names, as the policy spells it as the policy spells it; FAILED_PRECONDITION at `field` when
 * there is none.
 */
export function knownPolicyName(document: ClusterDocument, name: string, field: string): string {
  const policy = document.routingPolicies?.[findRoutingPolicy(document, name)];
  if (policy === undefined) {
    throw EditRefusal.field(
      'failed-precondition',
      field,
      `no routing policy is named "${name}"; create it first, or use one of: ${policyNames(document)}`,
      'routing.unknown-policy',
    );
  }
  return policy.name;
}

/** The names of the cluster's policies, for messages. */
export function policyNames(document: ClusterDocument): string {
  const names = (document.routingPolicies ?? []).map((p) => p.name);
  return names.length === 0 ? '(none defined)' : names.join(', ');
}
