import { performance } from 'node:perf_hooks';
import type { NodeSpec } from '@vsnet/model';
import { AgentError } from './agent.errors.js';
import type { TakeoverCommand, TakeoverOutcome } from './apply.types.js';
import type { Converger, ScopedApply } from './converger.js';
import { describeFailure } from './converger.js';
import { vsvrScope } from './failover-plan.js';
import type { FailoverState } from './failover-state.js';
import type { FencingStore } from './fencing-store.js';
import type { Logger } from './logger.js';
import { errorMessage } from './logger.js';

// Agent.Takeover, failover's fast path (decision 0006), in two halves that the reconciler runs
// in one turn of its queue: the part the leader waits for, then what can follow the answer.

/** What the two halves use of the reconciler. */
export interface TakeoverHost {
  readonly fencing: FencingStore;
  readonly converger: Converger;
  readonly namespacePrefix: string;
  readonly logger: Logger;
}

/** What a takeover did, for the work that follows its answer. */
export interface TakenOver {
  readonly outcome: TakeoverOutcome;
  /** Set when kernel items failed: the takeover is refused (ABORTED) with it. */
  readonly failure: AgentError | undefined;
  readonly spec: NodeSpec;
  readonly applied: ScopedApply;
  readonly scope: ReadonlySet<string>;
  readonly next: FailoverState;
  /** It ended a fence (it activated a vsvr on a fenced agent). */
  readonly unfenced: boolean;
}

/**
 * The critical part: checks, then the vsvrs' namespaces alone read, planned and applied
 * (links up or down, addresses, routes, the kernel's announcement). `adopt` is called with
 * the new failover state once the kernel was touched. Throws only before the kernel.
 */
export async function takeOver(
  host: TakeoverHost,
  command: TakeoverCommand,
  spec: NodeSpec | undefined,
  failover: FailoverState,
  adopt: (next: FailoverState) => void,
): Promise<TakenOver> {
  const { epoch, activate, deactivate } = command;
  const { fencing } = host;
  fencing.admitEpoch(epoch);
  const names = new Set([...deactivate, ...activate]);
  const unknown = [...names].filter((n) => !spec?.vsvrs.some((v) => v.name === n));
  if (spec === undefined || unknown.length > 0) {
    throw new AgentError(
      'not-found',
      spec === undefined
        ? `this agent has no spec yet, so no vsvr to take over (${[...names].join(', ')}); apply this filer's spec first`
        : `${unknown.join(', ')} is not in this filer's spec (generation ${fencing.state.lastGeneration}); only a vsvr pre-staged here (its failover group lists this filer) can be taken over`,
    );
  }
  // A raised epoch is durable before the kernel is touched (usually Lead raised it already).
  await fencing.recordEpoch(epoch);
  const next = failover.takeover(activate, deactivate, fencing.state.lastGeneration);
  const scope = vsvrScope(spec, names, host.namespacePrefix);
  let applied: ScopedApply;
  try {
    applied = await host.converger.applyScoped(next.effective(spec), names, scope);
  } finally {
    // The kernel was moved towards it, however far that went.
    adopt(next);
  }
  const plumbedMs = performance.now() - command.arrivedAt;
  const failed = applied.report.items.filter((i) => i.status === 'failed');
  const outcome: TakeoverOutcome = {
    plumbedMs,
    // The kernel announced each address it plumbed (arp_notify / ndisc_notify) inside the
    // same batch; the arping repeats are started in the background right after it.
    announcedMs: applied.announced ? plumbedMs : 0,
    items: applied.report.items,
    activeVsvrs: next.activeVsvrs(spec),
  };
  const failure =
    failed.length === 0
      ? undefined
      : new AgentError(
          'apply-failed',
          `the takeover of ${[...names].join(', ')} failed: ${describeFailure(failed, [])}; each item's kernel error is in the agent log`,
        );
  return {
    outcome,
    failure,
    spec,
    applied,
    scope,
    next,
    unfenced: failover.fenced && !next.fenced,
  };
}

/**
 * What follows the answer: the new state recorded, DHCP clients and processes, the verify of
 * the namespaces, one log line. Returns the problem when the kernel is not as it should be.
 */
export async function settleTakeover(
  host: TakeoverHost,
  command: TakeoverCommand,
  taken: TakenOver,
): Promise<string | undefined> {
  const { spec, applied, scope, next, outcome } = taken;
  const what = `activate ${command.activate.join(', ') || 'none'}, deactivate ${command.deactivate.join(', ') || 'none'}`;
  let problem: string | undefined;
  try {
    await host.fencing.recordFailover(next.toRecord());
    problem = await host.converger.settle(next.effective(spec), applied, scope);
  } catch (err) {
    problem = errorMessage(err);
  }
  if (taken.unfenced) {
    host.logger.warn(`unfenced: the leader took over ${command.activate.join(', ')} here`);
  }
  if (problem === undefined) {
    host.logger.info(`took over (${what}): plumbed in ${outcome.plumbedMs.toFixed(1)} ms`, {
      plumbedMs: Number(outcome.plumbedMs.toFixed(2)),
      epoch: command.epoch.toString(),
      active: outcome.activeVsvrs.join(','),
    });
    return undefined;
  }
  const message = `the takeover (${what}) left the kernel unlike the spec: ${problem}`;
  host.logger.error(message, { generation: host.fencing.state.lastGeneration.toString() });
  return message;
}
