import type {
  AliasSpec,
  DhcpServerSpec,
  EffectiveRoute,
  FilerAddressSpec,
  LinkSpec,
  MysqlNodeSpec,
  NodeSpec,
  VsvrSpec,
} from '@vsnet/model';
import type {
  AliasSpec as WireAliasSpec,
  AliasSpec__Output as WireAliasSpecOutput,
} from './generated/vsnet/agent/v1/AliasSpec.js';
import type {
  DhcpServerSpec as WireDhcpServer,
  DhcpServerSpec__Output as WireDhcpServerOutput,
} from './generated/vsnet/agent/v1/DhcpServerSpec.js';
import type {
  EffectiveRoute as WireRoute,
  EffectiveRoute__Output as WireRouteOutput,
} from './generated/vsnet/agent/v1/EffectiveRoute.js';
import type {
  FilerAddressSpec as WireFilerAddress,
  FilerAddressSpec__Output as WireFilerAddressOutput,
} from './generated/vsnet/agent/v1/FilerAddressSpec.js';
import type {
  LinkSpec as WireLinkSpec,
  LinkSpec__Output as WireLinkSpecOutput,
} from './generated/vsnet/agent/v1/LinkSpec.js';
import type {
  MysqlNodeSpec as WireMysqlNode,
  MysqlNodeSpec__Output as WireMysqlNodeOutput,
} from './generated/vsnet/agent/v1/MysqlNodeSpec.js';
import type {
  NodeSpec as WireNodeSpec,
  NodeSpec__Output as WireNodeSpecOutput,
} from './generated/vsnet/agent/v1/NodeSpec.js';
import type {
  VsvrSpec as WireVsvrSpec,
  VsvrSpec__Output as WireVsvrSpecOutput,
} from './generated/vsnet/agent/v1/VsvrSpec.js';

import {
  ADDRESS_MODES,
  ALIAS_KINDS,
  LINK_KINDS,
  LINK_MODES,
  SPEC_HASH,
  WireError,
  MTU_RANGE,
  TABLE_RANGE,
  VLAN_TAG_RANGE,
  addressModeFromWire,
  aliasKindFromWire,
  canonicalCidr,
  canonicalIp,
  canonicalMac,
  inRange,
  interfaceName,
  linkKindFromWire,
  linkModeFromWire,
  objectName,
  opt,
  shown,
} from './wire-codec.js';

export { WireError } from './wire-codec.js';

// ---- model → wire ---------------------------------------------------------------------------

/** The domain NodeSpec as the agent API's message. */
export function nodeSpecToWire(spec: NodeSpec): WireNodeSpec {
  return {
    specVersion: spec.specVersion,
    cluster: { name: spec.cluster.name, mac: spec.cluster.mac },
    filer: spec.filer,
    links: spec.links.map(linkToWire),
    aliases: spec.aliases.map(aliasToWire),
    addresses: spec.addresses.map(filerAddressToWire),
    aliasRoutes: spec.aliasRoutes.map((r) => ({
      alias: r.alias,
      table: r.table,
      routes: r.routes.map(routeToWire),
    })),
    vsvrs: spec.vsvrs.map(vsvrToWire),
    mysqlNodes: spec.mysqlNodes.map(mysqlNodeToWire),
    ...opt('dhcpServer', spec.dhcpServer && dhcpServerToWire(spec.dhcpServer)),
    hash: spec.hash,
  };
}

function dhcpServerToWire(d: DhcpServerSpec): WireDhcpServer {
  return {
    namespace: d.namespace,
    interfaces: [...d.interfaces],
    kea4: d.kea4,
    kea6: d.kea6,
    hash: d.hash,
  };
}

function linkToWire(l: LinkSpec): WireLinkSpec {
  return {
    name: l.name,
    kind: LINK_KINDS[l.kind],
    mtu: l.mtu,
    ...opt('mac', l.mac),
    ...opt('members', l.members && [...l.members]),
    ...opt('mode', l.mode && LINK_MODES[l.mode]),
    ...opt('primary', l.primary),
    ...opt('parent', l.parent),
    ...opt('tag', l.tag),
  };
}

function aliasToWire(a: AliasSpec): WireAliasSpec {
  return {
    name: a.name,
    kind: ALIAS_KINDS[a.kind],
    lower: a.lower,
    mtu: a.mtu,
    ...opt('tag', a.tag),
  };
}

function filerAddressToWire(a: FilerAddressSpec): WireFilerAddress {
  return {
    alias: a.alias,
    address: a.address,
    mode: ADDRESS_MODES[a.mode],
    identifier: a.identifier,
    table: a.table,
    ...opt('site', a.site),
  };
}

function routeToWire(r: EffectiveRoute): WireRoute {
  return {
    to: r.to,
    ...opt('via', r.via),
    ...opt('alias', r.alias),
    ...opt('metric', r.metric),
    from: r.from,
  };
}

