import type { DataplaneDriver, ObservedState, VsvrCounters } from '@vsnet/dataplane';
import type { NodeSpec } from '@vsnet/model';
import type { AgentEvent, AgentEventKind, AgentEvents } from './agent-events.js';
import type { DhcpLeaseStatus } from './dhcp/dhcp-addresses.js';
import { AgentError } from './agent.errors.js';
import type {
  ApplyCommand,
  ApplyOutcome,
  TakeoverCommand,
  TakeoverOutcome,
} from './apply.types.js';
import type { AddressLeases, Convergence } from './converger.js';
import { Converger } from './converger.js';
import { runningVsvrs, vsvrScope } from './failover-plan.js';
import { FailoverState } from './failover-state.js';
import type { FencingStore } from './fencing-store.js';
import type { NodeServices } from './dhcp-server/dhcp-server.service.js';
import type { Logger } from './logger.js';
import { errorMessage } from './logger.js';
import type { SpecCache } from './spec-cache.js';
import type { TakenOver } from './takeover.js';
import { settleTakeover, takeOver } from './takeover.js';

/** What the agent last applied and how it started. */
export interface AgentStatus {
  readonly filer: string;
  readonly driver: DataplaneDriver['kind'];
  readonly generation: bigint;
  readonly epoch: bigint;
  readonly specHash: string;
  /** True while the running spec is the one restored from the cache at start-up. */
  readonly restoredFromCache: boolean;
  /** The agent withdrew its vsvr addresses (no leader heard, or told to) and awaits an Apply. */
  readonly fenced: boolean;
  /** The vsvrs the agent runs here (spec, takeovers, fence and start-up adoption), sorted. */
  readonly activeVsvrs: readonly string[];
}

export interface AgentState extends AgentStatus {
  readonly observed: ObservedState;
  /** The vsvrs whose namespace the kernel has with a link up, sorted. */
  readonly runningVsvrs: readonly string[];
  readonly counters: Readonly<Record<string, VsvrCounters>>;
  /** The running spec's `dhcp` addresses and their leases (none without DHCP clients). */
  readonly dhcpLeases: readonly DhcpLeaseStatus[];
}

/**
 * The agent's use case: make the kernel match a spec. Level-based, as controller-runtime
 * reconciles: read the whole actual state, plan the difference, apply it, verify, and never
 * branch on what asked for it (control, a resync, or the cache at start-up). So an identical
 * Apply, or a restart over an unchanged kernel, moves nothing.
 *
 * Applies run one at a time, in arrival order; each checks fencing when its turn comes, so an
 * Apply queued behind a newer one is refused rather than undoing it.
 */
export class ReconcilerService {
  private tail: Promise<unknown> = Promise.resolve();
  private closing = false;
  /** Applies accepted and not finished (the running one included). */
  private queued = 0;
  private restoredEvent: AgentEvent | undefined;
  /** The spec the kernel was last moved towards, re-converged when a DHCP lease changes. */
  private current: NodeSpec | undefined;
  private reconvergeQueued = false;
  /** What failover changed about which vsvrs run here (failover-state.ts). */
  private failover: FailoverState;
  private readonly statusListeners: ((status: AgentStatus) => void)[] = [];
  private readonly converger: Converger;

  constructor(
    private readonly filer: string,
    private readonly driver: DataplaneDriver,
    private readonly fencing: FencingStore,
    private readonly cache: SpecCache,
    private readonly events: AgentEvents,
    private readonly logger: Logger,
    private readonly leases?: AddressLeases,
    /** Processes the spec names beside the kernel state (the internal DHCP server). */
    private readonly services?: NodeServices,
    /** Put before every vsvr namespace name, as the driver does: failover reads by name. */
    private readonly namespacePrefix = '',
  ) {
    this.failover = FailoverState.fromRecord(fencing.failover);
    this.converger = new Converger(driver, leases, services);
    leases?.onChange(() => this.leasesChanged());
  }

  /** Calls `listener` with the status after every change of generation, fence or vsvrs. */
  onStatus(listener: (status: AgentStatus) => void): void {
    this.statusListeners.push(listener);
  }

