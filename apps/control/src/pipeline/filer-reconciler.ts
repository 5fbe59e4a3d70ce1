import { Inject, Injectable, Logger } from '@nestjs/common';
import { nodeSpecToWire } from '@vsnet/contracts';
import { NODE_SPEC_OPTIONS } from '@vsnet/dhcp';
import type { NodeSpec } from '@vsnet/model';
import { compileNodeSpec, EditRefusal } from '@vsnet/model';
import type { FilerStateView } from '@vsnet/store';
import { PipelineStore } from '@vsnet/store';
import { ClusterReader } from '../cluster/cluster-reader.js';
import { CONTROL_CONFIG } from '../config/config.module.js';
import type { ControlConfig } from '../config/control-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AgentClients } from './agent-client.js';
import { CompiledSpecs } from './compiled-specs.js';
import { LeaderLease } from './leader-lease.js';
import { PipelineEvents } from './pipeline-events.js';
import { retirementSpec } from './retirement-spec.js';
import { TakeoverGate } from './takeover-gate.js';

/** What one reconcile of a filer came to. */
export type ReconcileResult =
  | 'applied'
  | 'failed'
  | 'unreachable'
  /** A removed filer's agent applied the empty spec; its state is gone. */
  | 'retired'
  /** Another apply got there first: the agent already runs a newer generation. */
  | 'superseded'
  /** The filer is not in the cluster (any more), or the cluster does not exist. */
  | 'gone'
  /** No agent has joined for the filer yet. */
  | 'no-agent'
  /** The filer failed lately and waits out its backoff; the resync loop queues it again. */
  | 'backing-off'
  /** This instance lost the lease during the apply: the new leader records and retries. */
  | 'deposed'
  /** The spec would undo a takeover whose placement is not committed yet (TakeoverGate). */
  | 'held';

/**
 * One step of ARCHITECTURE.md §3 (5–7) for one filer: take its spec at the current generation
 * (as the commit compiled it, or compiled afresh; for a filer removed from the cluster, the
 * empty spec that clears it), call its agent's Apply with the leader's epoch and a deadline,
 * and store what the agent answered (observed generation and hash, or the agent's and the
 * kernel's error), as long as this instance still holds the lease. A retiring filer's state goes once its agent applied.
 */
@Injectable()
export class FilerReconciler {
  private readonly logger = new Logger('FilerReconciler');

  constructor(
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
    private readonly store: PipelineStore,
    private readonly reader: ClusterReader,
    private readonly compiled: CompiledSpecs,
    private readonly agents: AgentClients,
    private readonly metrics: MetricsService,
    private readonly events: PipelineEvents,
    private readonly lease: LeaderLease,
    private readonly gate: TakeoverGate,
  ) {}

  async reconcile(filer: string, epoch: string): Promise<ReconcileResult> {
    // The state and the generation in one read, the cluster (unless this instance committed
    // that generation) after: a filer removed in between is found retiring next time (the
    // removing commit queues it), never compiled from a cluster it has left.
    const context = await this.store.applyContext(filer);
    if (context === undefined) {
      return 'gone';
    }
    const { state } = context;
    const address = state.agentAddress;
    if (address === null) {
      return 'no-agent';
    }
    if (context.backingOff) {
      return 'backing-off';
    }
    const desired = await this.desired(filer, state, context.generation);
    if (desired === undefined) {
      return 'gone';
    }
    const { generation, spec, member } = desired;
    const held = member ? this.gate.conflict(filer, spec) : undefined;
    if (held !== undefined) {
      // The placement's commit queues this filer again; the resync loop is the safety net.
      this.logger.debug(`filer ${filer}, generation ${generation} held back: ${held}`);
      return 'held';
    }
    this.agents.track(filer, address);
    const started = performance.now();
    const outcome = await this.agents.apply(
      address,
      { spec: nodeSpecToWire(spec), generation, epoch, dryRun: false },
      this.config.pipeline.agentDeadlineMs,
    );
    const seconds = (performance.now() - started) / 1000;
    this.metrics.countApply(outcome.ok ? 'applied' : outcome.state, seconds);
    if (this.lease.epoch() !== epoch) {
      // The deadline outlasts the lease: an instance deposed meanwhile must not write over
      // what the new leader records. The new leader applies again (idempotent) and records.
      return 'deposed';
    }
    if (outcome.ok) {
      if (!member) {
        const retired = await this.store.retired(filer, address, generation);
        this.events.notify();
        if (retired) {
          this.logger.log(
            `filer ${filer} left the cluster; its agent cleared its vsvrs and addresses`,
          );
        }
        return retired ? 'retired' : 'superseded';
      }
      await this.store.recordApply(filer, {
        ok: true,
        address,
        generation: outcome.generation,
        hash: spec.hash,
      });
      this.events.notify();
      return 'applied';
    }
    if (outcome.reason === 'STALE_GENERATION') {
      // Two applies of one filer overlapped (possible only after the queue lost its
      // deduplication keys) and the newer one won; it records its own result.
      const now = await this.store.filerState(filer);
      if (now !== undefined && BigInt(now.observedGeneration) >= BigInt(generation)) {
        return 'superseded';
      }
    }
    if (outcome.error !== state.error) {
      this.logger.warn(`filer ${filer}: apply of generation ${generation}: ${outcome.error}`);
    }
    await this.store.recordApply(filer, {
      ok: false,
      address,
      generation,
      state: outcome.state,
      error: outcome.error,
    });
    this.events.notify();
    return outcome.state;
  }

  /**
   * The filer's spec at the current generation (the empty one for a filer that left the
   * cluster and is retiring): the one the commit compiled when this instance made that
   * generation, else compiled from the stored cluster. `undefined` when the filer is not in
   * the cluster (and not retiring), or there is no cluster.
   */
  private async desired(
    filer: string,
    state: FilerStateView,
    generation: string,
  ): Promise<{ generation: string; spec: NodeSpec; member: boolean } | undefined> {
    const compiled = this.compiled.at(generation);
    if (compiled !== undefined) {
      const spec = compiled.specs.get(filer.toLowerCase());
      if (spec === undefined && state.state !== 'retiring') {
        return undefined;
      }
      return {
        generation: compiled.generation,
        spec: spec ?? retirementSpec(compiled.cluster, state.filer),
        member: spec !== undefined,
      };
    }
    let view;
    try {
      view = await this.reader.read();
    } catch (err) {
      if (err instanceof EditRefusal) {
        return undefined; // no cluster yet
      }
      throw err;
    }
    const member = view.analysis.filers.has(filer.toLowerCase());
    if (!member && state.state !== 'retiring') {
      return undefined;
    }
    const spec = member
      ? compileNodeSpec(view.stored.cluster, filer, view.analysis, {
          ...NODE_SPEC_OPTIONS,
          placement: view.stored.placement,
        })
      : retirementSpec(view.stored.cluster, state.filer);
    return { generation: view.stored.generation, spec, member };
  }
}
