import { hash as digest } from 'node:crypto';
import type { Cluster, Interface } from './cluster.js';
import type { ClusterAnalysis } from './analyze.js';
import { analyzeCluster } from './analyze.js';
import type { FilerIndex } from './hierarchy.js';
import { carriesAddresses, compareNames, compareText } from './hierarchy.js';
import { filerIdentifier, mysqlIdentifier, vsvrIdentifier } from './identifiers.js';
import { formatCidr } from './ip.js';
import type { AliasKind } from './names.js';
import { MGMT_VSVR } from './names.js';
import type { VsvrPlacements } from './placement.js';
import { activeFiler, activeOrder, aliasesOf } from './placement.js';
import type {
  AliasSpec,
  DhcpServerSpec,
  FilerAddressSpec,
  LinkSpec,
  MysqlNodeSpec,
  NodeSpec,
  VsvrSpec,
} from './spec-types.js';

/**
 * Renders the internal DHCP server's Kea configurations for a cluster whose servers listen on
 * `interfaces`. The model does not render DHCP configuration itself (libs/dhcp does, on top of
 * the model): `renderInternalDhcpServer` of `@vsnet/dhcp` is the one to pass.
 */
export type DhcpServerRenderer = (
  cluster: Cluster,
  analysis: ClusterAnalysis,
  interfaces: readonly string[],
) => { readonly kea4: string; readonly kea6: string };

/** What the compiler needs besides the cluster. */
export interface CompileOptions {
  /**
   * Required when the cluster says `dhcp: internal`: every caller must compile the same spec
   * (control, the store's change detection, `vsnet plan`), so a missing one throws rather than
   * silently leaving the server out.
   */
  readonly dhcpServer?: DhcpServerRenderer;
  /**
   * Where vsvrs run now when not on their home filer (`vsvr_placement`, by lower-case vsvr
   * name): the placed filer is the vsvr's active one (priority 0), the rest stand by in
   * failover order. A filer that cannot run the vsvr is ignored (the vsvr goes home).
   */
  readonly placement?: VsvrPlacements;
}

/**
 * The node spec compiler: (cluster, filer) → what that filer's agent must make the kernel
 * match. A pure, deterministic function of the cluster: the same cluster always yields the
 * same spec and the same hash, whatever order the document listed things in.
 */
export function compileNodeSpec(
  cluster: Cluster,
  filer: string,
  analysis: ClusterAnalysis = analyzeCluster(cluster),
  options: CompileOptions = {},
): NodeSpec {
  return new SpecCompiler(cluster, analysis, options).compile(filer);
}

/** One spec per filer, in document order, sharing one analysis. */
export function compileNodeSpecs(
  cluster: Cluster,
  analysis: ClusterAnalysis = analyzeCluster(cluster),
  options: CompileOptions = {},
): NodeSpec[] {
  const compiler = new SpecCompiler(cluster, analysis, options);
  return cluster.filers
    .filter((f) => analysis.filers.get(f.name.toLowerCase())?.filer === f)
    .map((f) => compiler.compile(f.name));
}

/** What a vsvr looks like on any filer: computed once, shared by the specs of its filers. */
interface VsvrParts {
  readonly namespace: string;
  readonly addresses: VsvrSpec['addresses'];
  readonly routes: VsvrSpec['routes'];
  readonly aliases: readonly string[];
  readonly macs: ReadonlyMap<string, string>;
  /** Canonical serialization of what is the same on every filer, for the spec hash. */
  readonly serial: string;
}

/**
 * Compiles the specs of one analyzed cluster. Work that does not depend on the filer (a vsvr's
 * addresses, identifiers, routes, MACs) is done once per vsvr, and the vsvrs each filer hosts
 * are grouped once, so compiling every filer stays linear in the size of the cluster.
 */
class SpecCompiler {
  private readonly hosted = new Map<string, { vsvr: string; priority: number }[]>();
  private readonly parts = new Map<string, VsvrParts>();

  constructor(
    private readonly cluster: Cluster,
    private readonly analysis: ClusterAnalysis,
    private readonly options: CompileOptions,
  ) {
    for (const p of analysis.placements.values()) {
      activeOrder(p, options.placement).forEach((filer, priority) => {
        const list = this.hosted.get(filer) ?? [];
        list.push({ vsvr: p.vsvr, priority });
        this.hosted.set(filer, list);
      });
    }
  }

