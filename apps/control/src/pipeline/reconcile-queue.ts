import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ClusterStateStore } from '@vsnet/store';
import { Queue } from 'bullmq';
import { MetricsService } from '../metrics/metrics.service.js';

/** The BullMQ queue of reconcile jobs: one job names one filer to bring up to date. */
export const RECONCILE_QUEUE = 'vsnet-reconcile';

/** How long a commit's enqueue may wait for Redis before leaving it to the resync loop. */
const ENQUEUE_TIMEOUT_MS = 2_000;

/** A reconcile job's data. */
export interface ReconcileJob {
  readonly filer: string;
}

/**
 * Queues reconcile jobs, deduplicated per filer: while a filer's job waits, more requests for
 * it add nothing (the job compiles the latest spec when it runs); while one runs, the last
 * request is kept as one waiting job. So a burst of changes to a filer costs at most two
 * applies in flight, and a filer's applies never overlap. Listens to every committed change
 * of the cluster and queues its filers.
 */
@Injectable()
export class ReconcileQueue implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ReconcileQueue');
  private unlisten: (() => void) | undefined;
  private lastError = '';

  constructor(
    @InjectQueue(RECONCILE_QUEUE) private readonly queue: Queue<ReconcileJob>,
    private readonly store: ClusterStateStore,
    metrics: MetricsService,
  ) {
    // Without a listener an unreachable Redis would throw from the emitter; the resync loop
    // re-queues whatever could not be queued, so a line in the log is all this needs.
    queue.on('error', (err) => this.failed(err));
    metrics.measureQueueDepth(() => queue.getJobCountByTypes('waiting', 'active', 'prioritized'));
  }

  onModuleInit(): void {
    this.unlisten = this.store.onCommitted((_generation, filers) => {
      if (filers.length > 0) {
        void this.enqueue(filers);
      }
    });
  }

  onModuleDestroy(): void {
    this.unlisten?.();
  }

  /**
   * Asks for `filers` to be brought to the current generation. Never throws: a job that could
   * not be queued (Redis down) is found by the resync loop later.
   */
  async enqueue(filers: readonly string[]): Promise<void> {
    try {
      const added = Promise.all(
        filers.map((filer) =>
          this.queue.add(
            'reconcile',
            { filer },
            {
              deduplication: { id: filer, keepLastIfActive: true },
              removeOnComplete: true,
              removeOnFail: true,
            },
          ),
        ),
      );
      await withTimeout(added, ENQUEUE_TIMEOUT_MS);
      this.lastError = '';
    } catch (err) {
      this.failed(err);
    }
  }

  private failed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (message !== this.lastError) {
      this.logger.warn(`reconcile queue: ${message}; the resync loop retries`);
    }
    this.lastError = message;
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
