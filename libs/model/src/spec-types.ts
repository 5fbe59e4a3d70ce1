import type { AddressMode, BondMode } from './cluster.js';
import type { AliasKind } from './names.js';
import type { Problem } from './problems.js';

/** A route as it ends up in a table, with where it came from (policy name, or `vsvr:<name>`). */
export interface EffectiveRoute {
  readonly to: string;
  readonly via?: string;
  readonly alias?: string;
  readonly metric?: number;
  readonly from: string;
}

/** Where a vsvr can run (§5.7), in failover order, and why the other filers cannot take it. */
export interface Placement {
  readonly vsvr: string;
  /** True when the document names a failover group; otherwise every filer is a candidate. */
  readonly explicitGroup: boolean;
  /** Candidate filers in order: the failover group, or every filer. */
  readonly candidates: readonly string[];
  /** The candidates that have every alias the vsvr uses, with the same VLAN stack and MTU. */
  readonly runsOn: readonly string[];
  readonly excluded: readonly { readonly filer: string; readonly reasons: readonly string[] }[];
}

export interface AddressRow {
  /** The DHCP identifier of the address (§5.2.6.3, §5.11). */
  readonly identifier: string;
  readonly address: string;
  readonly ownerKind: 'vsvr' | 'filer' | 'mysql';
  readonly owner: string;
  readonly alias: string;
  readonly instance?: number;
  readonly mode: AddressMode;
  readonly site?: string;
}

export interface LinkSpec {
  readonly name: string;
  readonly kind: 'physical' | 'bond' | 'failover' | 'vlan';
  readonly mtu: number;
  readonly mac?: string;
  readonly members?: readonly string[];
  readonly mode?: BondMode | 'active-backup';
  readonly primary?: string;
  readonly parent?: string;
  readonly tag?: number;
}

export interface AliasSpec {
  readonly name: string;
  readonly kind: AliasKind;
  /** The interface the alias is built on; for a VLAN of an alias (`data0.5`), that alias. */
  readonly lower: string;
  readonly mtu: number;
  readonly tag?: number;
}

export interface FilerAddressSpec {
  readonly alias: string;
  readonly address: string;
  readonly mode: AddressMode;
  readonly identifier: string;
  /** Policy-routing table used for traffic from this address. */
  readonly table: number;
  readonly site?: string;
}

export interface AliasRoutesSpec {
  readonly alias: string;
  readonly table: number;
  readonly routes: readonly EffectiveRoute[];
}

export interface VsvrInterfaceSpec {
  readonly name: string;
  /** The filer interface the vsvr's macvlan sits on (for `data0.5`: `data0`, inside the namespace). */
  readonly lower: string;
  readonly mtu: number;
  /** Stable, locally administered MAC derived from the cluster MAC, vsvr and alias. */
  readonly mac: string;
  readonly tag?: number;
}

export interface VsvrSpec {
  readonly name: string;
  readonly namespace: string;
  /**
   * True on the filer the vsvr runs on: its placement (after a failover or a move) when it has
   * one, else the first of `runsOn`; the others pre-stage it.
   */
  readonly active: boolean;
  /** Position of this filer among the vsvr's `runsOn` filers, active first (0 = active). */
  readonly priority: number;
  readonly interfaces: readonly VsvrInterfaceSpec[];
  readonly addresses: readonly {
    readonly alias: string;
    readonly instance: number;
    readonly address: string;
    readonly mode: AddressMode;
    readonly identifier: string;
  }[];
  readonly routes: readonly EffectiveRoute[];
}

export interface MysqlNodeSpec {
  readonly role: string;
  readonly addresses: readonly {
    readonly alias: string;
    readonly address: string;
    readonly identifier: string;
  }[];
}

/**
 * The internal DHCP server (`cluster.dhcp: internal`, ARCHITECTURE.md §7): Kea inside vs_mgmt's
 * namespace, on the filer where vs_mgmt is active, serving the generated configuration.
 */
export interface DhcpServerSpec {
  /** vs_mgmt's namespace, as in its {@link VsvrSpec} (the agent adds its namespace prefix). */
  readonly namespace: string;
  /** vs_mgmt's interfaces inside that namespace: where Kea listens. */
  readonly interfaces: readonly string[];
  /** kea-dhcp4 configuration, as `vsnet dhcp export --format kea4` writes it. */
  readonly kea4: string;
  /** kea-dhcp6 configuration; empty when the cluster has no IPv6 subnet. */
  readonly kea6: string;
  /** sha256 (hex) of kea4 and kea6: the agent reloads Kea when it changes. */
  readonly hash: string;
}

/** What one filer's agent receives: everything it must make the kernel match. */
export interface NodeSpec {
  readonly specVersion: 1;
  readonly cluster: { readonly name: string; readonly mac: string };
  readonly filer: string;
  readonly links: readonly LinkSpec[];
  readonly aliases: readonly AliasSpec[];
  readonly addresses: readonly FilerAddressSpec[];
  readonly aliasRoutes: readonly AliasRoutesSpec[];
  readonly vsvrs: readonly VsvrSpec[];
  readonly mysqlNodes: readonly MysqlNodeSpec[];
  /** Only on the filer where vs_mgmt is active, and only with `cluster.dhcp: internal`. */
  readonly dhcpServer?: DhcpServerSpec;
  /** sha256 (hex) of a canonical serialization of everything above: equal specs, equal hashes. */
  readonly hash: string;
}

export interface ValidationReport {
  readonly problems: readonly Problem[];
  readonly errorCount: number;
  readonly warningCount: number;
}
