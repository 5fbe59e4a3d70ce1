import type { AddressMode, AliasKind, BondMode, LinkSpec } from '@vsnet/model';
import {
  MAX_INTERFACE_NAME_BYTES,
  OBJECT_NAME_PATTERN,
  formatCidr,
  normalizeMac,
  parseCidr,
  parseInterfaceName,
  parseIp,
} from '@vsnet/model';
import type { AddressMode__Output as WireAddressMode } from './generated/vsnet/agent/v1/AddressMode.js';
import type { AliasKind__Output as WireAliasKind } from './generated/vsnet/agent/v1/AliasKind.js';
import type { LinkKind__Output as WireLinkKind } from './generated/vsnet/agent/v1/LinkKind.js';
import type { LinkMode__Output as WireLinkMode } from './generated/vsnet/agent/v1/LinkMode.js';

// The spec's enumerations on the wire, and the small checks the NodeSpec mapper shares.

/**
 * A wire message that cannot become a domain object. `path` names the field the way a caller
 * wrote it (`spec.links[2].kind`); the message is one sentence that says what to send instead.
 */
export class WireError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'WireError';
  }
}

type LinkMode = BondMode | 'active-backup';

export const LINK_KINDS: Readonly<Record<LinkSpec['kind'], WireLinkKind>> = {
  physical: 'LINK_KIND_PHYSICAL',
  bond: 'LINK_KIND_BOND',
  failover: 'LINK_KIND_FAILOVER',
  vlan: 'LINK_KIND_VLAN',
};
export const LINK_MODES: Readonly<Record<LinkMode, WireLinkMode>> = {
  '802.3ad': 'LINK_MODE_802_3AD',
  'balance-rr': 'LINK_MODE_BALANCE_RR',
  'balance-xor': 'LINK_MODE_BALANCE_XOR',
  'balance-tlb': 'LINK_MODE_BALANCE_TLB',
  'balance-alb': 'LINK_MODE_BALANCE_ALB',
  broadcast: 'LINK_MODE_BROADCAST',
  'active-backup': 'LINK_MODE_ACTIVE_BACKUP',
};
export const ALIAS_KINDS: Readonly<Record<AliasKind, WireAliasKind>> = {
  data: 'ALIAS_KIND_DATA',
  mgmt: 'ALIAS_KIND_MGMT',
  san: 'ALIAS_KIND_SAN',
};
export const ADDRESS_MODES: Readonly<Record<AddressMode, WireAddressMode>> = {
  static: 'ADDRESS_MODE_STATIC',
  dhcp: 'ADDRESS_MODE_DHCP',
};

export const SPEC_HASH = /^[0-9a-f]{64}$/;

/** Reverses one of the tables above; an unknown or UNSPECIFIED wire value is a WireError. */
function decoder<D extends string, W extends string>(
  table: Readonly<Record<D, W>>,
): (value: W | number, path: string) => D {
  const entries = Object.entries(table) as [D, W][];
  const reverse = new Map<string, D>(entries.map(([d, w]) => [w, d]));
  const allowed = entries.map(([, w]) => w).join(', ');
  return (value, path) => {
    const decoded = reverse.get(String(value));
    if (decoded === undefined) {
      throw new WireError(path, `${path} is ${String(value)}; send one of ${allowed}`);
    }
    return decoded;
  };
}

export const linkKindFromWire = decoder(LINK_KINDS);
export const linkModeFromWire = decoder(LINK_MODES);
export const aliasKindFromWire = decoder(ALIAS_KINDS);
export const addressModeFromWire = decoder(ADDRESS_MODES);

/** `{ key: value }` when value is defined, else `{}`: optional fields stay absent, not undefined. */
export function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

// ---- values that reach a command --------------------------------------------------------------
// The dataplane builds `ip -batch` lines from these, trusting that the model validated them. A
// spec that arrives over the wire has not been through the model, so each value is checked here
// with the model's own parsers and must already be in the form the spec compiler writes.

const SHOWN_VALUE_CHARS = 64;

