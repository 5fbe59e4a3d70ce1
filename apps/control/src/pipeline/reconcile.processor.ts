import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Job } from 'bullmq';
import { CONTROL_CONFIG } from '../config/config.module.js';
import type { ControlConfig } from '../config/control-config.js';
import { FilerReconciler } from './filer-reconciler.js';
import type { ReconcileResult } from './filer-reconciler.js';
import { LeaderLease } from './leader-lease.js';
import { RECONCILE_QUEUE } from './reconcile-queue.js';
import type { ReconcileJob } from './reconcile-queue.js';

/**
 * The reconcile queue's worker. It takes jobs only while this instance holds the leader lease
 * (started when it becomes leader, paused when it stops), and each job checks the lease again
 * before it calls an agent, with the epoch it holds.
 */
@Processor(RECONCILE_QUEUE, { autorun: false })
export class ReconcileProcessor
  extends WorkerHost
  implements OnApplicationBootstrap, OnModuleDestroy
{
  private readonly logger = new Logger('ReconcileProcessor');
  private started = false;
  private unlisten: (() => void) | undefined;
  private lastError = '';

  constructor(
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
    private readonly reconciler: FilerReconciler,
    private readonly lease: LeaderLease,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.pipeline.reconcileConcurrency;
    this.unlisten = this.lease.onChange((epoch) => this.follow(epoch !== undefined));
  }

  onModuleDestroy(): void {
    this.unlisten?.();
  }

  async process(job: Job<ReconcileJob>): Promise<ReconcileResult> {
    const epoch = this.lease.epoch();
    if (epoch === undefined) {
      // The leader's resync queues the filer again; this instance must not call its agent.
      throw new Error('this control instance is not the leader');
    }
    return this.reconciler.reconcile(job.data.filer, epoch);
  }

  @OnWorkerEvent('error')
  onError(err: Error): void {
    if (err.message !== this.lastError) {
      this.logger.warn(`reconcile worker: ${err.message}`);
    }
    this.lastError = err.message;
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job<ReconcileJob> | undefined, err: Error): void {
    this.logger.warn(`reconcile of filer ${job?.data.filer ?? '?'} failed: ${err.message}`);
  }

  private follow(leader: boolean): void {
    if (leader && !this.started) {
      this.started = true;
      this.worker.run().catch((err: unknown) => this.onError(asError(err)));
    } else if (leader) {
      void this.worker.resume();
    } else if (this.started) {
      this.worker.pause(true).catch((err: unknown) => this.onError(asError(err)));
    }
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
