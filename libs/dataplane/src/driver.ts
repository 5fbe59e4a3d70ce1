import type { NodeSpec } from '@vsnet/model';

/**
 * The one narrow port between the node agent and a kernel (STYLE.md: inspect, plan, apply,
 * verify). The agent never branches on which driver it has: `linux` changes the real kernel,
 * `dry-run` keeps an in-memory kernel for previews and for simulating many filers.
 */
export interface DataplaneDriver {
  readonly kind: 'linux' | 'dry-run';
  /**
   * Reads every kernel object this node's vsnet manages (and the physical links it uses). With
   * `scope`, only the objects of those namespaces ('' is the filer's), nothing of the others:
   * a failover reads the one or two namespaces it changes, not the whole node.
   */
  inspect(scope?: ReadonlySet<string>): Promise<ObservedState>;
  /** Pure: the ordered operations that make `observed` match `spec`. Empty when it already does. */
  plan(spec: NodeSpec, observed: ObservedState): DataplanePlan;
  /** Carries out a plan in a safe order; reports each item's outcome, never throws for one item. */
  apply(plan: DataplanePlan): Promise<ApplyReport>;
  /**
   * Reads the kernel again and lists every difference from `spec` (empty: it matches). With
   * `scope`, reads and compares only the objects of those namespaces.
   */
  verify(spec: NodeSpec, scope?: ReadonlySet<string>): Promise<Drift[]>;
  /**
   * IP, TCP and UDP counters of each vsvr namespace, by vsvr name. Every vsvr namespace has an
   * entry: one whose read failed has empty counter maps and its `error`.
   */
  counters(): Promise<Record<string, VsvrCounters>>;
}

/** A kernel object's identity in reports: `link fail0`, `address 198.18.0.5/24 on data0 in vs-a`. */
export type ItemId = string;

export interface ObservedLink {
  readonly namespace: string;
  readonly name: string;
  readonly kind: string;
  readonly mtu: number;
  readonly mac: string;
  readonly up: boolean;
  readonly lower?: string;
  /** Namespace of `lower` when it is another one (a vsvr's macvlan on a filer link). */
  readonly lowerNamespace?: string;
  readonly master?: string;
  readonly tag?: number;
  /** macvlan or bond mode. */
  readonly mode?: string;
}

export interface ObservedAddress {
  readonly namespace: string;
  readonly dev: string;
  /** Canonical `ip/prefix`. */
  readonly address: string;
}

export interface ObservedRoute {
  readonly namespace: string;
  readonly table: number;
  /** Canonical `ip/prefix`; `0.0.0.0/0` or `::/0` for a default route. */
  readonly to: string;
  readonly via?: string;
  readonly dev: string;
  readonly metric?: number;
}

export interface ObservedRule {
  readonly namespace: string;
  readonly priority: number;
  readonly from: string;
  readonly table: number;
}

export interface ObservedState {
  /** Network namespaces of this node's vsvrs that exist (full names, prefix included). */
  readonly namespaces: readonly string[];
  readonly links: readonly ObservedLink[];
  readonly addresses: readonly ObservedAddress[];
  readonly routes: readonly ObservedRoute[];
  readonly rules: readonly ObservedRule[];
}

export interface Operation {
  readonly item: ItemId;
  /** The object and what happens to it, for drivers that do not speak iproute2 (dry-run). */
  readonly change: KernelChange;
  /** The item as the spec wants it and as it is, for drift reports: `mtu 1500, up` / `absent`. */
  readonly expected: string;
  readonly actual: string;
  /**
   * Namespace the operation runs in; '' is the node's own (the filer's). A namespace's own
   * creation, removal and sysctls carry that namespace's name.
   */
  readonly namespace: string;
  /** What it does, for people: `create macvlan data0 on eth1 in vs-a`. */
  readonly description: string;
  /**
   * Driver-specific payload: one or more iproute2 batch lines (`ip -n <namespace> -batch -`);
   * for namespace operations a line of the agent's own `ip -batch -`; for `sysctl` changes the
   * `key=value` arguments of `sysctl -w` run inside the namespace.
   */
  readonly command: string;
  /** Addresses to announce (gratuitous ARP / unsolicited NA) once the operation is done. */
  readonly announce?: {
    readonly dev: string;
    readonly address: string;
    /** The device's MAC when the spec fixes it (vsvr links): lets the kernel announce. */
    readonly mac?: string;
  };
}

