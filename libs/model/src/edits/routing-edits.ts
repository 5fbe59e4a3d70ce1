import type {
  ClusterDocument,
  InterfaceDocument,
  RouteDocument,
  VsvrDocument,
} from '../document-types.js';
import { parseInterfaceName } from '../names.js';
import {
  describeVsvr,
  requireCluster,
  requireFiler,
  requireText,
  requireVsvr,
} from './document-edit.js';
import { EditRefusal } from './edit-refusal.js';
import type { PlannedEdit } from './planned-edit.js';
import type { RoutingPolicyDocument } from './route-identity.js';
import {
  canonicalRoute,
  canonicalTo,
  canonicalVia,
  describeRoute,
  describeRoutingPolicy,
  findRoutingPolicy,
  knownPolicyName,
  requireRoutingPolicy,
  routeMatches,
  routingPolicyUsers,
} from './route-identity.js';

// Edits of routing (RoutingService). Each returns the next document; the store validates the
// whole resulting cluster with the model, which owns the routing rules: names, route values,
// `extends` loops, conflicting routes and gateways that no address reaches are refused there
// at their document paths (`routingPolicies[2].routes[0].via`). What the request itself names
// (a policy to create, update or refer to; a vsvr, filer, alias or route) is checked here, so
// the refusal names the request field.

export interface RoutingPolicyInput {
  readonly name: string;
  readonly extends?: string;
  readonly routes?: readonly RouteDocument[];
}

export function createRoutingPolicy(
  current: ClusterDocument | undefined,
  input: RoutingPolicyInput,
): PlannedEdit<RoutingPolicyDocument> {
  const document = requireCluster(current);
  const name = requireText(input.name, 'policy.name', 'the new routing policy’s name');
  const existing = document.routingPolicies?.[findRoutingPolicy(document, name)];
  if (existing !== undefined) {
    throw EditRefusal.field(
      'already-exists',
      'policy.name',
      `a routing policy named "${existing.name}" exists (policy names are compared without regard to case); choose another name, or update that one`,
      'name.duplicate',
    );
  }
  const policy = policyOf(name, input);
  document.routingPolicies = [...(document.routingPolicies ?? []), policy];
  requireKnownParent(document, policy);
  return {
    document,
    target: `routing policy ${name}`,
    before: '',
    after: describeRoutingPolicy(policy),
    result: policy,
  };
}

/** Replaces the `extends` and routes of the policy `input.name` names. */
export function updateRoutingPolicy(
  current: ClusterDocument | undefined,
  input: RoutingPolicyInput,
): PlannedEdit<RoutingPolicyDocument> {
  const document = requireCluster(current);
  const name = requireText(input.name, 'policy.name', 'the routing policy to update');
  const policies = document.routingPolicies ?? [];
  const index = requireRoutingPolicy(document, name, 'policy.name');
  const old = policies[index] as RoutingPolicyDocument;
  const policy = policyOf(old.name, input);
  document.routingPolicies = policies.map((p, i) => (i === index ? policy : p));
  requireKnownParent(document, policy);
  return {
    document,
    target: `routing policy ${old.name}`,
    before: describeRoutingPolicy(old),
    after: describeRoutingPolicy(policy),
    result: policy,
  };
}

/** Deletes a policy nothing names any more (a vsvr, an alias, another policy, the default). */
export function deleteRoutingPolicy(
  current: ClusterDocument | undefined,
  name: string,
): PlannedEdit<RoutingPolicyDocument> {
  const document = requireCluster(current);
  const policies = document.routingPolicies ?? [];
  const index = requireRoutingPolicy(
    document,
    requireText(name, 'name', 'the routing policy to delete'),
    'name',
  );
  const policy = policies[index] as RoutingPolicyDocument;
  const users = routingPolicyUsers(document, policy.name);
  const uses = [
    ...users.vsvrs.map((v) => `vsvr ${v}`),
    ...users.aliases.map((a) => `alias ${a}`),
    ...users.extendedBy.map((p) => `policy ${p} (extends it)`),
    ...(users.isClusterDefault ? ['the cluster default'] : []),
  ];
  if (uses.length > 0) {
    const shown =
      uses.slice(0, 5).join(', ') + (uses.length > 5 ? `, and ${uses.length - 5} more` : '');
    throw EditRefusal.field(
      'failed-precondition',
      'name',
      `routing policy ${policy.name} is still used by ${shown}; point them at another policy (or none) first`,
      'routing.policy-in-use',
    );
  }
  document.routingPolicies = policies.filter((_, i) => i !== index);
  if (document.routingPolicies.length === 0) {
    delete document.routingPolicies;
  }
  return {
    document,
    target: `routing policy ${policy.name}`,
    before: describeRoutingPolicy(policy),
    after: '',
    result: policy,
  };
}