  /**
   * Applies the cached spec, if any, before the agent serves (§5.2.6.1). Returns whether the
   * node now runs on it. A failed restore (items, drift, or the driver throwing) is logged and
   * sent as an apply-failed event, and the agent serves anyway; a cache of another filer is a
   * misconfiguration and throws.
   */
  async restoreFromCache(): Promise<boolean> {
    const cached = await this.cache.read();
    if (cached === undefined) {
      this.logger.info('no cached spec; waiting for control to apply one');
      return false;
    }
    const { spec, generation, epoch } = cached;
    if (spec.filer.toLowerCase() !== this.filer) {
      throw new Error(
        `${this.cache.path} holds the spec of filer ${spec.filer}, not of ${this.filer}; point VSNET_AGENT_STATE_DIR at this filer's own folder`,
      );
    }
    this.queued++;
    return this.serial(async () => {
      let convergence: Convergence;
      try {
        await this.adoptKernel(spec, this.fencing.state.lastGeneration);
        convergence = await this.converge(spec);
      } catch (err) {
        // The agent must keep serving: control can only repair the node through it.
        const message = `restoring the cached spec of generation ${generation} failed: ${errorMessage(err)}; the agent serves anyway, on whatever the kernel holds: fix the cause from the agent log, then apply the spec again from control`;
        this.logger.error(message, { generation: generation.toString() });
        this.emit('apply-failed', generation, spec.hash, message);
        return false;
      }
      const { outcome, failure } = convergence;
      if (failure !== undefined) {
        this.logger.error(`restoring cached spec generation ${generation} failed: ${failure}`, {
          generation: generation.toString(),
        });
        this.emit('apply-failed', generation, spec.hash, `restoring the cached spec: ${failure}`);
        return false;
      }
      // Only a cache migrated from version 1 (written before its fencing) can be ahead of it.
      const { lastGeneration } = this.fencing.state;
      if (generation > lastGeneration) {
        await this.fencing.recordApplied(cached, this.failover.toRecord());
      } else {
        await this.fencing.recordEpoch(epoch);
        if (!FailoverState.fromRecord(this.fencing.failover).sameAs(this.failover)) {
          await this.fencing.recordFailover(this.failover.toRecord());
        }
      }
      this.notifyStatus();
      this.logger.info(`restored cached spec generation ${generation}`, {
        generation: generation.toString(),
        specHash: spec.hash,
        changed: outcome.changed,
        operations: outcome.plan.operations.length,
      });
      this.restoredEvent = this.emit(
        'cache-restored',
        generation,
        spec.hash,
        `started from the cached spec of generation ${generation}`,
      );
      return true;
    });
  }

  /** Runs one Apply (see the class comment); refusals and failures throw {@link AgentError}. */
  apply(command: ApplyCommand): Promise<ApplyOutcome> {
    const { spec, generation, epoch, dryRun } = command;
    if (spec.filer.toLowerCase() !== this.filer) {
      return Promise.reject(
        new AgentError(
          'invalid-request',
          `the spec is for filer ${spec.filer}, but this agent runs filer ${this.filer}; send it to ${spec.filer}'s agent`,
        ),
      );
    }
    if (this.closing) {
      return Promise.reject(this.shuttingDown());
    }
    // An apply that found the queue empty is the running one, even before its first await.
    const running = this.queued === 0;
    this.queued++;
    return this.serial(async () => {
      if (command.signal?.aborted === true) {
        throw new AgentError('cancelled', `the caller gave up before generation ${generation} ran`);
      }
      if (this.closing && !running) {
        throw this.shuttingDown();
      }
      this.fencing.admit(generation, epoch, spec.hash);
      if (dryRun) {
        const { outcome } = await this.converge(spec, this.failover.afterApply(generation), true);
        return { ...outcome, generation: this.fencing.state.lastGeneration };
      }
      // A raised epoch is durable before the kernel is touched: after a crash, the deposed
      // leader stays fenced out even though this apply never finished.
      await this.fencing.recordEpoch(epoch);
      return this.applyAdmitted(spec, generation, epoch);
    });
  }

  /** What was applied, without touching the kernel. */
  status(): AgentStatus {
    const { lastGeneration, highestEpoch, specHash } = this.fencing.state;
    return {
      filer: this.filer,
      driver: this.driver.kind,
      generation: lastGeneration,
      epoch: highestEpoch,
      specHash,
      restoredFromCache: this.restoredEvent !== undefined,
      fenced: this.failover.fenced,
      activeVsvrs: this.failover.activeVsvrs(this.current),
    };
  }