/** Longest `address/prefix` text: a full IPv6 address with a 3-digit prefix is 43. */
const MAX_ADDRESS_CHARS = 64;

/**
 * Refuses a value with spaces, control or non-ASCII characters, or longer than `max`, before a
 * parser quotes it back raw (a newline in a status message or log line would split it).
 */
function unprintable(value: string, path: string, max: number, what: string): void {
  if (value.length > max) {
    throw new WireError(path, `${path} is ${shown(value)}; ${what} is at most ${max} characters`);
  }
  if (!/^[\x21-\x7e]*$/.test(value)) {
    throw new WireError(
      path,
      `${path} is ${shown(value)}; ${what} has no spaces, control or non-ASCII characters`,
    );
  }
}

/** The value as a JSON string (newlines visible), cut short when it is long. */
export function shown(value: string): string {
  return value.length > SHOWN_VALUE_CHARS
    ? `${JSON.stringify(value.slice(0, SHOWN_VALUE_CHARS))}… (${value.length} characters)`
    : JSON.stringify(value);
}

/** An interface name (`eth0`, `bond0.10`, `data1`) exactly as the compiler stores it. */
export function interfaceName(value: string, path: string): string {
  unprintable(value, path, MAX_INTERFACE_NAME_BYTES, 'an interface name');
  const parsed = parseInterfaceName(value);
  if (!parsed.ok) {
    throw new WireError(
      path,
      `${path} is ${shown(value)}, not an interface name: ${parsed.reason}; ${parsed.hint}`,
    );
  }
  if (parsed.value.name !== value) {
    throw new WireError(
      path,
      `${path} is ${shown(value)}; send the stored form ${shown(parsed.value.name)}`,
    );
  }
  return value;
}

/** A vsvr, filer, cluster or site name. */
export function objectName(value: string, path: string): string {
  if (!OBJECT_NAME_PATTERN.test(value)) {
    throw new WireError(
      path,
      `${path} is ${shown(value)}; send a name that starts with a letter, then up to 62 letters, digits, "_" or "-"`,
    );
  }
  return value;
}

/** `address/prefix` in canonical form (`10.2.2.1/24`, `2001:db8::1/64`). */
export function canonicalCidr(value: string, path: string): string {
  unprintable(value, path, MAX_ADDRESS_CHARS, 'an address/prefix');
  const parsed = parseCidr(value);
  if (!parsed.ok) {
    throw new WireError(path, `${path} is ${shown(value)}: ${parsed.reason}`);
  }
  const canonical = formatCidr(parsed.value);
  if (canonical !== value) {
    throw new WireError(path, `${path} is ${shown(value)}; send the canonical form ${canonical}`);
  }
  return value;
}

/** A bare address in canonical form. */
export function canonicalIp(value: string, path: string): string {
  unprintable(value, path, MAX_ADDRESS_CHARS, 'an address');
  const parsed = parseIp(value);
  if (!parsed.ok) {
    throw new WireError(path, `${path} is ${shown(value)}: ${parsed.reason}`);
  }
  if (parsed.value.ip !== value) {
    throw new WireError(
      path,
      `${path} is ${shown(value)}; send the canonical form ${parsed.value.ip}`,
    );
  }
  return value;
}

/** A MAC address as the model stores it: lower case, colon separated. */
export function canonicalMac(value: string, path: string): string {
  const normalized = normalizeMac(value);
  if (normalized !== value) {
    throw new WireError(
      path,
      normalized === undefined
        ? `${path} is ${shown(value)}, not a MAC address; send six colon-separated hex bytes`
        : `${path} is ${shown(value)}; send the stored form ${normalized}`,
    );
  }
  return value;
}

/** An integer from `min` to `max`. */
export function inRange(value: number, path: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new WireError(path, `${path} is ${value}; send a number from ${min} to ${max}`);
  }
  return value;
}

export const MTU_RANGE = [68, 65535] as const;
export const VLAN_TAG_RANGE = [1, 4094] as const;
/** Policy-routing table ids: 0 means "unspecified" to the kernel. */
export const TABLE_RANGE = [1, 0xffffffff] as const;
