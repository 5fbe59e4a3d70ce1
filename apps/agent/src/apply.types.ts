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
