import type { Drift, ObservedState, Operation } from './driver.js';

/**
 * Some namespaces of a node ('' is the filer's): what a scoped read or verify covers. A
 * failover touches one or two vsvr namespaces, and reading all the others would cost far more
 * than the change itself (one `ip` process per namespace).
 */
export type NamespaceScope = ReadonlySet<string>;

/** `state` cut to the objects of `scope`'s namespaces. */
export function stateInScope(state: ObservedState, scope: NamespaceScope): ObservedState {
  const keep = <T extends { readonly namespace: string }>(xs: readonly T[]): T[] =>
    xs.filter((x) => scope.has(x.namespace));
  return {
    namespaces: state.namespaces.filter((n) => scope.has(n)),
    links: keep(state.links),
    addresses: keep(state.addresses),
    routes: keep(state.routes),
    rules: keep(state.rules),
  };
}

/** The namespace whose object an operation changes (a vsvr's macvlan is created from the filer's). */
export function objectNamespace(operation: Operation): string {
  const { change } = operation;
  switch (change.object) {
    case 'namespace':
      return change.name;
    case 'sysctl':
      return change.settings.namespace;
    case 'link':
      return change.link.namespace;
    case 'address':
      return change.address.namespace;
    case 'route':
      return change.route.namespace;
    case 'rule':
      return change.rule.namespace;
  }
}

/** The operations that change objects of `scope`'s namespaces, in plan order. */
export function operationsInScope(
  operations: readonly Operation[],
  scope: NamespaceScope,
): Operation[] {
  return operations.filter((op) => scope.has(objectNamespace(op)));
}

/** Drift of a plan, limited to `scope` when one is given. */
export function driftsInScope(
  operations: readonly Operation[],
  scope: NamespaceScope | undefined,
): Drift[] {
  return (scope === undefined ? operations : operationsInScope(operations, scope)).map((op) => ({
    item: op.item,
    expected: op.expected,
    actual: op.actual,
  }));
}