  /**
   * Self-fencing (decision 0006): withdraws every vsvr address (their links go down; the
   * filer's own addresses stay) until the leader's next Apply, or a Takeover, says what runs
   * here. Queued like an Apply; a fenced agent is not fenced again.
   */
  fence(reason: string): Promise<void> {
    if (this.closing) {
      return Promise.resolve();
    }
    this.queued++;
    return this.serial(async () => {
      const spec = this.current;
      const next = this.failover.fence(spec);
      if (this.failover.fenced && next.sameAs(this.failover)) {
        return;
      }
      const withdrawn = this.failover.activeVsvrs(spec);
      this.failover = next;
      let problem: string;
      try {
        // The kernel first, and only the namespaces of the vsvrs that ran: every millisecond
        // an address stays is one in which two filers may answer for it.
        let failure: string | undefined;
        if (spec !== undefined && withdrawn.length > 0) {
          const names = new Set(withdrawn);
          const scope = vsvrScope(spec, names, this.namespacePrefix);
          const effective = next.effective(spec);
          const applied = await this.converger.applyScoped(effective, names, scope);
          failure = await this.converger.settle(effective, applied, scope);
        }
        problem = failure === undefined ? '' : `; withdrawing left differences: ${failure}`;
        await this.fencing.recordFailover(next.toRecord());
      } catch (err) {
        problem = `; withdrawing failed: ${errorMessage(err)}`;
      }
      const line = `fenced: ${reason}; withdrew ${withdrawn.length === 0 ? 'no vsvr' : withdrawn.join(', ')} until the leader's next Apply${problem}`;
      if (problem === '') {
        this.logger.warn(line, { withdrawn: withdrawn.join(',') });
      } else {
        this.logger.error(line, { withdrawn: withdrawn.join(',') });
      }
      this.notifyStatus();
    });
  }

  /**
   * Failover's fast path: runs `activate` here and stops running `deactivate`, planned and
   * applied for those vsvrs' namespaces alone. Answers as soon as the kernel batch is done;
   * recording, DHCP clients and services, and the verify follow in the same turn of the queue.
   */
  takeover(command: TakeoverCommand): Promise<TakeoverOutcome> {
    const both = command.activate.filter((n) => command.deactivate.includes(n));
    if (both.length > 0) {
      return Promise.reject(
        new AgentError(
          'invalid-request',
          `${both.join(', ')} is both to activate and to deactivate; name each vsvr once`,
        ),
      );
    }
    if (this.closing) {
      return Promise.reject(this.shuttingDown());
    }
    let answer: (outcome: TakeoverOutcome) => void = () => undefined;
    let refuse: (err: unknown) => void = () => undefined;
    const answered = new Promise<TakeoverOutcome>((resolve, reject) => {
      answer = resolve;
      refuse = reject;
    });
    const host = {
      fencing: this.fencing,
      converger: this.converger,
      namespacePrefix: this.namespacePrefix,
      logger: this.logger,
    };
    this.queued++;
    void this.serial(async () => {
      let taken: TakenOver;
      try {
        taken = await takeOver(host, command, this.current, this.failover, (next) => {
          this.failover = next;
        });
      } catch (err) {
        refuse(err);
        return;
      }
      if (taken.failure === undefined) {
        answer(taken.outcome);
      } else {
        refuse(taken.failure);
      }
      const problem = await settleTakeover(host, command, taken);
      if (problem !== undefined) {
        const generation = this.fencing.state.lastGeneration;
        this.emit('apply-failed', generation, taken.spec.hash, problem);
      }
      this.notifyStatus();
    });
    return answered;
  }

  /** The kernel as the driver reads it now, the vsvrs' counters, and {@link status}. */
  async state(): Promise<AgentState> {
    try {
      const [observed, counters] = await Promise.all([
        this.driver.inspect(),
        this.driver.counters(),
      ]);
      const spec = this.current ?? this.fencing.cached?.spec;
      const running =
        spec === undefined ? [] : [...runningVsvrs(spec, observed, this.namespacePrefix)].sort();
      return {
        ...this.status(),
        observed,
        runningVsvrs: running,
        counters,
        dhcpLeases: this.leases?.leases() ?? [],
      };
    } catch (err) {
      throw new AgentError(
        'driver-failed',
        `the ${this.driver.kind} driver could not read the kernel: ${errorMessage(err)}`,
      );
    }
  }

  /** Events a new Watch stream starts with: that the node runs on its cached spec, if it does. */
  standingEvents(): AgentEvent[] {
    return this.restoredEvent === undefined ? [] : [this.restoredEvent];
  }

  /** Resolves once nothing is queued or running (a takeover's work after its answer included). */
  async idle(): Promise<void> {
    while (this.queued > 0) {
      await this.tail.catch(() => undefined);
    }
  }

  /** Refuses new applies, lets the running one finish; the queued ones are refused. */
  async close(): Promise<void> {
    this.closing = true;
    await this.tail.catch(() => undefined);
  }

