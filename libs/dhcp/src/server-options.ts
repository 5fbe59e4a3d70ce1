import { contains, overlaps, parseCidr, parseIp, subnetOf } from '@vsnet/model';
import type { Cidr } from '@vsnet/model';
import { DhcpExportError } from './errors.js';

/** An interface a server listens on, and the subnets it serves there to clients on its link. */
export interface DhcpInterface {
  /** As the operating system names it: `eth0`. */
  readonly name: string;
  /**
   * Subnets of the configuration (`198.18.0.0/24`, `2001:db8:0:1::/64`) whose clients are on
   * this interface's link rather than behind a relay, at most one of each family. Kea selects a
   * DHCPv6 subnet for a client on the link only by this; left out, see {@link subnetInterfaces}.
   */
  readonly subnets?: readonly string[];
}

/**
 * Addresses handed out to the requests no reservation covers — above all a new filer's
 * first-boot request down each port (`<cluster MAC>:<port MAC>`), which has no fixed address,
 * so a server answers it (and sends option 43) only from a pool.
 */
export interface FirstBootPool {
  /** An IPv4 subnet: one of the cluster's, or another that the configuration then declares. */
  readonly subnet: string;
  /** `198.18.0.200-198.18.0.220`, both ends inside the subnet and handed out. */
  readonly range: string;
}

/** Where Kea (memfile) keeps its leases. Unset: Kea's default file in its data directory. */
export interface LeaseDatabase {
  /** False: in memory only, forgotten at every restart (and, for DHCPv6, the server DUID too). */
  readonly persist: boolean;
  /** The lease file, an absolute path; with `persist` only. */
  readonly name?: string;
}

/** A pool as the plan carries it: first and last address, canonical. */
export interface AddressPool {
  readonly first: string;
  readonly last: string;
}

/**
 * Names Linux accepts for an interface (at most 15 bytes, no `/`, `:` or blanks), without `*`
 * and `=`: Kea reads `*` as every interface, which is the hazard listening on none avoids.
 */
const INTERFACE_NAME = /^[^\s/:*=,]{1,15}$/;

/** Interface names as the options give them: a plain name or a {@link DhcpInterface}. */
export function normalizeInterfaces(
  given: readonly (string | DhcpInterface)[],
): readonly DhcpInterface[] {
  return given.map((g, i) => {
    const iface = typeof g === 'string' ? { name: g } : g;
    if (!INTERFACE_NAME.test(iface.name)) {
      throw new DhcpExportError(
        `"${iface.name}" is not a network interface name; pass one like eth0`,
        `interfaces[${i}].name`,
      );
    }
    return iface;
  });
}

/** A few of the prefixes, for a message: a generated cluster can have thousands. */
function some(prefixes: readonly string[]): string {
  const shown = prefixes.slice(0, 5).join(', ');
  return prefixes.length > 5 ? `${shown} and ${prefixes.length - 5} more` : shown || '(none)';
}

/** The canonical prefix of a subnet an option names, or a DhcpExportError naming the field. */
function subnetPrefix(text: string, field: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) {
    throw new DhcpExportError(
      `"${text}" is not a subnet: ${parsed.reason}; write it like 198.18.0.0/24`,
      field,
    );
  }
  const net = parseCidr(subnetOf(parsed.value));
  if (!net.ok) {
    throw new RangeError(`subnetOf gave ${subnetOf(parsed.value)}, which does not parse`);
  }
  return net.value;
}

/**
 * The interface each subnet is served on, by prefix. A subnet an interface names is served on
 * it. When exactly one interface names no subnets, it serves the one subnet of a family that
 * the others leave, if only one is left: Kea selects the subnet of a client on the link by the
 * interface name before anything else, taking the first subnet with that name, so it can serve
 * one subnet per family on a link (more need shared networks). A subnet no interface serves
 * has its clients behind relays, which Kea matches by the relay's address instead, whatever
 * the interface.
 */
export function subnetInterfaces(
  interfaces: readonly DhcpInterface[],
  prefixes: readonly string[],
): Map<string, string> {
  const known = new Set(prefixes);
  const out = new Map<string, string>();
  const familyOf = (prefix: string) => (prefix.includes(':') ? 6 : 4);
  interfaces.forEach((iface, i) => {
    (iface.subnets ?? []).forEach((text, j) => {
      const field = `interfaces[${i}].subnets[${j}]`;
      const prefix = subnetOf(subnetPrefix(text, field));
      if (!known.has(prefix)) {
        throw new DhcpExportError(
          `${iface.name} is to serve ${prefix}, which is not a subnet of the configuration; name one of ${some(prefixes)}`,
          field,
        );
      }
      const other = out.get(prefix);
      if (other !== undefined && other !== iface.name) {
        throw new DhcpExportError(
          `${prefix} is to be served on both ${other} and ${iface.name}, and a server serves a subnet on one link; name it once`,
          field,
        );
      }
      const sibling = [...out].find(
        ([p, on]) => on === iface.name && p !== prefix && familyOf(p) === familyOf(prefix),
      );
      if (sibling !== undefined) {
        throw new DhcpExportError(
          `${iface.name} is to serve both ${sibling[0]} and ${prefix}, and Kea serves every client on a link from the first subnet of a family named there; name one, and let relays reach the other`,
          field,
        );
      }
      out.set(prefix, iface.name);
    });
  });
  const plain = [
    ...new Set(interfaces.filter((i) => (i.subnets ?? []).length === 0).map((i) => i.name)),
  ];
  const named = new Set(interfaces.filter((i) => (i.subnets ?? []).length > 0).map((i) => i.name));
  const rest = plain.length === 1 && !named.has(plain[0] ?? '') ? plain[0] : undefined;
  if (rest !== undefined) {
    for (const family of [4, 6]) {
      const left = prefixes.filter((p) => familyOf(p) === family && !out.has(p));
      if (left.length === 1 && left[0] !== undefined) {
        out.set(left[0], rest);
      }
    }
  }
  return out;
}

