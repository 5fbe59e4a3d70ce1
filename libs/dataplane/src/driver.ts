import type { NodeSpec } from '@vsnet/model';

/**
 * The one narrow port between the node agent and a kernel (STYLE.md: inspect, plan, apply,
 * verify). The agent never branches on which driver it has: `linux` changes the real kernel,
 * `dry-run` keeps an in-memory kernel for previews and for simulating many filers.
 */
export interface DataplaneDriver {
  readonly kind: 'linux' | 'dry-run';
  /** Reads every kernel object this node's vsnet manages (and the physical links it uses). */
  inspect(): Promise<ObservedState>;
  /** Pure: the ordered operations that make `observed` match `spec`. Empty when it already does. */
  plan(spec: NodeSpec, observed: ObservedState): DataplanePlan;
  /** Carries out a plan in a safe order; reports each item's outcome, never throws for one item. */
  apply(plan: DataplanePlan): Promise<ApplyReport>;
  /** Reads the kernel again and lists every difference from `spec` (empty: it matches). */
  verify(spec: NodeSpec): Promise<Drift[]>;
  /** IP, TCP and UDP counters of each vsvr namespace, by vsvr name. */
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
  readonly master?: string;
  readonly tag?: number;
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
  /** Namespace the operation runs in; '' is the node's own. */
  readonly namespace: string;
  /** What it does, for people: `create macvlan data0 on eth1 in vs-a`. */
  readonly description: string;
  /** Driver-specific payload (an iproute2 batch line for linux). */
  readonly command: string;
  /** Addresses to announce (gratuitous ARP / unsolicited NA) once the operation is done. */
  readonly announce?: { readonly dev: string; readonly address: string };
}

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
}
