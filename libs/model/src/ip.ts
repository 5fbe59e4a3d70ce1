import ipaddr from 'ipaddr.js';

/**
 * IPv4 and IPv6 addresses with a prefix length (§5.2.3). Two spellings of one address are
 * the same address: everything is compared in canonical form (RFC 5952 for IPv6).
 */
export type Family = 4 | 6;

export interface Cidr {
  readonly family: Family;
  /** Canonical text of the address alone: `10.2.2.1`, `2001:db8::1`. */
  readonly ip: string;
  readonly prefix: number;
  /** The address as a number, for containment and overlap checks. */
  readonly value: bigint;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function bitsOf(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** Parses a bare address. Refuses leading zeros in IPv4 octets, which some tools read as octal. */
export function parseIp(text: string): ParseResult<{ family: Family; ip: string; value: bigint }> {
  const t = text.trim();
  const v4 = IPV4.exec(t);
  if (v4) {
    // Dotted quads are parsed here directly: they are most addresses, and the common path
    // must stay cheap for clusters of tens of thousands of addresses.
    let value = 0;
    for (let k = 1; k <= 4; k++) {
      const octet = v4[k] ?? '';
      if (octet.length > 1 && octet.startsWith('0')) {
        return { ok: false, reason: `"${t}" has a leading zero in an octet (octal or decimal?)` };
      }
      const n = Number(octet);
      if (n > 255) {
        return {
          ok: false,
          reason: `"${t}" is not an IPv4 or IPv6 address (${octet} is above 255)`,
        };
      }
      value = value * 256 + n;
    }
    return { ok: true, value: { family: 4, ip: t, value: BigInt(value) } };
  }
  const a = t.includes(':') && !t.includes('%') ? parseIpv6(t) : undefined;
  if (a) {
    // Checked by hand: ipaddr's isIPv4MappedAddress() matches against every special range.
    if (a.parts.slice(0, 5).every((p) => p === 0) && a.parts[5] === 0xffff) {
      return { ok: false, reason: `"${t}" is an IPv4-mapped IPv6 address; write the IPv4 address` };
    }
    const hex = a.parts.map((p) => p.toString(16).padStart(4, '0')).join('');
    return { ok: true, value: { family: 6, ip: a.toString(), value: BigInt(`0x${hex}`) } };
  }
  return { ok: false, reason: `"${t}" is not an IPv4 or IPv6 address` };
}

function parseIpv6(text: string): ipaddr.IPv6 | undefined {
  try {
    return ipaddr.IPv6.parse(text);
  } catch {
    return undefined;
  }
}

/** Parses `address/prefix`; the prefix is required, because an address without one is ambiguous. */
export function parseCidr(text: string): ParseResult<Cidr> {
  const t = text.trim();
  const slash = t.indexOf('/');
  if (slash < 0) {
    return { ok: false, reason: `"${t}" has no prefix length (write it as address/prefix)` };
  }
  const ip = parseIp(t.slice(0, slash));
  if (!ip.ok) {
    return ip;
  }
  const prefixText = t.slice(slash + 1);
  const max = bitsOf(ip.value.family);
  if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > max) {
    return { ok: false, reason: `"/${prefixText}" is not a prefix length between 0 and ${max}` };
  }
  const { family, ip: canonical, value } = ip.value;
  return { ok: true, value: { family, ip: canonical, prefix: Number(prefixText), value } };
}

export function formatCidr(c: Cidr): string {
  return `${c.ip}/${c.prefix}`;
}

function buildMasks(bits: number): bigint[] {
  const all = (1n << BigInt(bits)) - 1n;
  return Array.from({ length: bits + 1 }, (_, p) => all ^ ((1n << BigInt(bits - p)) - 1n));
}

/** Netmasks by prefix length, built once: containment checks run for every route and address. */
const MASKS: Record<Family, readonly bigint[]> = { 4: buildMasks(32), 6: buildMasks(128) };

function mask(family: Family, prefix: number): bigint {
  return MASKS[family][prefix] ?? 0n;
}

/** The first address of the subnet `c` lies in. */
export function networkOf(c: Cidr): bigint {
  return c.value & mask(c.family, c.prefix);
}

export function lastOf(c: Cidr): bigint {
  return networkOf(c) | (ALL_ONES[c.family] ^ mask(c.family, c.prefix));
}

const ALL_ONES: Record<Family, bigint> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };

/** The subnet `c` belongs to, in canonical text: `10.2.2.1/24` → `10.2.2.0/24`. */
export function subnetOf(c: Cidr): string {
  return `${formatValue(c.family, networkOf(c))}/${c.prefix}`;
}

export function formatValue(family: Family, v: bigint): string {
  const bytes: number[] = [];
  for (let i = bitsOf(family) / 8 - 1; i >= 0; i--) {
    bytes.push(Number((v >> BigInt(i * 8)) & 0xffn));
  }
  return ipaddr.fromByteArray(bytes).toString();
}

/** True when the address `ip` lies inside the subnet of `net`. */
export function contains(net: Cidr, ip: { family: Family; value: bigint }): boolean {
  return net.family === ip.family && (ip.value & mask(net.family, net.prefix)) === networkOf(net);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && networkOf(a) <= lastOf(b) && networkOf(b) <= lastOf(a);
}

/**
 * Why a host address with this prefix cannot be assigned, if it cannot: the IPv4 network and
 * broadcast addresses of subnets larger than /31, and the IPv6 subnet-router anycast address.
 */
export function unusableHostReason(c: Cidr): string | undefined {
  if (c.family === 4 && c.prefix <= 30) {
    if (c.value === networkOf(c)) {
      return `${c.ip} is the network address of ${subnetOf(c)}`;
    }
    if (c.value === lastOf(c)) {
      return `${c.ip} is the broadcast address of ${subnetOf(c)}`;
    }
  }
  if (c.family === 6 && c.prefix <= 126 && c.value === networkOf(c)) {
    return `${c.ip} is the subnet-router anycast address of ${subnetOf(c)}`;
  }
  return undefined;
}
