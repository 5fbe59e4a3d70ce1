import { BullModule } from '@nestjs/bullmq';
import type { DynamicModule, Provider } from '@nestjs/common';
import { PipelineStore } from '@vsnet/store';
import { DataSource } from 'typeorm';
import type { ControlConfig } from '../config/control-config.js';
import { AgentClients } from './agent-client.js';
import { FilerReconciler } from './filer-reconciler.js';
import { LeaderLease } from './leader-lease.js';
import { PipelineEvents } from './pipeline-events.js';
import { ReconcileProcessor } from './reconcile.processor.js';
import { RECONCILE_QUEUE, ReconcileQueue } from './reconcile-queue.js';
import { ResyncLoop } from './resync-loop.js';

/** The BullMQ connection and the reconcile queue, for AppModule's imports. */
export function pipelineImports(config: ControlConfig): DynamicModule[] {
  return [
    BullModule.forRoot({
      connection: { url: config.redisUrl },
      prefix: config.pipeline.queuePrefix,
    }),
    BullModule.registerQueue({ name: RECONCILE_QUEUE }),
  ];
}

/** Everything of the change pipeline that AppModule provides (its controller aside). */
export const PIPELINE_PROVIDERS: Provider[] = [
  {
    provide: PipelineStore,
    useFactory: (dataSource: DataSource) => new PipelineStore(dataSource),
    inject: [DataSource],
  },
  PipelineEvents,
  AgentClients,
  LeaderLease,
  ReconcileQueue,
  FilerReconciler,
  ReconcileProcessor,
  ResyncLoop,
];
