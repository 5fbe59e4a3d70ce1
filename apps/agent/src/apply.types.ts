import type { ApplyReport, DataplanePlan, Drift } from '@vsnet/dataplane';
import type { NodeSpec } from '@vsnet/model';

/** One Apply as the reconciler receives it: already validated and mapped from the wire. */
export interface ApplyCommand {
  readonly spec: NodeSpec;
  readonly generation: bigint;
  readonly epoch: bigint;
  /** Plan only: kernel, cache and fencing state stay untouched. */
  readonly dryRun: boolean;
  /** Aborted when the caller gave up (deadline, cancel); a waiting apply is then skipped. */
  readonly signal?: AbortSignal;
}

/** What an apply did (or, for a dry run, would do). */
export interface ApplyOutcome {
  readonly changed: boolean;
  /** The generation the node has applied after this apply. */
  readonly generation: bigint;
  readonly items: ApplyReport['items'];
  readonly drift: readonly Drift[];
  readonly plan: DataplanePlan;
}

/** One Takeover (failover's fast path), validated and mapped from the wire. */
export interface TakeoverCommand {
  readonly epoch: bigint;
  /** Vsvrs to run here from now on, and vsvrs to stop running here (done first). */
  readonly activate: readonly string[];
  readonly deactivate: readonly string[];
  /** `performance.now()` when the request arrived: the timings count from it. */
  readonly arrivedAt: number;
}

/** What a takeover did, and how long it took from the request's arrival. */
export interface TakeoverOutcome {
  /** Milliseconds until the addresses were plumbed (the kernel batch finished). */
  readonly plumbedMs: number;
  /** Milliseconds until the first announcement was sent; 0 when nothing was announced. */
  readonly announcedMs: number;
  readonly items: ApplyReport['items'];
  /** Vsvrs active here after it, sorted. */
  readonly activeVsvrs: readonly string[];
}
