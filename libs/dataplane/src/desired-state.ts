import type { AliasSpec, LinkSpec, NodeSpec, VsvrSpec } from '@vsnet/model';
import { parseCidr, subnetOf } from '@vsnet/model';
import type { ObservedAddress, ObservedRoute, ObservedRule } from './driver.js';
import type { DesiredLink, DesiredState, NamespaceSettings } from './kernel-objects.js';
import { canonicalCidr, FILER_NAMESPACE, hostOf, MAIN_TABLE, routeKey } from './kernel-objects.js';
import { VSNET_RULE_PRIORITY } from './ownership.js';

export interface DesiredStateOptions {
  /** Put before every vsvr namespace name (`vs-<name>`), so labs and tests never collide. */
  readonly namespacePrefix: string;
}

/** Link monitoring interval of every bond and failover device, in ms. */
export const BOND_MIIMON_MS = 100;

/**
 * Set in every vsvr namespace when it is created, before its links: announce addresses when a
 * link comes up (gratuitous ARP, unsolicited NA), take no addresses or routes from router
 * advertisements, since a vsvr's addresses and routes come from the spec alone, and promote a
 * secondary IPv4 address when the primary of its subnet is removed (without it the kernel
 * silently drops every other address of that subnet with it: removing legacy's first address
 * would take the second down).
 */
export const VSVR_NAMESPACE_SYSCTLS: readonly (readonly [string, string])[] = [
  ['net.ipv4.conf.all.promote_secondaries', '1'],
  ['net.ipv4.conf.all.arp_notify', '1'],
  ['net.ipv4.conf.default.arp_notify', '1'],
  ['net.ipv6.conf.all.ndisc_notify', '1'],
  ['net.ipv6.conf.default.ndisc_notify', '1'],
  ['net.ipv6.conf.all.accept_ra', '0'],
  ['net.ipv6.conf.default.accept_ra', '0'],
  ['net.ipv6.conf.all.autoconf', '0'],
  ['net.ipv6.conf.default.autoconf', '0'],
];

/**
 * NodeSpec → the kernel objects the filer must hold (ARCHITECTURE §6). Pure and deterministic.
 *
 * - filer namespace (''): eth# configured (MTU, up, bond membership: a link of the spec that
 *   is no bond's member belongs to none, `master: ''`); bond#/fail# bonds; `x.N`
 *   vlans; mgmt#/san# macvlans (mode bridge) on their lower, or vlans for `mgmt0.5`-style
 *   aliases; the filer's addresses on them, each with a source rule into its alias's table,
 *   which holds the connected subnet and the alias's routes.
 * - per vsvr, namespace `<prefix><namespace>`: `lo` up; one macvlan per interface, created on
 *   its lower in the filer namespace directly into the vsvr namespace, with the vsvr's MAC and
 *   MTU; `data0.5`-style interfaces as vlans inside it. An active vsvr has its links up, its
 *   addresses (IPv6 without DAD) and its routes in the main table; a standby copy
 *   (`active: false`) has its links down and nothing else, so a takeover is addresses + link up
 *   + routes + announce.
 *
 * Filer data# aliases are not links of the filer namespace: only vsvrs use them. MySQL node
 * addresses are not plumbed here (the agent hosting the role does that).
 */
export function desiredState(spec: NodeSpec, options: DesiredStateOptions): DesiredState {
  const links: DesiredLink[] = [...filerLinks(spec.links), ...filerAliasLinks(spec.aliases)];
  const addresses: ObservedAddress[] = [];
  const routes = new Map<string, ObservedRoute>();
  const rules: ObservedRule[] = [];
  const addRoute = (r: ObservedRoute): void => {
    if (!routes.has(routeKey(r))) {
      routes.set(routeKey(r), r);
    }
  };

  const aliasKind = new Map(spec.aliases.map((a) => [a.name, a.kind]));
  for (const a of spec.addresses) {
    if (aliasKind.get(a.alias) === 'data') {
      continue;
    }
    const address = canonicalCidr(a.address);
    addresses.push({ namespace: FILER_NAMESPACE, dev: a.alias, address });
    if (a.table > 0) {
      const parsed = parseCidr(address);
      const host = hostOf(address);
      rules.push({
        namespace: FILER_NAMESPACE,
        priority: VSNET_RULE_PRIORITY,
        from: canonicalCidr(host),
        table: a.table,
      });
      if (parsed.ok) {
        addRoute({
          namespace: FILER_NAMESPACE,
          table: a.table,
          to: subnetOf(parsed.value),
          dev: a.alias,
        });
      }
    }
  }
  for (const entry of spec.aliasRoutes) {
    for (const r of entry.routes) {
      addRoute(route(FILER_NAMESPACE, entry.table, r, entry.alias));
    }
  }

  const namespaces: NamespaceSettings[] = [];
  for (const v of spec.vsvrs) {
    const namespace = options.namespacePrefix + v.namespace;
    namespaces.push({ namespace, sysctls: VSVR_NAMESPACE_SYSCTLS });
    links.push(...vsvrLinks(v, namespace, spec.aliases));
    if (!v.active) {
      continue;
    }
    for (const a of v.addresses) {
      addresses.push({ namespace, dev: a.alias, address: canonicalCidr(a.address) });
    }
    for (const r of v.routes) {
      addRoute(route(namespace, MAIN_TABLE, r, ''));
    }
  }
  return { namespaces, links, addresses, routes: [...routes.values()], rules };
}

