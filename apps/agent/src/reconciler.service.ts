import type { DataplaneDriver, ItemStatus, ObservedState, VsvrCounters } from '@vsnet/dataplane';
import type { NodeSpec } from '@vsnet/model';
import type { AgentEvent, AgentEventKind, AgentEvents } from './agent-events.js';
import type { DhcpLeaseStatus } from './dhcp/dhcp-addresses.js';
import { AgentError } from './agent.errors.js';
import type { ApplyCommand, ApplyOutcome } from './apply.types.js';
import type { FencingStore } from './fencing-store.js';
import type { NodeServices } from './dhcp-server/dhcp-server.service.js';
import type { Logger } from './logger.js';
import { errorMessage } from './logger.js';
import type { SpecCache } from './spec-cache.js';

/** What the agent last applied and how it started. */
export interface AgentStatus {
  readonly filer: string;
  readonly driver: DataplaneDriver['kind'];
  readonly generation: bigint;
  readonly epoch: bigint;
  readonly specHash: string;
  /** True while the running spec is the one restored from the cache at start-up. */
  readonly restoredFromCache: boolean;
}

export interface AgentState extends AgentStatus {
  readonly observed: ObservedState;
  readonly counters: Readonly<Record<string, VsvrCounters>>;
  /** The running spec's `dhcp` addresses and their leases (none without DHCP clients). */
  readonly dhcpLeases: readonly DhcpLeaseStatus[];
}

/**
 * How `dhcp` addresses reach the driver (apps/agent/src/dhcp/dhcp-mode.ts). Without it every
 * address is plumbed as the spec gives it.
 */
export interface AddressLeases {
  /** The spec to plumb (each `dhcp` address only when its lease equals it) and items about them. */
  plumbable(spec: NodeSpec): {
    readonly spec: NodeSpec;
    readonly items: readonly { item: string; status: ItemStatus; detail?: string }[];
  };
  /** Runs the DHCP clients the spec needs, and only those; called once its links exist. */
  sync(spec: NodeSpec): Promise<void>;
  /** Calls `listener` whenever a lease appears, changes or goes. */
  onChange(listener: () => void): void;
  /** The `dhcp` addresses of the spec last synced, and where each one's lease stands. */
  leases(): readonly DhcpLeaseStatus[];
}

interface Convergence {
  readonly outcome: Omit<ApplyOutcome, 'generation'>;
  /** One line on what is still wrong, or undefined when the kernel matches the spec. */
  readonly failure: string | undefined;
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
  ) {
    leases?.onChange(() => this.leasesChanged());
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
        await this.fencing.recordApplied(cached);
      } else {
        await this.fencing.recordEpoch(epoch);
      }
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
        const { outcome } = await this.converge(spec, true);
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
    };
  }

  /** The kernel as the driver reads it now, the vsvrs' counters, and {@link status}. */
  async state(): Promise<AgentState> {
    try {
      const [observed, counters] = await Promise.all([
        this.driver.inspect(),
        this.driver.counters(),
      ]);
      return { ...this.status(), observed, counters, dhcpLeases: this.leases?.leases() ?? [] };
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
    const { outcome, failure } = await this.converge(spec);
    if (failure !== undefined) {
      const last = this.fencing.state.lastGeneration;
      const message = `generation ${generation} was not applied (the node keeps generation ${last}): ${failure}; the failed items and differences are in the response, and each item's kernel error in the agent log`;
      this.logger.error(message, { generation: generation.toString(), epoch: epoch.toString() });
      this.emit('apply-failed', generation, spec.hash, message);
      throw new AgentError('apply-failed', message, { ...outcome, generation: last });
    }
    const before = this.fencing.state;
    const news = before.lastGeneration !== generation || before.specHash !== spec.hash;
    if (news || this.restoredEvent !== undefined) {
      // Fencing and the cached spec in one atomic write: neither is ever ahead of the other.
      await this.fencing.recordApplied({ generation, epoch, spec });
    }
    this.restoredEvent = undefined;
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

  /** inspect → plan → apply → verify. A dry run stops after planning and verifies nothing. */
  private async converge(spec: NodeSpec, dryRun = false): Promise<Convergence> {
    try {
      // `dhcp` addresses are plumbed only as leased (dhcp-mode.ts); the rest as given.
      const given = this.leases?.plumbable(spec) ?? { spec, items: [] };
      const observed = await this.driver.inspect();
      const plan = this.driver.plan(given.spec, observed);
      if (dryRun) {
        return {
          outcome: { changed: plan.operations.length > 0, items: [], drift: [], plan },
          failure: undefined,
        };
      }
      this.current = spec;
      const report =
        plan.operations.length === 0
          ? { changed: false, items: [] }
          : await this.driver.apply(plan);
      // The aliases exist now: their DHCP clients can start (or stop, for addresses gone).
      await this.leases?.sync(spec);
      const drift = await this.driver.verify(given.spec);
      const items = [...report.items, ...given.items];
      const failed = items.filter((i) => i.status === 'failed');
      const outcome = { changed: report.changed, items, drift, plan };
      const failure = describeFailure(failed, drift) ?? (await this.reconcileServices(spec));
      return { outcome, failure };
    } catch (err) {
      throw new AgentError(
        'driver-failed',
        `the ${this.driver.kind} driver failed, so the kernel may be partly changed; check the agent log and retry the apply once the cause is fixed (the kernel's own error follows): ${errorMessage(err)}`,
      );
    }
  }

  /** Once the kernel matches: the spec's processes, or one line on why they do not run. */
  private async reconcileServices(spec: NodeSpec): Promise<string | undefined> {
    try {
      await this.services?.reconcile(spec);
      return undefined;
    } catch (err) {
      return errorMessage(err);
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

function describeFailure(
  failed: readonly { readonly item: string; readonly detail?: string }[],
  drift: readonly { readonly item: string; readonly expected: string; readonly actual: string }[],
): string | undefined {
  const parts: string[] = [];
  const [firstFailed] = failed;
  if (firstFailed !== undefined) {
    parts.push(
      `${failed.length} item(s) failed (first: ${firstFailed.item}${firstFailed.detail === undefined ? '' : `: ${firstFailed.detail}`})`,
    );
  }
  const [firstDrift] = drift;
  if (firstDrift !== undefined) {
    parts.push(
      `${drift.length} difference(s) remain (first: ${firstDrift.item}: expected ${firstDrift.expected}, found ${firstDrift.actual})`,
    );
  }
  return parts.length === 0 ? undefined : parts.join('; ');
}