/** Sets (or, with `undefined`, clears) the policy of every vsvr that names none. */
export function setDefaultRoutingPolicy(
  current: ClusterDocument | undefined,
  policy: string | undefined,
): PlannedEdit<string | undefined> {
  const document = requireCluster(current);
  const before = document.cluster.defaultRoutingPolicy;
  const name = policy === undefined ? undefined : knownPolicyName(document, policy, 'policy');
  if (name === undefined) {
    delete document.cluster.defaultRoutingPolicy;
  } else {
    document.cluster.defaultRoutingPolicy = name;
  }
  return {
    document,
    target: 'cluster default routing policy',
    before: before ?? 'none',
    after: name ?? 'none',
    result: name,
  };
}

/** Sets (or, with `undefined`, clears: the cluster default applies) a vsvr's policy. */
export function setVsvrRoutingPolicy(
  current: ClusterDocument | undefined,
  vsvrName: string,
  policy: string | undefined,
): PlannedEdit<VsvrDocument> {
  const document = requireCluster(current);
  const vsvr = requireVsvr(document, requireText(vsvrName, 'vsvr', 'the vsvr'), 'vsvr');
  const name = policy === undefined ? undefined : knownPolicyName(document, policy, 'policy');
  const before = describeVsvr(vsvr);
  if (name === undefined) {
    delete vsvr.routingPolicy;
  } else {
    vsvr.routingPolicy = name;
  }
  return { document, target: `vsvr ${vsvr.name}`, before, after: describeVsvr(vsvr), result: vsvr };
}

/** Sets (or clears) the policy of a filer's mgmt#/san# alias (or a VLAN of one). */
export function setAliasRoutingPolicy(
  current: ClusterDocument | undefined,
  filerName: string,
  aliasName: string,
  policy: string | undefined,
): PlannedEdit<InterfaceDocument> {
  const document = requireCluster(current);
  const filer = requireFiler(document, requireText(filerName, 'filer', 'the filer'), 'filer');
  const wanted = requireText(aliasName, 'alias', 'the mgmt# or san# alias, e.g. mgmt0');
  const alias = filer.interfaces.find((i) => i.name.toLowerCase() === wanted.toLowerCase());
  if (alias === undefined) {
    throw EditRefusal.field(
      'not-found',
      'alias',
      `filer ${filer.name} has no interface named "${wanted}"; its mgmt# and san# aliases are: ${policyAliases(filer.interfaces)}`,
      'interface.unknown',
    );
  }
  const parsed = parseInterfaceName(alias.name);
  if (!parsed.ok || (parsed.value.baseKind !== 'mgmt' && parsed.value.baseKind !== 'san')) {
    throw EditRefusal.field(
      'invalid-argument',
      'alias',
      `${alias.name} is not a mgmt# or san# alias; only those take a routing policy (a data# alias's routes belong to its vsvrs)`,
      'interface.kind',
    );
  }
  const name = policy === undefined ? undefined : knownPolicyName(document, policy, 'policy');
  const before = alias.routingPolicy ?? 'none';
  if (name === undefined) {
    delete alias.routingPolicy;
  } else {
    alias.routingPolicy = name;
  }
  return {
    document,
    target: `filer ${filer.name} ${alias.name}`,
    before: `routing policy ${before}`,
    after: `routing policy ${name ?? 'none'}`,
    result: alias,
  };
}

