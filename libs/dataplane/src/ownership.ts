import { FILER_ALIAS_TABLES } from '@vsnet/model';
import { MAIN_TABLE } from './kernel-objects.js';

/**
 * What vsnet owns on a filer, so that removal touches nothing else (ARCHITECTURE §6):
 *
 * - vsvr namespaces: `<namespacePrefix>vs-…` (the model names every vsvr namespace `vs-<name>`).
 *   Everything inside one is vsnet's, except what the kernel makes by itself (`lo`'s addresses,
 *   link-local addresses, `proto kernel` routes, the local table).
 * - in the filer namespace: macvlan / vlan links named like a mgmt# or san# alias and their
 *   addresses; routes in policy-routing tables of the model's alias range; rules with a
 *   priority in vsnet's range. Physical links, bonds and vlans below the aliases are configured
 *   but never deleted: they may carry the host's own traffic.
 *
 * Rule priorities: every source rule vsnet adds (`from <filer address> lookup <alias table>`)
 * has priority {@link VSNET_RULE_PRIORITY} = 10000, in the reserved range 10000–10999, before
 * `main` (32766). One priority for all is enough because the selectors never overlap: each rule
 * matches one host address (/32 or /128) and a filer address is unique. Adding or removing an
 * alias therefore never renumbers another rule.
 */
export const VSNET_RULE_PRIORITY = 10_000;
export const VSNET_RULE_PRIORITIES = { min: 10_000, max: 10_999 } as const;

/**
 * Policy-routing table ids the model gives mgmt#/san# aliases (docs/decisions/0003:
 * mgmt`N` → 1000000 + N·10000 + tag, san`N` → 2000000 + …).
 */
export const VSNET_TABLES = FILER_ALIAS_TABLES;

/** The prefix of every vsvr namespace name in a node spec. */
export const VSVR_NAMESPACE_MARK = 'vs-';

const FILER_ALIAS = /^(mgmt|san)\d+(\.\d+)?$/;

export function isVsnetNamespace(name: string, namespacePrefix: string): boolean {
  return name.startsWith(namespacePrefix + VSVR_NAMESPACE_MARK);
}

/** A filer-namespace link vsnet made for a mgmt#/san# alias (and so may delete). */
export function isVsnetFilerLink(link: { readonly name: string; readonly kind: string }): boolean {
  return FILER_ALIAS.test(link.name) && (link.kind === 'macvlan' || link.kind === 'vlan');
}

export function isVsnetTable(table: number, inVsvrNamespace: boolean): boolean {
  return inVsvrNamespace
    ? table === MAIN_TABLE
    : table >= VSNET_TABLES.min && table <= VSNET_TABLES.max;
}

export function isVsnetRulePriority(priority: number): boolean {
  return priority >= VSNET_RULE_PRIORITIES.min && priority <= VSNET_RULE_PRIORITIES.max;
}