  compile(filer: string): NodeSpec {
    const { cluster, analysis } = this;
    const index = analysis.filers.get(filer.toLowerCase());
    if (!index) {
      throw new RangeError(`filer ${filer} is not part of cluster ${cluster.name}`);
    }
    const name = index.filer.name;
    const aliasTables = tableIds(index);
    const body: Omit<NodeSpec, 'hash'> = {
      specVersion: 1,
      cluster: { name: cluster.name, mac: cluster.mac },
      filer: name,
      links: links(index),
      aliases: aliases(index),
      addresses: index.filer.addresses
        .map((a): FilerAddressSpec => ({
          alias: a.alias,
          address: formatCidr(a.address),
          mode: a.mode,
          identifier: filerIdentifier(cluster.mac, a.alias, name),
          table: aliasTables.get(a.alias) ?? 0,
          ...optionalSite(analysis.sites.siteOf(a.address)),
        }))
        .sort((a, b) => compareNames(a.alias, b.alias) || compareText(a.address, b.address)),
      aliasRoutes: [...(analysis.routing.aliasRoutes.get(name)?.entries() ?? [])]
        .map(([alias, routes]) => ({ alias, table: aliasTables.get(alias) ?? 0, routes }))
        .sort((a, b) => compareNames(a.alias, b.alias)),
      vsvrs: (this.hosted.get(name) ?? [])
        .map((h) => this.vsvrSpec(index, h.vsvr, h.priority))
        .sort((a, b) => compareText(a.name, b.name)),
      mysqlNodes: mysqlNodes(cluster, index),
    };
    const dhcpServer = this.dhcpServer(name);
    const full = dhcpServer === undefined ? body : { ...body, dhcpServer };
    return { ...full, hash: this.hash(full) };
  }

  /**
   * The internal DHCP server, on the filer where vs_mgmt is active (§5.6): it listens on
   * vs_mgmt's interfaces inside vs_mgmt's namespace, so it moves with vs_mgmt.
   */
  private dhcpServer(filer: string): DhcpServerSpec | undefined {
    if (this.cluster.dhcp !== 'internal') {
      return undefined;
    }
    const mgmt = [...this.analysis.placements.values()].find(
      (p) => p.vsvr.toLowerCase() === MGMT_VSVR,
    );
    if (
      mgmt === undefined ||
      activeFiler(mgmt, this.options.placement)?.toLowerCase() !== filer.toLowerCase()
    ) {
      return undefined;
    }
    const render = this.options.dhcpServer;
    if (render === undefined) {
      throw new RangeError(
        `cluster ${this.cluster.name} runs its own DHCP server on ${filer}: compile its spec with options.dhcpServer (renderInternalDhcpServer of @vsnet/dhcp)`,
      );
    }
    const parts = this.vsvrParts(mgmt.vsvr);
    const { kea4, kea6 } = render(this.cluster, this.analysis, parts.aliases);
    return {
      namespace: parts.namespace,
      interfaces: parts.aliases,
      kea4,
      kea6,
      hash: digest('sha256', `${kea4}\0${kea6}`, 'hex'),
    };
  }

  /**
   * sha256 of a canonical serialization of the spec: the JSON of everything but the vsvrs, then
   * each vsvr as newline-separated fields (names cannot hold a newline). The filer-independent
   * part of a vsvr is serialized once and reused by every filer that hosts it; one update call
   * per spec keeps hashing cheap at thousands of vsvrs.
   */
  private hash(body: Omit<NodeSpec, 'hash'>): string {
    // dhcpServer, when present, is in the JSON part: its text changes with nearly every change.
    const pieces = [JSON.stringify({ ...body, vsvrs: [] })];
    for (const v of body.vsvrs) {
      pieces.push(v.name, v.active ? '1' : '0', String(v.priority));
      for (const i of v.interfaces) {
        pieces.push(
          i.name,
          i.lower,
          String(i.mtu),
          i.mac,
          i.tag === undefined ? '' : String(i.tag),
        );
      }
      pieces.push(this.vsvrParts(v.name).serial);
    }
    return digest('sha256', pieces.join('\n'), 'hex');
  }

  private vsvrParts(name: string): VsvrParts {
    const cached = this.parts.get(name);
    if (cached) {
      return cached;
    }
    const mac = this.cluster.mac;
    const v = this.analysis.vsvrs.get(name);
    const used = v ? aliasesOf(v) : [];
    const shared = {
      namespace: `vs-${name.toLowerCase()}`,
      addresses: (v?.addresses ?? [])
        .map((a) => ({
          alias: a.alias,
          instance: a.instance,
          address: formatCidr(a.address),
          mode: a.mode,
          identifier: vsvrIdentifier(mac, a.alias, name, a.instance),
        }))
        .sort((a, b) => compareNames(a.alias, b.alias) || a.instance - b.instance),
      routes: this.analysis.routing.vsvrRoutes.get(name) ?? [],
      aliases: [...used].sort(compareNames),
      macs: new Map(used.map((alias) => [alias, derivedMac(mac, name, alias)])),
    };
    const parts: VsvrParts = {
      ...shared,
      serial: [
        shared.namespace,
        ...shared.addresses.map((a) => `${a.alias} ${a.instance} ${a.address} ${a.mode}`),
        ...shared.routes.map(
          (r) => `${r.to} ${r.via ?? ''} ${r.alias ?? ''} ${r.metric ?? ''} ${r.from}`,
        ),
      ].join('\n'),
    };
    this.parts.set(name, parts);
    return parts;
  }

