import type { AddressMode, AliasKind, BondMode, LinkSpec } from '@vsnet/model';
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

export function nonEmpty(value: string, path: string): string {
  if (value === '') {
    throw new WireError(path, `${path} is empty; send the name the spec compiler gave it`);
  }
  return value;
}