function route(
  namespace: string,
  table: number,
  r: {
    readonly to: string;
    readonly via?: string;
    readonly alias?: string;
    readonly metric?: number;
  },
  defaultDev: string,
): ObservedRoute {
  return {
    namespace,
    table,
    to: canonicalCidr(r.to),
    dev: r.alias ?? defaultDev,
    ...(r.via !== undefined ? { via: hostOf(canonicalCidr(r.via)) } : {}),
    ...(r.metric !== undefined ? { metric: r.metric } : {}),
  };
}

function filerLinks(specLinks: readonly LinkSpec[]): DesiredLink[] {
  const masterOf = new Map<string, string>();
  for (const l of specLinks) {
    for (const m of l.members ?? []) {
      masterOf.set(m, l.name);
    }
  }
  return specLinks.map((l): DesiredLink => {
    const base = {
      namespace: FILER_NAMESPACE,
      name: l.name,
      up: true,
      mtu: l.mtu,
      // '' for every other link: one taken out of a bond leaves it (`nomaster`).
      master: masterOf.get(l.name) ?? '',
    };
    switch (l.kind) {
      case 'physical':
        return { ...base, kind: 'physical' };
      case 'bond':
      case 'failover': {
        const mode = l.kind === 'failover' ? 'active-backup' : (l.mode ?? '802.3ad');
        return {
          ...base,
          kind: 'bond',
          bond: {
            mode,
            miimon: BOND_MIIMON_MS,
            ...(mode === '802.3ad' ? { lacpRate: 'fast' as const } : {}),
            ...(l.primary !== undefined ? { primary: l.primary } : {}),
          },
        };
      }
      case 'vlan':
        return { ...base, kind: 'vlan', lower: l.parent ?? '', tag: l.tag ?? 0 };
    }
  });
}

/** mgmt#/san# aliases: a macvlan on the lower, or a vlan for a VLAN of an alias (`mgmt0.5`). */
function filerAliasLinks(aliases: readonly AliasSpec[]): DesiredLink[] {
  return aliases
    .filter((a) => a.kind !== 'data')
    .map((a) => ({
      namespace: FILER_NAMESPACE,
      name: a.name,
      kind: a.tag !== undefined ? ('vlan' as const) : ('macvlan' as const),
      up: true,
      mtu: a.mtu,
      lower: a.lower,
      ...(a.tag !== undefined ? { tag: a.tag } : {}),
    }));
}

function vsvrLinks(v: VsvrSpec, namespace: string, aliases: readonly AliasSpec[]): DesiredLink[] {
  const links: DesiredLink[] = [{ namespace, name: 'lo', kind: 'loopback', up: true }];
  const names = new Set(v.interfaces.map((i) => i.name));
  for (const i of v.interfaces) {
    if (i.tag === undefined) {
      links.push(macvlan(namespace, i.name, i.lower, i.mtu, i.mac, v.active));
      continue;
    }
    // A VLAN of an alias (data0.5 on data0): a vlan inside the namespace on the vsvr's own
    // data0. When the vsvr has no data0 address, that data0 exists only to carry the vlan,
    // with the vlan's MAC so that the macvlan passes the vlan's frames.
    if (!names.has(i.lower)) {
      const parent = aliases.find((a) => a.name === i.lower);
      names.add(i.lower);
      links.push(
        macvlan(namespace, i.lower, parent?.lower ?? '', parent?.mtu ?? i.mtu, i.mac, v.active),
      );
    }
    links.push({
      namespace,
      name: i.name,
      kind: 'vlan',
      up: v.active,
      mtu: i.mtu,
      mac: i.mac,
      lower: i.lower,
      tag: i.tag,
    });
  }
  return links;
}

function macvlan(
  namespace: string,
  name: string,
  lower: string,
  mtu: number,
  mac: string,
  up: boolean,
): DesiredLink {
  return {
    namespace,
    name,
    kind: 'macvlan',
    up,
    mtu,
    mac,
    lower,
    lowerNamespace: FILER_NAMESPACE,
  };
}
