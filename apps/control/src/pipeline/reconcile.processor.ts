import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Job } from 'bullmq';
import { CONTROL_CONFIG } from '../config/config.module.js';
import type { ControlConfig } from '../config/control-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { FilerReconciler } from './filer-reconciler.js';
import type { ReconcileResult } from './filer-reconciler.js';
import { LeaderLease } from './leader-lease.js';
import { RECONCILE_QUEUE } from './reconcile-queue.js';
import type { ReconcileJob } from './reconcile-queue.js';

/**
 * How long a job's lock lasts without renewal (the worker renews it every half), and how often
 * the worker looks for jobs whose lock ran out. BullMQ's defaults (30 s each) left the jobs a
 * SIGKILLed instance had active stuck for a minute or more after a restart, and with them, via
 * the per-filer deduplication key, every apply of their filers. With these a restarted leader
 * takes them back within about 10 s. A job whose lock lapses while it still runs is taken
 * again: harmless, since an apply is idempotent and an older one is refused as stale.
 */
const JOB_LOCK_MS = 5_000;
const STALLED_CHECK_MS = 2_000;

/**
 * The reconcile queue's worker. It takes jobs only while this instance holds the leader lease
 * (started when it becomes leader, paused when it stops), and each job checks the lease again
 * before it calls an agent, with the epoch it holds.
 */
@Processor(RECONCILE_QUEUE, {
  autorun: false,
  lockDuration: JOB_LOCK_MS,
  stalledInterval: STALLED_CHECK_MS,
})
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
    private readonly metrics: MetricsService,
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
    // Both stamps are this process's clock when it queued the job itself (the usual case).
    if (job.processedOn !== undefined) {
      this.metrics.observeQueueWait(Math.max(0, job.processedOn - job.timestamp) / 1000);
    }
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
