import { BullModule } from '@nestjs/bullmq';
import type { DynamicModule, Provider } from '@nestjs/common';
import { PipelineStore } from '@vsnet/store';
import type { RetryBackoff } from '@vsnet/store';
import { DataSource } from 'typeorm';
import { CONTROL_CONFIG } from '../config/config.module.js';
import type { ControlConfig } from '../config/control-config.js';
import { redisTarget } from '../database/redis-target.js';
import { AgentClients } from './agent-client.js';
import { CompiledSpecs } from './compiled-specs.js';
import { FilerReconciler } from './filer-reconciler.js';
import { TakeoverGate } from './takeover-gate.js';
import { LeaderLease } from './leader-lease.js';
import { PipelineEvents } from './pipeline-events.js';
import { ReconcileProcessor } from './reconcile.processor.js';
import { RECONCILE_QUEUE, ReconcileQueue } from './reconcile-queue.js';
import { ResyncLoop } from './resync-loop.js';

/** The BullMQ connection and the reconcile queue, for AppModule's imports. */
export function pipelineImports(config: ControlConfig): DynamicModule[] {
  return [
    BullModule.forRoot({
      connection: { url: redisTarget(config.redisUrl) },
      prefix: config.pipeline.queuePrefix,
    }),
    BullModule.registerQueue({ name: RECONCILE_QUEUE }),
  ];
}

/**
 * The retry backoff of a failing filer: first at the next resync pass, doubling, at most 30 s
 * (or one resync interval, when that is longer).
 */
export function retryBackoff(config: ControlConfig): RetryBackoff {
  const first = config.pipeline.resyncIntervalMs;
  return { firstMs: first, maxMs: Math.max(first, MAX_RETRY_DELAY_MS) };
}

const MAX_RETRY_DELAY_MS = 30_000;

/** Everything of the change pipeline that AppModule provides (its controller aside). */
export const PIPELINE_PROVIDERS: Provider[] = [
  {
    provide: PipelineStore,
    useFactory: (dataSource: DataSource, config: ControlConfig) =>
      new PipelineStore(dataSource, retryBackoff(config)),
    inject: [DataSource, CONTROL_CONFIG],
  },
  PipelineEvents,
  AgentClients,
  CompiledSpecs,
  LeaderLease,
  ReconcileQueue,
  // Its clock parameter is for tests; Nest must not try to inject it.
  { provide: TakeoverGate, useFactory: () => new TakeoverGate() },
  FilerReconciler,
  ReconcileProcessor,
  ResyncLoop,
];