function vsvrToWire(v: VsvrSpec): WireVsvrSpec {
  return {
    name: v.name,
    namespace: v.namespace,
    active: v.active,
    priority: v.priority,
    interfaces: v.interfaces.map((i) => ({
      name: i.name,
      lower: i.lower,
      mtu: i.mtu,
      mac: i.mac,
      ...opt('tag', i.tag),
    })),
    addresses: v.addresses.map((a) => ({
      alias: a.alias,
      instance: a.instance,
      address: a.address,
      mode: ADDRESS_MODES[a.mode],
      identifier: a.identifier,
    })),
    routes: v.routes.map(routeToWire),
  };
}

function mysqlNodeToWire(n: MysqlNodeSpec): WireMysqlNode {
  return { role: n.role, addresses: n.addresses.map((a) => ({ ...a })) };
}

// ---- wire → model ---------------------------------------------------------------------------

/**
 * The agent API's message as the domain NodeSpec, or a {@link WireError} naming the first field
 * that cannot be one. Keys come out in the order the spec compiler writes them. The hash is
 * carried, not checked: how it is computed is libs/model's business.
 */
export function nodeSpecFromWire(msg: WireNodeSpecOutput, path = 'spec'): NodeSpec {
  if (msg.specVersion !== 1) {
    throw new WireError(
      `${path}.specVersion`,
      `${path}.specVersion is ${msg.specVersion}; this agent understands spec version 1 only`,
    );
  }
  if (msg.cluster === null) {
    throw new WireError(
      `${path}.cluster`,
      `${path}.cluster is missing; send the cluster's name and MAC`,
    );
  }
  if (!SPEC_HASH.test(msg.hash)) {
    throw new WireError(
      `${path}.hash`,
      `${path}.hash is "${msg.hash}"; send the spec's sha256 as 64 lower-case hex digits`,
    );
  }
  const { cluster } = msg;
  return {
    specVersion: 1,
    cluster: {
      name: objectName(cluster.name, `${path}.cluster.name`),
      mac: canonicalMac(cluster.mac, `${path}.cluster.mac`),
    },
    filer: objectName(msg.filer, `${path}.filer`),
    links: msg.links.map((l, i) => linkFromWire(l, `${path}.links[${i}]`)),
    aliases: msg.aliases.map((a, i) => aliasFromWire(a, `${path}.aliases[${i}]`)),
    addresses: msg.addresses.map((a, i) => filerAddressFromWire(a, `${path}.addresses[${i}]`)),
    aliasRoutes: msg.aliasRoutes.map((r, i) => {
      const at = `${path}.aliasRoutes[${i}]`;
      return {
        alias: interfaceName(r.alias, `${at}.alias`),
        table: inRange(r.table, `${at}.table`, ...TABLE_RANGE),
        routes: r.routes.map((route, j) => routeFromWire(route, `${at}.routes[${j}]`)),
      };
    }),
    vsvrs: msg.vsvrs.map((v, i) => vsvrFromWire(v, `${path}.vsvrs[${i}]`)),
    mysqlNodes: msg.mysqlNodes.map((n, i) => mysqlNodeFromWire(n, `${path}.mysqlNodes[${i}]`)),
    ...opt(
      'dhcpServer',
      msg.dhcpServer === null || msg.dhcpServer === undefined
        ? undefined
        : dhcpServerFromWire(msg.dhcpServer, msg.vsvrs, `${path}.dhcpServer`),
    ),
    hash: msg.hash,
  };
}

/**
 * The internal DHCP server runs in a vsvr namespace the spec itself makes active on this
 * filer: the agent passes the name to `ip netns exec`, so nothing else is accepted.
 */
function dhcpServerFromWire(
  d: WireDhcpServerOutput,
  vsvrs: readonly WireVsvrSpecOutput[],
  path: string,
): DhcpServerSpec {
  if (!vsvrs.some((v) => v.active && v.namespace === d.namespace)) {
    throw new WireError(
      `${path}.namespace`,
      `${path}.namespace is ${shown(d.namespace)}; the DHCP server runs in the namespace of a vsvr active in this spec (vs_mgmt's)`,
    );
  }
  if (d.kea4 === '') {
    throw new WireError(`${path}.kea4`, `${path}.kea4 is empty; send the kea-dhcp4 configuration`);
  }
  if (!SPEC_HASH.test(d.hash)) {
    throw new WireError(
      `${path}.hash`,
      `${path}.hash is "${d.hash}"; send the configuration's sha256 as 64 lower-case hex digits`,
    );
  }
  return {
    namespace: d.namespace,
    interfaces: d.interfaces.map((n, i) => interfaceName(n, `${path}.interfaces[${i}]`)),
    kea4: d.kea4,
    kea6: d.kea6,
    hash: d.hash,
  };
}

