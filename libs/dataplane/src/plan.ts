import type { NodeSpec } from '@vsnet/model';
import { desiredState, type DesiredStateOptions } from './desired-state.js';
import type {
  DataplanePlan,
  DesiredState,
  ObservedAddress,
  ObservedLink,
  ObservedRoute,
  ObservedRule,
  ObservedState,
  Operation,
} from './driver.js';
import {
  addressAddCommand,
  addressDeleteCommand,
  namespaceAddCommand,
  namespaceDeleteCommand,
  routeDeleteCommand,
  routeReplaceCommand,
  ruleAddCommand,
  ruleDeleteCommand,
  sysctlCommand,
} from './ip-commands.js';
import {
  addressItem,
  addressKey,
  effectiveMetric,
  FILER_NAMESPACE,
  hostOf,
  linkKey,
  namespaceItem,
  routeItem,
  routeKey,
  ruleItem,
  ruleKey,
  where,
} from './kernel-objects.js';
import {
  isVsnetFilerLink,
  isVsnetNamespace,
  isVsnetRulePriority,
  isVsnetTable,
} from './ownership.js';
import { planLinks, removeOp } from './plan-links.js';

export type PlanOptions = DesiredStateOptions;

/** Pure: the operations that make `observed` match `spec` (see {@link planChanges}). */
export function planDataplane(
  spec: NodeSpec,
  observed: ObservedState,
  options: PlanOptions,
): DataplanePlan {
  return planChanges(desiredState(spec, options), observed, options);
}

/**
 * The reconcile order. Removals come first, top-down, so that names and addresses are free
 * before anything is created: rules, routes, addresses, links (a vlan before the macvlan under
 * it), namespaces. Then creations, bottom-up: namespaces and their sysctls; links (physical →
 * bond → vlan → failover bond → macvlan → vlan of an alias), each created with its MTU and MAC
 * or configured (MTU, MAC, up) before anything on it is created, because an upper's MTU may
 * not exceed its lower's; bond memberships; addresses (each announced once plumbed); routes;
 * rules.
 *
 * Only what differs is planned: one changed address gives one operation. Objects vsnet does
 * not own (see ownership.ts) are never removed. Whatever dies with a removed link (its
 * addresses, routes) is not removed one by one; a removed namespace loses its links first;
 * whatever was on a re-created link is planned again.
 */
export function planChanges(
  desired: DesiredState,
  observed: ObservedState,
  options: PlanOptions,
): DataplanePlan {
  const wantedNamespaces = new Set(desired.namespaces.map((n) => n.namespace));
  const present = new Set(
    observed.namespaces.filter((n) => isVsnetNamespace(n, options.namespacePrefix)),
  );
  const gone = new Set([...present].filter((n) => !wantedNamespaces.has(n)));
  // Observed objects that count: in the filer namespace or in a kept vsvr namespace.
  const counts = (ns: string): boolean =>
    ns === FILER_NAMESPACE || (present.has(ns) && !gone.has(ns));
  const inVsvr = (ns: string): boolean => ns !== FILER_NAMESPACE;

  const observedLinks = observed.links.filter((l) => counts(l.namespace));
  const filerLinks = new Map(
    observedLinks.filter((l) => !inVsvr(l.namespace)).map((l) => [l.name, l]),
  );
  const ownedLink = (l: ObservedLink): boolean =>
    inVsvr(l.namespace) ? l.name !== 'lo' : isVsnetFilerLink(l);
  const links = planLinks(desired.links, observedLinks, ownedLink);
  const alive = (ns: string, dev: string): boolean =>
    !links.replaced.has(linkKey({ namespace: ns, name: dev }));

  const ownedAddress = (a: ObservedAddress): boolean =>
    counts(a.namespace) &&
    alive(a.namespace, a.dev) &&
    !a.address.startsWith('fe80:') &&
    (inVsvr(a.namespace)
      ? a.dev !== 'lo'
      : isVsnetFilerLink(filerLinks.get(a.dev) ?? { name: a.dev, kind: '' }));
  const ownedRoute = (r: ObservedRoute): boolean =>
    counts(r.namespace) && alive(r.namespace, r.dev) && isVsnetTable(r.table, inVsvr(r.namespace));
  const ownedRule = (r: ObservedRule): boolean =>
    r.namespace === FILER_NAMESPACE && isVsnetRulePriority(r.priority);

  const macs = new Map(
    desired.links.flatMap((l) => (l.mac !== undefined ? [[linkKey(l), l.mac] as const] : [])),
  );
  const addresses = diff(desired.addresses, observed.addresses.filter(ownedAddress), addressKey);
  const routes = diffRoutes(desired.routes, observed.routes.filter(ownedRoute));
  const rules = diff(desired.rules, observed.rules.filter(ownedRule), ruleKey);

  const operations: Operation[] = [
    ...rules.extra.map((r) => ruleOp(r, 'remove')),
    ...routes.extra.map((r) => routeOp(r, 'remove', describeRoute(r))),
    ...addresses.extra.map((a) => addressOp(a, 'remove')),
    ...links.removals,
    // A namespace outlives `netns del` while any process is still inside (an announcer, a
    // service): its links go first, so a removed vsvr's addresses stop answering at once.
    ...[...gone]
      .sort()
      .flatMap((n) => [...topLinks(observed.links, n).map(removeOp), namespaceOp(n, 'remove')]),
    ...desired.namespaces
      .filter((n) => !present.has(n.namespace))
      .flatMap((n): Operation[] => [
        namespaceOp(n.namespace, 'create'),
        {
          item: namespaceItem(n.namespace),
          namespace: n.namespace,
          description: `set sysctls ${where(n.namespace)}`,
          command: sysctlCommand(n.sysctls),
          change: { object: 'sysctl', settings: n },
          expected: sysctlCommand(n.sysctls),
          actual: 'absent',
        },
      ]),
    ...links.links,
    ...links.memberships,
    ...addresses.missing.map((a) =>
      addressOp(a, 'create', macs.get(linkKey({ namespace: a.namespace, name: a.dev }))),
    ),
    ...routes.missing.map((r) => routeOp(r, 'create', 'absent')),
    ...routes.changed.map(([want, have]) => routeOp(want, 'change', describeRoute(have))),
    ...rules.missing.map((r) => ruleOp(r, 'create')),
  ];
  return { operations };
}