  /**
   * A lease came, changed or went: converge the current spec again (queued like an Apply), so
   * a leased address is plumbed, or a mismatch reported (an apply-failed event), at once.
   */
  private leasesChanged(): void {
    if (this.closing || this.current === undefined || this.reconvergeQueued) {
      return;
    }
    this.reconvergeQueued = true;
    this.queued++;
    void this.serial(async () => {
      this.reconvergeQueued = false;
      const spec = this.current;
      if (spec === undefined || this.closing) {
        return;
      }
      const generation = this.fencing.state.lastGeneration;
      try {
        const { outcome, failure } = await this.converge(spec);
        if (failure !== undefined) {
          const message = `a DHCP lease changed and the kernel does not match the spec: ${failure}`;
          this.logger.error(message, { generation: generation.toString() });
          this.emit('apply-failed', generation, spec.hash, message);
        } else if (outcome.changed) {
          this.logger.info('plumbed what the DHCP leases allow', {
            generation: generation.toString(),
            operations: outcome.plan.operations.length,
          });
          this.emit('applied', generation, spec.hash, 'plumbed the addresses DHCP leased');
        }
      } catch (err) {
        this.logger.error(`converging after a DHCP lease changed failed: ${errorMessage(err)}`);
      }
    });
  }

  private async applyAdmitted(
    spec: NodeSpec,
    generation: bigint,
    epoch: bigint,
  ): Promise<ApplyOutcome> {
    // The leader says what runs here: a fence or a start-up hold ends, and takeovers hold
    // only until a generation newer than the one they were made at.
    const before = this.failover;
    const next = before.afterApply(generation);
    let convergence: Convergence;
    try {
      convergence = await this.converge(spec, next);
    } finally {
      // The kernel was moved towards it, however far that went.
      this.failover = next;
    }
    const { outcome, failure } = convergence;
    const failoverChanged = !next.sameAs(before);
    if (before.fenced) {
      this.logger.warn(`unfenced: the leader applied generation ${generation} (epoch ${epoch})`);
    }
    if (failure !== undefined) {
      if (failoverChanged) {
        await this.fencing.recordFailover(next.toRecord());
      }
      this.notifyStatus();
      const last = this.fencing.state.lastGeneration;
      const message = `generation ${generation} was not applied (the node keeps generation ${last}): ${failure}; the failed items and differences are in the response, and each item's kernel error in the agent log`;
      this.logger.error(message, { generation: generation.toString(), epoch: epoch.toString() });
      this.emit('apply-failed', generation, spec.hash, message);
      throw new AgentError('apply-failed', message, { ...outcome, generation: last });
    }
    const applied = this.fencing.state;
    const news = applied.lastGeneration !== generation || applied.specHash !== spec.hash;
    if (news || failoverChanged || this.restoredEvent !== undefined) {
      // Fencing, failover and the cached spec in one atomic write: none is ever ahead.
      await this.fencing.recordApplied({ generation, epoch, spec }, next.toRecord());
    }
    this.restoredEvent = undefined;
    this.notifyStatus();
    this.logger.info(`applied generation ${generation}`, {
      generation: generation.toString(),
      epoch: epoch.toString(),
      specHash: spec.hash,
      changed: outcome.changed,
      operations: outcome.plan.operations.length,
    });
    if (news || outcome.changed) {
      this.emit(
        'applied',
        generation,
        spec.hash,
        `applied generation ${generation}${outcome.changed ? '' : ' (kernel already matched)'}`,
      );
    }
    return { ...outcome, generation };
  }

  /**
   * At start-up, before the cached spec is converged: run the vsvrs the kernel runs, as it
   * runs them (failover-state.ts `adopt`), and log what that kept down.
   */
  private async adoptKernel(spec: NodeSpec, generation: bigint): Promise<void> {
    const running = runningVsvrs(spec, await this.converger.observe(), this.namespacePrefix);
    const next = this.failover.adopt(spec, running, generation);
    const kept = [...next.withheld].sort();
    if (kept.length > 0) {
      this.logger.warn(
        `kept down ${kept.join(', ')}: active in the cached spec but not running in the kernel (the filer restarted, or they were withdrawn); they wait for the leader's Apply or Takeover`,
      );
    }
    this.failover = next;
  }

  /**
   * inspect → plan → apply → verify, of `spec` as `failover` has the kernel hold it. A dry run
   * stops after planning and verifies nothing.
   */
  private converge(spec: NodeSpec, failover = this.failover, dryRun = false): Promise<Convergence> {
    if (!dryRun) {
      this.current = spec;
    }
    return this.converger.converge(failover.effective(spec), dryRun);
  }

  private notifyStatus(): void {
    const status = this.status();
    for (const listener of this.statusListeners) {
      listener(status);
    }
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.then(
      () => this.queued--,
      () => this.queued--,
    );
    return run;
  }

  private emit(
    kind: AgentEventKind,
    generation: bigint,
    specHash: string,
    message: string,
  ): AgentEvent {
    const event: AgentEvent = { kind, generation, specHash, message, at: new Date() };
    this.events.emit(event);
    return event;
  }

  private shuttingDown(): AgentError {
    return new AgentError(
      'shutting-down',
      'the agent is shutting down; retry against it once it is back',
    );
  }
}