  private vsvrSpec(index: FilerIndex, name: string, priority: number): VsvrSpec {
    const parts = this.vsvrParts(name);
    return {
      name,
      namespace: parts.namespace,
      active: priority === 0,
      priority,
      interfaces: parts.aliases.map((alias) => {
        const i = index.byName.get(alias) as Interface;
        return {
          name: alias,
          lower: i.kind === 'vlan' ? (i.parent ?? '') : (i.lower ?? ''),
          mtu: index.mtu.get(alias) ?? 0,
          mac: parts.macs.get(alias) ?? '',
          ...(i.tag !== undefined ? { tag: i.tag } : {}),
        };
      }),
      addresses: parts.addresses,
      routes: parts.routes,
    };
  }
}

function links(index: FilerIndex): LinkSpec[] {
  return index.order.flatMap((n): LinkSpec[] => {
    const i = index.byName.get(n);
    if (!i || carriesAddresses(i)) {
      return [];
    }
    const mtu = index.mtu.get(n) ?? 0;
    switch (i.kind) {
      case 'physical':
        return [{ name: n, kind: 'physical', mtu, ...(i.mac !== undefined ? { mac: i.mac } : {}) }];
      case 'bond':
        return [{ name: n, kind: 'bond', mtu, members: i.members, mode: i.bondMode ?? '802.3ad' }];
      case 'failover':
        return [
          {
            name: n,
            kind: 'failover',
            mtu,
            members: i.members,
            mode: 'active-backup',
            ...(i.primary !== undefined ? { primary: i.primary } : {}),
          },
        ];
      case 'vlan':
        return [{ name: n, kind: 'vlan', mtu, parent: i.parent ?? '', tag: i.tag ?? 0 }];
      case 'alias':
        return [];
    }
  });
}

function aliases(index: FilerIndex): AliasSpec[] {
  return index.order.flatMap((n): AliasSpec[] => {
    const i = index.byName.get(n);
    if (!i || !carriesAddresses(i)) {
      return [];
    }
    return [
      {
        name: n,
        kind: i.baseKind as AliasKind,
        lower: i.lower ?? i.parent ?? '',
        mtu: index.mtu.get(n) ?? 0,
        ...(i.tag !== undefined ? { tag: i.tag } : {}),
      },
    ];
  });
}

const TABLE_BASE: Record<AliasKind, number> = { data: 0, mgmt: 1_000_000, san: 2_000_000 };

/**
 * Every table id `tableIds` can give (instances are at most 99, tags at most 4094): the range the
 * agent may treat as vsnet's own.
 */
export const FILER_ALIAS_TABLES = { min: 1_000_000, max: 2_999_999 } as const;

/**
 * Policy-routing table of each mgmt#/san# alias (source-based policy routing), stable
 * across changes elsewhere, derived from the alias kind, instance and VLAN tag: mgmt1 → 1010000,
 * mgmt0.5 → 1000005, san0 → 2000000. Table ids are 32-bit, so the old limit of 252 is gone.
 */
function tableIds(index: FilerIndex): Map<string, number> {
  const ids = new Map<string, number>();
  const used = new Set<number>();
  const named = [...index.byName.values()]
    .filter((i) => i.baseKind === 'mgmt' || i.baseKind === 'san')
    .sort((a, b) => compareNames(a.name, b.name));
  for (const i of named) {
    const instance = Number(/\d+/.exec(i.name)?.[0] ?? 0);
    let id = TABLE_BASE[i.baseKind as AliasKind] + instance * 10_000 + (i.tag ?? 0);
    while (used.has(id)) {
      id++;
    }
    used.add(id);
    ids.set(i.name, id);
  }
  return ids;
}

function mysqlNodes(cluster: Cluster, index: FilerIndex): MysqlNodeSpec[] {
  return cluster.mysqlNodes
    .map((n) => ({
      role: n.role,
      addresses: n.addresses
        .filter((a) => index.byName.has(a.alias))
        .map((a) => ({
          alias: a.alias,
          address: formatCidr(a.address),
          identifier: mysqlIdentifier(cluster.mac, a.alias, n.role),
        }))
        .sort((a, b) => compareNames(a.alias, b.alias)),
    }))
    .filter((n) => n.addresses.length > 0)
    .sort((a, b) => compareText(a.role, b.role));
}

/**
 * A vsvr's MAC on an alias: locally administered, derived from the cluster MAC, vsvr and alias,
 * so it is the same on every filer and clients' ARP caches stay right across a failover.
 */
export function derivedMac(clusterMac: string, vsvr: string, alias: string): string {
  const bytes = digest('sha256', `${clusterMac}|${vsvr.toLowerCase()}|${alias}`, 'buffer');
  bytes[0] = ((bytes[0] ?? 0) & 0xfe) | 0x02;
  return bytes.toString('hex', 0, 6).replace(/(..)(?!$)/g, '$1:');
}

function optionalSite(site: string | undefined): { site?: string } {
  return site === undefined ? {} : { site };
}