/** The kinds of link vsnet wants; `physical` links exist already and are only configured. */
export type LinkKind = 'physical' | 'loopback' | 'bond' | 'vlan' | 'macvlan';

export interface BondSettings {
  readonly mode: string;
  readonly miimon: number;
  readonly lacpRate?: 'fast';
  readonly primary?: string;
}

/** A link as vsnet wants it. Unset optional fields are not enforced (e.g. an alias's MAC). */
export interface DesiredLink {
  /** '' is the filer's namespace, otherwise a vsvr namespace's full name. */
  readonly namespace: string;
  readonly name: string;
  readonly kind: LinkKind;
  readonly up: boolean;
  readonly mtu?: number;
  readonly mac?: string;
  /** macvlan / vlan: the device it sits on. */
  readonly lower?: string;
  /** Namespace of `lower` when it is not `namespace` (a vsvr's macvlan sits on a filer link). */
  readonly lowerNamespace?: string;
  readonly tag?: number;
  readonly bond?: BondSettings;
  /** The bond a member belongs to; '' means "belongs to none". */
  readonly master?: string;
}

/** sysctl settings a vsvr namespace gets when it is created. */
export interface NamespaceSettings {
  readonly namespace: string;
  readonly sysctls: readonly (readonly [key: string, value: string])[];
}

/** Everything one filer's kernel must hold, as the desired-state mapping computes it. */
export interface DesiredState {
  readonly namespaces: readonly NamespaceSettings[];
  readonly links: readonly DesiredLink[];
  readonly addresses: readonly ObservedAddress[];
  readonly routes: readonly ObservedRoute[];
  readonly rules: readonly ObservedRule[];
}

export interface LinkAttributeChange {
  readonly master?: string;
  readonly mac?: string;
  readonly mtu?: number;
  readonly up?: boolean;
}

/** What an operation does to which object: the structured twin of its iproute2 command. */
export type KernelChange =
  | { readonly object: 'namespace'; readonly action: ChangeAction; readonly name: string }
  | { readonly object: 'sysctl'; readonly settings: NamespaceSettings }
  | {
      readonly object: 'link';
      readonly action: ChangeAction;
      readonly link: DesiredLink;
      /** For `change`: the attributes that change ('' master: leave the bond). */
      readonly set?: LinkAttributeChange;
    }
  | { readonly object: 'address'; readonly action: ChangeAction; readonly address: ObservedAddress }
  | { readonly object: 'route'; readonly action: ChangeAction; readonly route: ObservedRoute }
  | { readonly object: 'rule'; readonly action: ChangeAction; readonly rule: ObservedRule };

export type ChangeAction = 'create' | 'change' | 'remove';

export interface DataplanePlan {
  readonly operations: readonly Operation[];
}

export type ItemStatus = 'created' | 'changed' | 'removed' | 'unchanged' | 'failed';

export interface ApplyReport {
  readonly changed: boolean;
  readonly items: readonly {
    readonly item: ItemId;
    readonly status: ItemStatus;
    readonly detail?: string;
  }[];
}

export interface Drift {
  readonly item: ItemId;
  readonly expected: string;
  readonly actual: string;
}

export interface VsvrCounters {
  readonly ip: Record<string, number>;
  readonly tcp: Record<string, number>;
  readonly udp: Record<string, number>;
  /** Why the counters could not be read (the maps are then empty); unset when they were. */
  readonly error?: string;
}