/** The end of a pool, checked to be an IPv4 address inside the subnet that a host may have. */
function poolEnd(text: string, net: Cidr, field: string): { ip: string; value: bigint } {
  const ip = parseIp(text);
  if (!ip.ok || ip.value.family !== 4) {
    throw new DhcpExportError(
      `"${text}" is not an IPv4 address; write the range like 198.18.0.200-198.18.0.220`,
      field,
    );
  }
  if (!contains(net, ip.value)) {
    throw new DhcpExportError(
      `${ip.value.ip} is outside ${subnetOf(net)}; give a range inside the subnet`,
      field,
    );
  }
  const size = 1n << BigInt(32 - net.prefix);
  if (
    net.prefix <= 30 &&
    (ip.value.value === net.value || ip.value.value === net.value + size - 1n)
  ) {
    throw new DhcpExportError(
      `${ip.value.ip} is the network or broadcast address of ${subnetOf(net)}, which no client may get; start and end the range inside it`,
      field,
    );
  }
  return ip.value;
}

/** A pool, checked, with its subnet's prefix and bounds. */
export interface CheckedPool {
  readonly net: Cidr;
  readonly prefix: string;
  readonly first: bigint;
  readonly last: bigint;
  readonly pool: AddressPool;
}

/**
 * The first-boot pools, each checked against the cluster's subnets: IPv4, the range inside its
 * subnet and in order, a subnet that is one of the cluster's or overlaps none of them, and no
 * pool overlapping another. Reserved addresses are checked by the caller, which has them.
 */
export function checkPools(
  pools: readonly FirstBootPool[],
  clusterSubnets: readonly Cidr[],
): CheckedPool[] {
  const out: CheckedPool[] = [];
  pools.forEach((p, i) => {
    const net = subnetPrefix(p.subnet, `firstBootPools[${i}].subnet`);
    const prefix = subnetOf(net);
    if (net.family !== 4) {
      throw new DhcpExportError(
        `${prefix} is an IPv6 subnet, and a new filer asks for its interface definitions over DHCPv4; give an IPv4 subnet`,
        `firstBootPools[${i}].subnet`,
      );
    }
    const clash = clusterSubnets.find((c) => overlaps(c, net) && subnetOf(c) !== prefix);
    if (clash !== undefined) {
      throw new DhcpExportError(
        `${prefix} overlaps the cluster's subnet ${subnetOf(clash)}; give the pool in ${subnetOf(clash)}`,
        `firstBootPools[${i}].subnet`,
      );
    }
    const field = `firstBootPools[${i}].range`;
    const ends = /^\s*([^\s-]+)\s*-\s*([^\s-]+)\s*$/.exec(p.range);
    if (ends === null) {
      throw new DhcpExportError(
        `"${p.range}" is not a range; write it as FIRST-LAST, like 198.18.0.200-198.18.0.220`,
        field,
      );
    }
    const from = poolEnd(ends[1] ?? '', net, field);
    const to = poolEnd(ends[2] ?? '', net, field);
    const [first, last] = [from.value, to.value];
    if (first > last) {
      throw new DhcpExportError(
        `${p.range} ends before it starts; write the lower address first`,
        field,
      );
    }
    const other = out.find((o) => o.prefix === prefix && o.first <= last && first <= o.last);
    if (other !== undefined) {
      throw new DhcpExportError(
        `${p.range} overlaps the pool ${other.pool.first}-${other.pool.last}; give pools that do not share addresses`,
        field,
      );
    }
    out.push({ net, prefix, first, last, pool: { first: from.ip, last: to.ip } });
  });
  return out;
}

/** The lease database option, checked. */
export function checkLeaseDatabase(db: LeaseDatabase): LeaseDatabase {
  if (db.name !== undefined && !db.persist) {
    throw new DhcpExportError(
      `leases kept in memory have no file; drop the name or keep them in ${db.name}`,
      'leaseDatabase.name',
    );
  }
  if (db.name !== undefined && (!db.name.startsWith('/') || /[\0\n]/.test(db.name))) {
    throw new DhcpExportError(
      `the lease file "${db.name}" is not an absolute path, so where Kea keeps it would depend on where it is started; pass one like /var/lib/kea/kea-leases4.csv`,
      'leaseDatabase.name',
    );
  }
  return db;
}
