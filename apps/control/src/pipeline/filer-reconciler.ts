import { Inject, Injectable, Logger } from '@nestjs/common';
import { nodeSpecToWire } from '@vsnet/contracts';
import { compileNodeSpec, EditRefusal } from '@vsnet/model';
import { PipelineStore } from '@vsnet/store';
import { ClusterReader } from '../cluster/cluster-reader.js';
import { CONTROL_CONFIG } from '../config/config.module.js';
import type { ControlConfig } from '../config/control-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AgentClients } from './agent-client.js';
import { PipelineEvents } from './pipeline-events.js';

/** What one reconcile of a filer came to. */
export type ReconcileResult =
  | 'applied'
  | 'failed'
  | 'unreachable'
  /** Another apply got there first: the agent already runs a newer generation. */
  | 'superseded'
  /** The filer is not in the cluster (any more), or the cluster does not exist. */
  | 'gone'
  /** No agent has joined for the filer yet. */
  | 'no-agent';

/**
 * One step of ARCHITECTURE.md §3 (5–7) for one filer: compile its spec at the current
 * generation, call its agent's Apply with the leader's epoch and a deadline, and store what
 * the agent answered (observed generation and hash, or the agent's and the kernel's error).
 */
@Injectable()
export class FilerReconciler {
  private readonly logger = new Logger('FilerReconciler');

  constructor(
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
    private readonly store: PipelineStore,
    private readonly reader: ClusterReader,
    private readonly agents: AgentClients,
    private readonly metrics: MetricsService,
    private readonly events: PipelineEvents,
  ) {}

  async reconcile(filer: string, epoch: string): Promise<ReconcileResult> {
    const state = await this.store.filerState(filer);
    if (state === undefined) {
      return 'gone';
    }
    if (state.agentAddress === null) {
      return 'no-agent';
    }
    let view;
    try {
      view = await this.reader.read();
    } catch (err) {
      if (err instanceof EditRefusal) {
        return 'gone'; // no cluster yet
      }
      throw err;
    }
    if (!view.analysis.filers.has(filer.toLowerCase())) {
      return 'gone';
    }
    const spec = compileNodeSpec(view.stored.cluster, filer, view.analysis);
    const generation = view.stored.generation;
    const started = performance.now();
    const outcome = await this.agents.apply(
      state.agentAddress,
      { spec: nodeSpecToWire(spec), generation, epoch, dryRun: false },
      this.config.pipeline.agentDeadlineMs,
    );
    const seconds = (performance.now() - started) / 1000;
    if (outcome.ok) {
      this.metrics.countApply('applied', seconds);
      await this.store.recordApply(filer, {
        ok: true,
        generation: outcome.generation,
        hash: spec.hash,
      });
      this.events.notify();
      return 'applied';
    }
    this.metrics.countApply(outcome.state, seconds);
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
    await this.store.recordApply(filer, { ok: false, state: outcome.state, error: outcome.error });
    this.events.notify();
    return outcome.state;
  }
}
