import { Inject, Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { PipelineStore } from '@vsnet/store';
import { CONTROL_CONFIG } from '../config/config.module.js';
import type { ControlConfig } from '../config/control-config.js';
import { LeaderLease } from './leader-lease.js';
import { ReconcileQueue } from './reconcile-queue.js';

/**
 * Level-triggered resync (ARCHITECTURE.md §3 step 8): on the leader, every
 * VSNET_RESYNC_INTERVAL_MS, queues every filer with an agent whose observed generation is
 * behind its desired one or whose last apply failed or found the agent unreachable. A lost
 * job, a wiped Redis or a crash between commit and enqueue therefore only delay a change.
 */
@Injectable()
export class ResyncLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ResyncLoop');
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastError = '';

  constructor(
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
    private readonly store: PipelineStore,
    private readonly lease: LeaderLease,
    private readonly queue: ReconcileQueue,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One pass: the filers it queued. */
  async runOnce(): Promise<string[]> {
    if (this.lease.epoch() === undefined) {
      return [];
    }
    const filers = await this.store.filersToResync();
    if (filers.length > 0) {
      await this.queue.enqueue(filers);
    }
    return filers;
  }

  private schedule(): void {
    if (this.stopped) {
      return;
    }
    this.timer = setTimeout(() => {
      this.runOnce()
        .then(() => {
          this.lastError = '';
        })
        .catch((err: unknown) => {
          const message = err instanceof Error ? err.message : String(err);
          if (message !== this.lastError) {
            this.logger.warn(`resync: ${message}`);
          }
          this.lastError = message;
        })
        .finally(() => this.schedule());
    }, this.config.pipeline.resyncIntervalMs);
  }
}