/** Objects only one side has, by identity key (each key computed once). */
function diff<T>(
  desired: readonly T[],
  observed: readonly T[],
  key: (t: T) => string,
): { missing: T[]; extra: T[]; have: Map<string, T> } {
  const have = new Map(observed.map((o) => [key(o), o]));
  const wantKeys = desired.map(key);
  const want = new Set(wantKeys);
  return {
    missing: desired.filter((_, i) => !have.has(wantKeys[i] ?? '')),
    extra: [...have].flatMap(([k, o]) => (want.has(k) ? [] : [o])),
    have,
  };
}

function diffRoutes(
  desired: readonly ObservedRoute[],
  observed: readonly ObservedRoute[],
): { missing: ObservedRoute[]; changed: [ObservedRoute, ObservedRoute][]; extra: ObservedRoute[] } {
  const { missing, extra, have } = diff(desired, observed, routeKey);
  const changed = desired.flatMap((want): [ObservedRoute, ObservedRoute][] => {
    const current = have.get(routeKey(want));
    return current !== undefined &&
      (current.via !== want.via || (want.dev !== '' && current.dev !== want.dev))
      ? [[want, current]]
      : [];
  });
  return { missing, changed, extra };
}

function namespaceOp(name: string, action: 'create' | 'remove'): Operation {
  return {
    item: namespaceItem(name),
    namespace: name,
    description: `${action} namespace ${name}`,
    command: action === 'create' ? namespaceAddCommand(name) : namespaceDeleteCommand(name),
    change: { object: 'namespace', action, name },
    expected: action === 'create' ? 'present' : 'absent',
    actual: action === 'create' ? 'absent' : 'present',
  };
}

function addressOp(a: ObservedAddress, action: 'create' | 'remove', mac?: string): Operation {
  return {
    item: addressItem(a),
    namespace: a.namespace,
    description: `${action === 'create' ? 'add' : 'remove'} ${a.address} on ${a.dev} ${where(a.namespace)}`,
    command: action === 'create' ? addressAddCommand(a) : addressDeleteCommand(a),
    change: { object: 'address', action, address: a },
    expected: action === 'create' ? 'present' : 'absent',
    actual: action === 'create' ? 'absent' : 'present',
    ...(action === 'create'
      ? {
          announce: {
            dev: a.dev,
            address: hostOf(a.address),
            ...(mac !== undefined ? { mac } : {}),
          },
        }
      : {}),
  };
}

function describeRoute(r: ObservedRoute): string {
  return [
    r.via !== undefined ? `via ${r.via}` : '',
    r.dev !== '' ? `dev ${r.dev}` : '',
    `metric ${effectiveMetric(r)}`,
  ]
    .filter((s) => s !== '')
    .join(' ');
}

function routeOp(
  r: ObservedRoute,
  action: 'create' | 'change' | 'remove',
  actual: string,
): Operation {
  return {
    item: routeItem(r),
    namespace: r.namespace,
    description: `${action === 'remove' ? 'remove' : 'set'} route ${r.to} ${describeRoute(r)} table ${r.table} ${where(r.namespace)}`,
    command: action === 'remove' ? routeDeleteCommand(r) : routeReplaceCommand(r),
    change: { object: 'route', action, route: r },
    expected: action === 'remove' ? 'absent' : describeRoute(r),
    actual,
  };
}

function ruleOp(r: ObservedRule, action: 'create' | 'remove'): Operation {
  return {
    item: ruleItem(r),
    namespace: r.namespace,
    description: `${action === 'create' ? 'add' : 'remove'} rule from ${r.from} lookup ${r.table} ${where(r.namespace)}`,
    command: action === 'create' ? ruleAddCommand(r) : ruleDeleteCommand(r),
    change: { object: 'rule', action, rule: r },
    expected: action === 'create' ? 'present' : 'absent',
    actual: action === 'create' ? 'absent' : 'present',
  };
}

/** The links of a namespace that sit on nothing inside it; a VLAN on one of them dies with it. */
function topLinks(links: readonly ObservedLink[], namespace: string): ObservedLink[] {
  const inside = links.filter((l) => l.namespace === namespace && l.name !== 'lo');
  const names = new Set(inside.map((l) => l.name));
  return inside.filter((l) => l.lower === undefined || !names.has(l.lower));
}
