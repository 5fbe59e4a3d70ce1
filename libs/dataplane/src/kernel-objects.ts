import { formatCidr, parseCidr } from '@vsnet/model';
import type { ObservedAddress, ObservedRoute, ObservedRule } from './driver.js';

export type {
  BondSettings,
  ChangeAction,
  DesiredLink,
  DesiredState,
  KernelChange,
  LinkKind,
  NamespaceSettings,
} from './driver.js';

/** The filer's own namespace in plans and observed state (whatever the driver maps it to). */
export const FILER_NAMESPACE = '';

/** Table ids as the kernel spells them. */
export const MAIN_TABLE = 254;
export const LOCAL_TABLE = 255;
export const DEFAULT_TABLE = 253;

/** Canonical forms already computed: a plan spells the same few thousand addresses each time. */
const CANONICAL = new Map<string, string>();
/** Bounds the memo in a long-running agent whose addresses keep changing. */
const CANONICAL_LIMIT = 200_000;

/** Canonical `ip/prefix` (RFC 5952 for IPv6); a bare address gets its host prefix. */
export function canonicalCidr(text: string): string {
  let canonical = CANONICAL.get(text);
  if (canonical === undefined) {
    const withPrefix = text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`;
    const parsed = parseCidr(withPrefix);
    canonical = parsed.ok ? formatCidr(parsed.value) : text;
    if (CANONICAL.size >= CANONICAL_LIMIT) {
      CANONICAL.clear();
    }
    CANONICAL.set(text, canonical);
  }
  return canonical;
}

export function familyOf(cidrOrIp: string): 4 | 6 {
  return cidrOrIp.includes(':') ? 6 : 4;
}

/** The address part of `ip/prefix`. */
export function hostOf(cidr: string): string {
  const slash = cidr.indexOf('/');
  return slash < 0 ? cidr : cidr.slice(0, slash);
}

/** The kernel's default metric when a route names none: 0 for IPv4, 1024 for IPv6. */
export function effectiveMetric(route: { readonly to: string; readonly metric?: number }): number {
  return route.metric ?? (familyOf(route.to) === 6 ? 1024 : 0);
}

/** Where an object lives, for item ids: `in vs-a`, or `in the filer namespace`. */
export function where(namespace: string): string {
  return namespace === FILER_NAMESPACE ? 'in the filer namespace' : `in ${namespace}`;
}

export function linkKey(l: { readonly namespace: string; readonly name: string }): string {
  return `${l.namespace}|${l.name}`;
}

export function addressKey(a: ObservedAddress): string {
  return `${a.namespace}|${a.dev}|${a.address}`;
}

/** A route's identity in the kernel: namespace, table, destination and metric. */
export function routeKey(r: ObservedRoute): string {
  return `${r.namespace}|${r.table}|${r.to}|${effectiveMetric(r)}`;
}

export function ruleKey(r: ObservedRule): string {
  return `${r.namespace}|${r.priority}|${r.from}|${r.table}`;
}

export function linkItem(l: { readonly namespace: string; readonly name: string }): string {
  return `link ${l.name} ${where(l.namespace)}`;
}

export function addressItem(a: ObservedAddress): string {
  return `address ${a.address} on ${a.dev} ${where(a.namespace)}`;
}

export function routeItem(r: ObservedRoute): string {
  const metric = r.metric === undefined ? '' : ` metric ${r.metric}`;
  return `route ${r.to} table ${r.table}${metric} ${where(r.namespace)}`;
}

export function ruleItem(r: ObservedRule): string {
  return `rule ${r.priority} from ${r.from} table ${r.table} ${where(r.namespace)}`;
}

export function namespaceItem(name: string): string {
  return `namespace ${name}`;
}