function linkFromWire(l: WireLinkSpecOutput, path: string): LinkSpec {
  const kind = linkKindFromWire(l.kind, `${path}.kind`);
  const grouped = kind === 'bond' || kind === 'failover';
  if (!grouped && l.members.length > 0) {
    throw new WireError(
      `${path}.members`,
      `${path}.members is set on a ${kind} link; only bond and failover links have members`,
    );
  }
  const optional = <T>(value: T | undefined, check: (v: T, at: string) => T, field: string) =>
    value === undefined ? undefined : check(value, `${path}.${field}`);
  return {
    name: interfaceName(l.name, `${path}.name`),
    kind,
    mtu: mtu(l.mtu, `${path}.mtu`),
    ...opt('mac', optional(l.mac, canonicalMac, 'mac')),
    ...opt(
      'members',
      grouped ? l.members.map((m, j) => interfaceName(m, `${path}.members[${j}]`)) : undefined,
    ),
    ...opt('mode', l.mode === undefined ? undefined : linkModeFromWire(l.mode, `${path}.mode`)),
    ...opt('primary', optional(l.primary, interfaceName, 'primary')),
    ...opt('parent', optional(l.parent, interfaceName, 'parent')),
    ...opt('tag', optional(l.tag, vlanTag, 'tag')),
  };
}

function aliasFromWire(a: WireAliasSpecOutput, path: string): AliasSpec {
  return {
    name: interfaceName(a.name, `${path}.name`),
    kind: aliasKindFromWire(a.kind, `${path}.kind`),
    lower: interfaceName(a.lower, `${path}.lower`),
    mtu: mtu(a.mtu, `${path}.mtu`),
    ...opt('tag', a.tag === undefined ? undefined : vlanTag(a.tag, `${path}.tag`)),
  };
}

function filerAddressFromWire(a: WireFilerAddressOutput, path: string): FilerAddressSpec {
  return {
    alias: interfaceName(a.alias, `${path}.alias`),
    address: canonicalCidr(a.address, `${path}.address`),
    mode: addressModeFromWire(a.mode, `${path}.mode`),
    identifier: a.identifier,
    table: inRange(a.table, `${path}.table`, ...TABLE_RANGE),
    ...opt('site', a.site === undefined ? undefined : objectName(a.site, `${path}.site`)),
  };
}

function routeFromWire(r: WireRouteOutput, path: string): EffectiveRoute {
  return {
    to: canonicalCidr(r.to, `${path}.to`),
    ...opt('via', r.via === undefined ? undefined : canonicalIp(r.via, `${path}.via`)),
    ...opt('alias', r.alias === undefined ? undefined : interfaceName(r.alias, `${path}.alias`)),
    ...opt('metric', r.metric),
    from: r.from,
  };
}

function vsvrFromWire(v: WireVsvrSpecOutput, path: string): VsvrSpec {
  const name = objectName(v.name, `${path}.name`);
  const namespace = `vs-${name.toLowerCase()}`;
  if (v.namespace !== namespace) {
    throw new WireError(
      `${path}.namespace`,
      `${path}.namespace is ${shown(v.namespace)}; the namespace of vsvr ${name} is ${namespace}`,
    );
  }
  return {
    name,
    namespace,
    active: v.active,
    priority: v.priority,
    interfaces: v.interfaces.map((i, j) => {
      const at = `${path}.interfaces[${j}]`;
      return {
        name: interfaceName(i.name, `${at}.name`),
        lower: interfaceName(i.lower, `${at}.lower`),
        mtu: mtu(i.mtu, `${at}.mtu`),
        mac: canonicalMac(i.mac, `${at}.mac`),
        ...opt('tag', i.tag === undefined ? undefined : vlanTag(i.tag, `${at}.tag`)),
      };
    }),
    addresses: v.addresses.map((a, j) => {
      const at = `${path}.addresses[${j}]`;
      return {
        alias: interfaceName(a.alias, `${at}.alias`),
        instance: a.instance,
        address: canonicalCidr(a.address, `${at}.address`),
        mode: addressModeFromWire(a.mode, `${at}.mode`),
        identifier: a.identifier,
      };
    }),
    routes: v.routes.map((r, j) => routeFromWire(r, `${path}.routes[${j}]`)),
  };
}

function mysqlNodeFromWire(n: WireMysqlNodeOutput, path: string): MysqlNodeSpec {
  return {
    role: n.role,
    addresses: n.addresses.map((a, j) => ({
      alias: interfaceName(a.alias, `${path}.addresses[${j}].alias`),
      address: canonicalCidr(a.address, `${path}.addresses[${j}].address`),
      identifier: a.identifier,
    })),
  };
}

function mtu(value: number, path: string): number {
  return inRange(value, path, ...MTU_RANGE);
}

function vlanTag(value: number, path: string): number {
  return inRange(value, path, ...VLAN_TAG_RANGE);
}