/** Adds a route of a vsvr's own; two routes of one vsvr never share destination and gateway. */
export function addVsvrRoute(
  current: ClusterDocument | undefined,
  vsvrName: string,
  route: RouteDocument | undefined,
): PlannedEdit<VsvrDocument> {
  const document = requireCluster(current);
  const vsvr = requireVsvr(document, requireText(vsvrName, 'vsvr', 'the vsvr'), 'vsvr');
  if (route === undefined) {
    throw EditRefusal.field('invalid-argument', 'route', 'is required: the route to add');
  }
  requireText(route.to, 'route.to', 'the destination, a subnet or default');
  const added = canonicalRoute(route);
  const routes = vsvr.routes ?? [];
  const same = routes.find((r) => routeMatches(r, added.to, added.via));
  if (same !== undefined && canonicalTo(added.to, added.via) !== undefined) {
    throw EditRefusal.field(
      'already-exists',
      'route',
      `${vsvr.name} already has the route ${describeRoute(same)}; remove it first to change its alias or metric`,
      'route.duplicate',
    );
  }
  const before = describeVsvr(vsvr);
  vsvr.routes = [...routes, added];
  return {
    document,
    target: `vsvr ${vsvr.name}`,
    before: `${before}; routes: ${describeRoutes(routes)}`,
    after: `${describeVsvr(vsvr)}; routes: ${describeRoutes(vsvr.routes)}`,
    result: vsvr,
  };
}

/**
 * Removes a route of a vsvr's own, named by destination and gateway. Without `via` the
 * destination alone must name one route (`default` names either family's).
 */
export function removeVsvrRoute(
  current: ClusterDocument | undefined,
  vsvrName: string,
  to: string,
  via: string | undefined,
): PlannedEdit<RouteDocument> {
  const document = requireCluster(current);
  const vsvr = requireVsvr(document, requireText(vsvrName, 'vsvr', 'the vsvr'), 'vsvr');
  requireText(to, 'to', 'the destination of the route, a subnet or default');
  if (via !== undefined && canonicalVia(via) === undefined) {
    throw EditRefusal.field(
      'invalid-argument',
      'via',
      `"${via}" is not an address; write the gateway without a prefix length, e.g. 198.51.100.1`,
      'routing.invalid',
    );
  }
  if (to.trim().toLowerCase() !== 'default' && canonicalTo(to, via) === undefined) {
    throw EditRefusal.field(
      'invalid-argument',
      'to',
      `"${to}" is not a destination; write a subnet such as 203.0.113.0/24, or default`,
      'routing.invalid',
    );
  }
  const routes = vsvr.routes ?? [];
  const matching = routes.filter((r) => routeMatches(r, to, via));
  const [removed] = matching;
  if (removed === undefined) {
    throw EditRefusal.field(
      'not-found',
      'to',
      `${vsvr.name} has no route of its own to ${to}${via === undefined ? '' : ` via ${via}`}; its own routes are: ${describeRoutes(routes)}`,
      'route.unknown',
    );
  }
  if (matching.length > 1) {
    throw EditRefusal.field(
      'invalid-argument',
      'via',
      `${vsvr.name} has ${matching.length} routes to ${to} (${matching.map(describeRoute).join('; ')}); name the one to remove by its gateway`,
      'route.ambiguous',
    );
  }
  const before = describeRoutes(routes);
  vsvr.routes = routes.filter((r) => r !== removed);
  if (vsvr.routes.length === 0) {
    delete vsvr.routes;
  }
  return {
    document,
    target: `vsvr ${vsvr.name}`,
    before: `routes: ${before}`,
    after: `routes: ${describeRoutes(vsvr.routes ?? [])}`,
    result: removed,
  };
}

function policyOf(name: string, input: RoutingPolicyInput): RoutingPolicyDocument {
  return {
    name,
    ...(input.extends !== undefined ? { extends: input.extends } : {}),
    routes: (input.routes ?? []).map(canonicalRoute),
  };
}

/** `extends` must name a policy (a loop through it is the model's to find). */
function requireKnownParent(document: ClusterDocument, policy: RoutingPolicyDocument): void {
  if (policy.extends !== undefined) {
    policy.extends = knownPolicyName(document, policy.extends, 'policy.extends');
  }
}

function policyAliases(interfaces: readonly InterfaceDocument[]): string {
  const names = interfaces
    .map((i) => parseInterfaceName(i.name))
    .flatMap((n) =>
      n.ok && (n.value.baseKind === 'mgmt' || n.value.baseKind === 'san') ? [n.value.name] : [],
    );
  return names.length === 0 ? '(none)' : names.join(', ');
}

function describeRoutes(routes: readonly RouteDocument[]): string {
  return routes.length === 0 ? 'none' : routes.map(describeRoute).join(', ');
}
