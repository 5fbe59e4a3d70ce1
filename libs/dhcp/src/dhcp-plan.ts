import { addressTable, contains, parseCidr, parseIp, subnetOf } from '@vsnet/model';
import type { AddressRow, Cidr, Cluster, ClusterAnalysis, Family, Route } from '@vsnet/model';
import { DhcpExportError } from './errors.js';
import type { AddressPool, DhcpInterface, FirstBootPool, LeaseDatabase } from './server-options.js';
import {
  checkLeaseDatabase,
  checkPools,
  normalizeInterfaces,
  subnetInterfaces,
} from './server-options.js';
import {
  VSNET_ENCODING_VERSION,
  encodeInterfaceDefinitions,
  interfaceStackOf,
} from './vendor-options.js';

/** What the caller knows that the cluster document does not. */
export interface DhcpExportOptions {
  /** Name servers handed out with every address; each goes to the server of its family. */
  readonly dnsServers?: readonly string[];
  /** DNS domain (DHCPv4 domain-name, DHCPv6 domain-search). */
  readonly domain?: string;
  /**
   * Interfaces the server listens on (a full Kea configuration; dhcpd takes them on its
   * command line), none by default (see renderKea), and the subnets each serves on its link.
   */
  readonly interfaces?: readonly (string | DhcpInterface)[];
  /** IPv4 pools that answer first-boot requests (and any other client without a reservation). */
  readonly firstBootPools?: readonly FirstBootPool[];
  /** Where a full Kea configuration keeps its leases. */
  readonly leaseDatabase?: LeaseDatabase;
}

/** One fixed address: the identifier the client sends and the address it gets. */
export interface Reservation {
  readonly identifier: string;
  /** Without its prefix. */
  readonly ip: string;
  readonly row: AddressRow;
  /** Option 43 payload (the filer's interface definitions) for a filer's own IPv4 address. */
  readonly vendorOptions?: Uint8Array;
}

export interface DhcpSubnet {
  /** Stable across exports while the subnet exists (Kea keys leases by it). */
  readonly id: number;
  readonly family: Family;
  /** `192.0.2.0/25`. */
  readonly prefix: string;
  readonly network: string;
  readonly prefixLength: number;
  /** IPv4: gateways of the default routes that lie inside the subnet. */
  readonly routers: readonly string[];
  readonly reservations: readonly Reservation[];
  /** The interface whose link the subnet's clients are on; unset: they are behind relays. */
  readonly interface?: string;
  /** IPv4: the first-boot pools of the subnet (a subnet may have pools only). */
  readonly pools: readonly AddressPool[];
}

/** What a new filer asks for down each physical port before it has any alias (§5.2.6.2). */
export interface FilerBootstrap {
  readonly filer: string;
  /** Option 43 payload: the filer's interface definitions. */
  readonly vendorOptions: Uint8Array;
  /** Ports with a MAC, each with the identifier `<cluster MAC>:<port MAC>`. */
  readonly ports: readonly {
    readonly name: string;
    readonly mac: string;
    readonly identifier: string;
  }[];
}

/** Everything every exporter renders: computed once from the cluster. */
export interface DhcpPlan {
  readonly cluster: { readonly name: string; readonly mac: string };
  readonly subnets4: readonly DhcpSubnet[];
  readonly subnets6: readonly DhcpSubnet[];
  readonly filers: readonly FilerBootstrap[];
  /** The worksheet, in document order. */
  readonly rows: readonly AddressRow[];
  readonly dnsServers4: readonly string[];
  readonly dnsServers6: readonly string[];
  readonly domain?: string;
  /** The names of the interfaces the server listens on. */
  readonly interfaces: readonly string[];
  /** Unset: Kea's default (a file in its data directory). */
  readonly leaseDatabase?: LeaseDatabase;
}

export { DhcpExportError };

/** The identifier a new filer sends down a port: the cluster MAC, then the port's MAC (§5.2.6.2). */
export function portIdentifier(clusterMac: string, portMac: string): string {
  return `${clusterMac}:${portMac}`;
}

/**
 * Groups the cluster's worksheet into subnets with their reservations, finds each subnet's
 * routers, and encodes every filer's interface definitions. Refuses (DhcpExportError) what
 * no DHCP server could serve: two addresses of one family under one identifier.
 */
