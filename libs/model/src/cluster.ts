import type { Cidr } from './ip.js';
import type { BaseKind } from './names.js';
import type { Path } from './problems.js';

/**
 * The domain model of one cluster's network: what a cluster document or the database
 * describes, already parsed (names lower case, addresses canonical). Every element keeps
 * `at`, the path it came from, so a problem can point at the line a person wrote.
 */
export interface Cluster {
  readonly name: string;
  /** Lower case, colon separated (§5.2.4). */
  readonly mac: string;
  /** Routing policy of every vsvr that names none (§3.1.1: a cluster-wide default). */
  readonly defaultRoutingPolicy?: string;
  /**
   * Who serves DHCP (§5.6): `internal` makes the filer where vs_mgmt is active run it; absent
   * means external (someone else's server), and decoding leaves it absent for `external` so a
   * document that says nothing and one that says the default are the same cluster.
   */
  readonly dhcp?: DhcpMode;
  readonly filers: readonly Filer[];
  readonly vsvrs: readonly Vsvr[];
  readonly mysqlNodes: readonly MysqlNode[];
  readonly sites: readonly Site[];
  readonly routingPolicies: readonly RoutingPolicy[];
  readonly at: Path;
}

/** `cluster.dhcp`: who runs the cluster's DHCP server. */
export const DHCP_MODES = ['external', 'internal'] as const;
export type DhcpMode = (typeof DHCP_MODES)[number];

export const BOND_MODES = [
  '802.3ad',
  'balance-rr',
  'balance-xor',
  'balance-tlb',
  'balance-alb',
  'broadcast',
] as const;
export type BondMode = (typeof BOND_MODES)[number];

export const DEFAULT_BOND_MODE: BondMode = '802.3ad';
export const DEFAULT_MTU = 1500;
export const MIN_MTU = 68;
export const MAX_MTU = 65535;

export interface Interface {
  /** Lower case, e.g. `bond0.10`. */
  readonly name: string;
  readonly baseKind: BaseKind;
  /** `vlan` for any `<parent>.<tag>`, whatever its base. */
  readonly kind: InterfaceKind;
  readonly vlanTags: readonly number[];
  /** VLAN: the interface it is stacked on. */
  readonly parent?: string;
  readonly tag?: number;
  /** Bond or failover interface: its members, in the order given. */
  readonly members: readonly string[];
  readonly bondMode?: BondMode;
  /** Failover interface: the member preferred while it is up. */
  readonly primary?: string;
  /** Alias: the interface it is built on. */
  readonly lower?: string;
  /** Physical interface: its burnt-in MAC. */
  readonly mac?: string;
  /** As written; `undefined` inherits the parent's (physical: 1500). */
  readonly mtu?: number;
  /** mgmt#/san# alias: routing policy for the filer's addresses on it. */
  readonly routingPolicy?: string;
  readonly at: Path;
}

export type InterfaceKind = 'physical' | 'bond' | 'failover' | 'vlan' | 'alias';

export type AddressMode = 'static' | 'dhcp';

export interface FilerAddress {
  readonly alias: string;
  readonly address: Cidr;
  readonly mode: AddressMode;
  readonly at: Path;
}

export interface Filer {
  /** As written (it appears in DHCP identifiers); unique without regard to case. */
  readonly name: string;
  readonly interfaces: readonly Interface[];
  readonly addresses: readonly FilerAddress[];
  readonly at: Path;
}

export interface VsvrAddress {
  readonly alias: string;
  /** Per vsvr and alias, from 0 (§5.2.6.3: `data0:VsvrA:1`). */
  readonly instance: number;
  readonly address: Cidr;
  readonly mode: AddressMode;
  readonly at: Path;
}

export interface Vsvr {
  readonly name: string;
  /** Ordered filer names; `undefined` means any filer that has the vsvr's aliases. */
  readonly failoverGroup?: readonly string[];
  readonly routingPolicy?: string;
  /** Routes of this vsvr alone; they override its policies' routes to the same destination. */
  readonly routes: readonly Route[];
  readonly addresses: readonly VsvrAddress[];
  /**
   * `auto`: after a failover or a move, the vsvr returns to its home filer once that filer has
   * been up for `failbackHoldDown` seconds. Absent means `manual` (it stays until moved), and
   * decoding leaves it absent for `manual`, so saying the default is the same cluster.
   */
  readonly failback?: 'auto';
  /** Seconds the home filer must be up before an `auto` failback; absent means the default. */
  readonly failbackHoldDown?: number;
  readonly at: Path;
}

/** `vsvrs[].failback`: whether a vsvr returns to its home filer by itself. */
export const FAILBACK_MODES = ['manual', 'auto'] as const;
export type FailbackMode = (typeof FAILBACK_MODES)[number];
export const DEFAULT_FAILBACK_HOLD_DOWN_SECONDS = 60;
export const MAX_FAILBACK_HOLD_DOWN_SECONDS = 86_400;

/** A vsvr's failback policy with the defaults filled in. */
export function failbackOf(v: Vsvr): { mode: FailbackMode; holdDownSeconds: number } {
  return {
    mode: v.failback ?? 'manual',
    holdDownSeconds: v.failbackHoldDown ?? DEFAULT_FAILBACK_HOLD_DOWN_SECONDS,
  };
}

export interface MysqlNodeAddress {
  readonly alias: string;
  readonly address: Cidr;
  readonly mode: AddressMode;
  readonly at: Path;
}

/** A MySQL node role (§5.11): `MySQLMgmtNode`, `MySQLDataNode1`, `MySQLAppNode2`, … */
export interface MysqlNode {
  readonly role: string;
  readonly addresses: readonly MysqlNodeAddress[];
  readonly at: Path;
}

export interface Site {
  readonly name: string;
  readonly subnets: readonly Cidr[];
  readonly at: Path;
}

export interface Route {
  /** Destination; `0.0.0.0/0` or `::/0` for a default route. */
  readonly to: Cidr;
  readonly via?: Cidr;
  /** Leave through this alias (e.g. `data0`); otherwise the one whose subnet holds `via`. */
  readonly alias?: string;
  readonly metric?: number;
  readonly at: Path;
}

export interface RoutingPolicy {
  readonly name: string;
  readonly extends?: string;
  readonly routes: readonly Route[];
  readonly at: Path;
}
