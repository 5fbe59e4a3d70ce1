import type { Cluster, ClusterDocument, NodeSpec, PlannedEdit, Problem } from '@vsnet/model';

export type { PlannedEdit } from '@vsnet/model';

/** Who asked for a change and how; copied into the audit row written with it. */
export interface AuditedCaller {
  readonly principal: string;
  /** Full gRPC method name, e.g. `/vsnet.v1.ConfigService/Apply`. */
  readonly rpc: string;
  /** Caller's address as the transport saw it. */
  readonly peer: string;
  /**
   * When set, the change is refused (EditRefusal, failed-precondition) unless the stored
   * generation is this one (`'0'`: nothing stored yet).
   */
  readonly expectedGeneration?: string;
}

export interface ApplyOptions extends AuditedCaller {
  /** Compute and return the difference, write nothing. */
  readonly dryRun: boolean;
}

/**
 * One edit of the cluster: from the stored document (and its parsed form; both `undefined`
 * before the first change) to the next; throws an EditRefusal when it cannot be made.
 */
export type ClusterEdit<T> = (
  current: ClusterDocument | undefined,
  cluster: Cluster | undefined,
) => PlannedEdit<T>;

export interface EditResult<T> {
  readonly changes: readonly ClusterChange[];
  /** The generation now stored (unchanged when the edit changed nothing). */
  readonly generation: string;
  /** The model's warnings about the resulting cluster. */
  readonly warnings: readonly Problem[];
  readonly result: T;
  /** The filers whose compiled spec the change altered (empty when nothing was written). */
  readonly filers: readonly string[];
}

/**
 * Every filer's spec of a committed generation, as the commit compiled them to find the filers
 * it altered: the reconciler of the same process sends these instead of loading and compiling
 * the cluster again.
 */
export interface CompiledCluster {
  readonly generation: string;
  readonly cluster: Cluster;
  /** By lower-case filer name (as the model's analysis keys filers). */
  readonly specs: ReadonlyMap<string, NodeSpec>;
  /** The placement the specs were compiled with (lower-case vsvr → filer). */
  readonly placement: ReadonlyMap<string, string>;
}

/**
 * Told of every committed change of the cluster: the generation it produced, the filers whose
 * spec it altered (empty when it altered none), and every filer's spec of that generation.
 */
export type CommitListener = (
  generation: string,
  filers: readonly string[],
  compiled: CompiledCluster,
) => void;

/**
 * One difference between the stored cluster and a document. Paths name list elements by their
 * key, not their index: `vsvrs[VsvrA].addresses[10.2.2.1/24]`, `filers[Filer1].interfaces[bond0]`.
 */
export interface ClusterChange {
  readonly kind: 'add' | 'remove' | 'change';
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export type ApplyResult =
  | {
      readonly ok: false;
      /** Every problem of the document, errors and warnings; at least one is an error. */
      readonly problems: readonly Problem[];
    }
  | {
      readonly ok: true;
      readonly changes: readonly ClusterChange[];
      /** The generation now stored (unchanged by a dry run or an empty difference). */
      readonly generation: string;
      readonly warnings: readonly Problem[];
      /** The filers whose compiled spec the apply altered (empty for a dry run). */
      readonly filers: readonly string[];
    };

/** The desired state as stored, with the generation that the last committed change gave it. */
export interface StoredCluster {
  readonly cluster: Cluster;
  /** BIGINT as a decimal string; `'0'` is never stored (the first apply makes it 1). */
  readonly generation: string;
  /**
   * Where vsvrs run when not on their home filer (`vsvr_placement`): lower-case vsvr name →
   * filer. Part of the committed state at `generation`; pass it to the compiler
   * (`CompileOptions.placement`) wherever specs are compiled.
   */
  readonly placement: ReadonlyMap<string, string>;
}