export function buildDhcpPlan(
  cluster: Cluster,
  analysis: ClusterAnalysis,
  options: DhcpExportOptions = {},
): DhcpPlan {
  const filers = cluster.filers
    .filter((f) => analysis.filers.get(f.name.toLowerCase())?.filer === f)
    .map((f): FilerBootstrap => {
      const vendorOptions = encodeInterfaceDefinitions({
        version: VSNET_ENCODING_VERSION,
        cluster: cluster.name,
        filer: f.name,
        stack: interfaceStackOf(analysis, f.name),
      });
      const ports = f.interfaces.flatMap((i) =>
        i.kind === 'physical' && i.mac !== undefined
          ? [{ name: i.name, mac: i.mac, identifier: portIdentifier(cluster.mac, i.mac) }]
          : [],
      );
      return { filer: f.name, vendorOptions, ports };
    });
  const vendorOf = new Map(filers.map((f) => [f.filer, f.vendorOptions]));
  const rows = addressTable(cluster, analysis);
  const groups = new Map<string, { cidr: Cidr; reservations: Reservation[] }>();
  const seen = new Map<string, AddressRow>();
  for (const row of rows) {
    const parsed = parseCidr(row.address);
    if (!parsed.ok) {
      throw new DhcpExportError(
        `${row.address} of ${row.owner} is not an address: ${parsed.reason}`,
      );
    }
    const cidr = parsed.value;
    const key = `${cidr.family}|${row.identifier}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw new DhcpExportError(
        `${first.address} and ${row.address} would both be requested as ${row.identifier}, and a DHCP server gives one IPv${cidr.family} address per identifier; keep one IPv${cidr.family} address of ${row.owner} on ${row.alias}`,
      );
    }
    seen.set(key, row);
    const prefix = subnetOf(cidr);
    let group = groups.get(prefix);
    if (group === undefined) {
      const net = parseCidr(prefix);
      if (!net.ok) {
        throw new RangeError(`subnetOf gave ${prefix}, which does not parse`);
      }
      group = { cidr: net.value, reservations: [] };
      groups.set(prefix, group);
    }
    const vendorOptions =
      row.ownerKind === 'filer' && cidr.family === 4 ? vendorOf.get(row.owner) : undefined;
    group.reservations.push({
      identifier: row.identifier,
      ip: cidr.ip,
      row,
      ...(vendorOptions !== undefined ? { vendorOptions } : {}),
    });
  }
  const pools = checkPools(
    options.firstBootPools ?? [],
    [...groups.values()].map((g) => g.cidr),
  );
  const poolsOf = new Map<string, AddressPool[]>();
  pools.forEach((p, i) => {
    let group = groups.get(p.prefix);
    if (group === undefined) {
      // A subnet the cluster has no address in: declared for its pool alone.
      group = { cidr: p.net, reservations: [] };
      groups.set(p.prefix, group);
    }
    const taken = group.reservations.find((r) => {
      const ip = parseIp(r.ip);
      return ip.ok && ip.value.value >= p.first && ip.value.value <= p.last;
    });
    if (taken !== undefined) {
      throw new DhcpExportError(
        `the pool ${p.pool.first}-${p.pool.last} holds ${taken.ip}, the fixed address of ${taken.row.alias} of ${taken.row.owner}; choose a range outside the cluster's addresses`,
        `firstBootPools[${i}].range`,
      );
    }
    poolsOf.set(p.prefix, [...(poolsOf.get(p.prefix) ?? []), p.pool]);
  });
  const interfaces = normalizeInterfaces(options.interfaces ?? []);
  const servedOn = subnetInterfaces(interfaces, [...groups.keys()].sort());
  const gateways = defaultGateways(cluster);
  const ids = new SubnetIds();
  const subnets = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([prefix, g]): DhcpSubnet => {
      const on = servedOn.get(prefix);
      return {
        id: ids.idOf(prefix),
        family: g.cidr.family,
        prefix,
        network: g.cidr.ip,
        prefixLength: g.cidr.prefix,
        routers:
          g.cidr.family === 4 ? gateways.filter((v) => contains(g.cidr, v)).map((v) => v.ip) : [],
        reservations: g.reservations,
        ...(on !== undefined ? { interface: on } : {}),
        pools: poolsOf.get(prefix) ?? [],
      };
    });
  const dns = (options.dnsServers ?? []).map((s) => {
    const p = parseCidr(`${s}/${s.includes(':') ? 128 : 32}`);
    if (!p.ok) {
      throw new DhcpExportError(
        `DNS server "${s}" is not an IP address; pass addresses like 192.0.2.53`,
        'dnsServers',
      );
    }
    return p.value;
  });
  if (
    options.domain !== undefined &&
    !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(
      options.domain,
    )
  ) {
    throw new DhcpExportError(
      `"${options.domain}" is not a DNS domain name; pass one like example.com`,
      'domain',
    );
  }
  return {
    cluster: { name: cluster.name, mac: cluster.mac },
    subnets4: subnets.filter((s) => s.family === 4),
    subnets6: subnets.filter((s) => s.family === 6),
    filers,
    rows,
    dnsServers4: dns.filter((d) => d.family === 4).map((d) => d.ip),
    dnsServers6: dns.filter((d) => d.family === 6).map((d) => d.ip),
    ...(options.domain !== undefined ? { domain: options.domain.replace(/\.$/, '') } : {}),
    interfaces: [...new Set(interfaces.map((i) => i.name))],
    ...(options.leaseDatabase !== undefined
      ? { leaseDatabase: checkLeaseDatabase(options.leaseDatabase) }
      : {}),
  };
}

/**
 * Gateways of every default route of the routing policies and of the vsvrs, first seen first.
 * A subnet gets those that lie inside it: a router outside the subnet is no use to a client.
 */
function defaultGateways(cluster: Cluster): Cidr[] {
  const out = new Map<string, Cidr>();
  const take = (routes: readonly Route[]): void => {
    for (const r of routes) {
      if (r.to.prefix === 0 && r.via !== undefined && !out.has(r.via.ip)) {
        out.set(r.via.ip, r.via);
      }
    }
  };
  cluster.routingPolicies.forEach((p) => take(p.routes));
  cluster.vsvrs.forEach((v) => take(v.routes));
  return [...out.values()];
}

/**
 * Kea keeps leases by subnet id, so an id must not change when other subnets come and go: it
 * is a hash of the prefix (FNV-1a), moved to the next free value in the rare collision.
 */
class SubnetIds {
  private readonly used = new Set<number>();
  idOf(prefix: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < prefix.length; i++) {
      h = Math.imul(h ^ prefix.charCodeAt(i), 0x01000193) >>> 0;
    }
    // Kea's ids run from 1 to 2^32 - 2; staying below 2^31 keeps them readable everywhere.
    let id = (h % 0x7ffffffe) + 1;
    while (this.used.has(id)) {
      id = (id % 0x7ffffffe) + 1;
    }
    this.used.add(id);
    return id;
  }
}
