import type { ChangeView, FilerStateView } from '@vsnet/store';
import type { ChangeRecord } from '../../../../libs/contracts/src/generated/vsnet/v1/ChangeRecord.js';
import type { ChangeState__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ChangeState.js';
import type { FilerProgress } from '../../../../libs/contracts/src/generated/vsnet/v1/FilerProgress.js';
import type { FilerProgressState__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/FilerProgressState.js';
import type { FilerStatus } from '../../../../libs/contracts/src/generated/vsnet/v1/FilerStatus.js';

/**
 * Where one filer stands with the change that produced `generation`: applied once its agent
 * observed that generation or a later one; otherwise what its last attempt said, or retiring
 * while a filer removed from the cluster has not yet applied the empty spec (its last error
 * says why). A removed filer whose agent applied that, or that never had one, has no state:
 * nothing of the change is left to apply there, so it counts as applied.
 */
export function filerProgress(
  generation: string,
  filer: string,
  state: FilerStateView | undefined,
): FilerProgress {
  if (state === undefined) {
    return { filer, state: 'FILER_PROGRESS_STATE_APPLIED', observedGeneration: '0', error: '' };
  }
  return {
    filer,
    state: progressState(generation, state),
    observedGeneration: state.observedGeneration,
    error: state.error ?? '',
  };
}

function progressState(generation: string, state: FilerStateView): FilerProgressState__Output {
  if (BigInt(state.observedGeneration) >= BigInt(generation)) {
    return 'FILER_PROGRESS_STATE_APPLIED';
  }
  switch (state.state) {
    case 'retiring':
      return 'FILER_PROGRESS_STATE_RETIRING';
    case 'failed':
      return 'FILER_PROGRESS_STATE_FAILED';
    case 'unreachable':
      return 'FILER_PROGRESS_STATE_UNREACHABLE';
    default:
      return 'FILER_PROGRESS_STATE_PENDING';
  }
}

/**
 * A change's state from its filers': applied when every one is (at once when it touched none),
 * failed when one failed, else pending (an unreachable agent is retried, and a retiring filer
 * is cleared, so both are pending too).
 */
export function changeState(filers: readonly FilerProgress[]): ChangeState__Output {
  if (filers.every((f) => f.state === 'FILER_PROGRESS_STATE_APPLIED')) {
    return 'CHANGE_STATE_APPLIED';
  }
  if (filers.some((f) => f.state === 'FILER_PROGRESS_STATE_FAILED')) {
    return 'CHANGE_STATE_FAILED';
  }
  return 'CHANGE_STATE_PENDING';
}

/** The wire record of `change`, its targets' progress taken from `states` (by filer name). */
export function changeRecord(
  change: ChangeView,
  states: ReadonlyMap<string, FilerStateView>,
): ChangeRecord & { state: ChangeState__Output; filers: FilerProgress[] } {
  const filers = change.targets.map((f) => filerProgress(change.generation, f, states.get(f)));
  return {
    generation: change.generation,
    timeUnixMs: String(change.at.getTime()),
    principal: change.principal,
    rpc: change.rpc,
    target: change.target,
    state: changeState(filers),
    filers,
  };
}

/** The wire status of one filer for ListFilerStatus. */
export function filerStatus(state: FilerStateView): FilerStatus {
  return {
    filer: state.filer,
    desiredGeneration: state.desiredGeneration,
    desiredHash: state.desiredHash,
    observedGeneration: state.observedGeneration,
    observedHash: state.observedHash,
    // An agent may observe a later generation than the one that last changed its filer's spec
    // (a resync, or a job that ran after a change elsewhere): that filer is applied too.
    state:
      state.state === 'applied' &&
      BigInt(state.observedGeneration) < BigInt(state.desiredGeneration)
        ? 'FILER_PROGRESS_STATE_PENDING'
        : STATUS_OF[state.state],
    error: state.error ?? '',
    agentAddress: state.agentAddress ?? '',
    updatedUnixMs: String(state.updatedAt.getTime()),
  };
}

const STATUS_OF: Readonly<Record<FilerStateView['state'], FilerProgressState__Output>> = {
  pending: 'FILER_PROGRESS_STATE_PENDING',
  applied: 'FILER_PROGRESS_STATE_APPLIED',
  failed: 'FILER_PROGRESS_STATE_FAILED',
  unreachable: 'FILER_PROGRESS_STATE_UNREACHABLE',
  retiring: 'FILER_PROGRESS_STATE_RETIRING',
};
