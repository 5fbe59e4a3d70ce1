import { Injectable } from '@nestjs/common';
import type { FailoverEventView, FilerHealthRow, PlacementView } from '@vsnet/store';
import { ClusterStateStore, FailoverStore, PipelineStore } from '@vsnet/store';
import { FailoverCoordinator } from './failover-coordinator.js';
import type { FilerHealth } from './filer-health.js';
import { FilerHealthBook } from './filer-health.js';

/** What `vsnet failover status` shows. */
export interface FailoverStatus {
  /** The lease as stored; `held` when it has not run out (by this instance's clock). */
  readonly leader:
    | { holder: string; epoch: string; endpoint: string; expiresUnixMs: number; held: boolean }
    | undefined;
  readonly filers: readonly (FilerHealth | FilerHealthRow)[];
  readonly generation: string;
  readonly vsvrs: readonly PlacementView[];
  readonly recent: readonly FailoverEventView[];
}

/**
 * The failover status: the leader from the lease, every vsvr's placement, the recent failovers,
 * and the filers' health — live when this instance leads, else as the leader last wrote it.
 */
@Injectable()
export class FailoverStatusService {
  constructor(
    private readonly pipeline: PipelineStore,
    private readonly cluster: ClusterStateStore,
    private readonly failovers: FailoverStore,
    private readonly coordinator: FailoverCoordinator,
    private readonly health: FilerHealthBook,
  ) {}

  async read(recent: number): Promise<FailoverStatus> {
    const live = this.coordinator.leading !== undefined ? this.health.all() : undefined;
    const [lease, placements, events, stored] = await Promise.all([
      this.pipeline.currentLease(),
      this.cluster.placements(),
      this.failovers.recent(recent),
      live === undefined ? this.failovers.filerHealth() : Promise.resolve([]),
    ]);
    return {
      leader:
        lease === undefined ? undefined : { ...lease, held: lease.expiresUnixMs > Date.now() },
      filers: live ?? stored,
      generation: placements.generation,
      vsvrs: placements.vsvrs,
      recent: events,
    };
  }
}
