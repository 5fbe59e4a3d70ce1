import type { Provider } from '@nestjs/common';
import { FailoverStore } from '@vsnet/store';
import { DataSource } from 'typeorm';
import { LeaderLease } from '../pipeline/leader-lease.js';
import { AgentRoster } from './agent-roster.js';
import { FailoverCoordinator } from './failover-coordinator.js';
import { FailoverOrchestrator } from './failover-orchestrator.js';
import { FailoverStatusService } from './failover-status.service.js';
import { FilerHealthBook } from './filer-health.js';
import { HeartbeatMonitor } from './heartbeat-monitor.js';
import { LeaderForwarder } from './leader-forward.js';
import { PlacementBook } from './placement-book.js';
import { VsvrMover } from './vsvr-mover.js';

/**
 * Failover's part of AppModule (decision 0006): heartbeats, detection, failover, moves and
 * their status. It needs the pipeline's providers (LeaderLease, AgentClients, ReconcileQueue,
 * PipelineStore) beside it.
 */
export const FAILOVER_PROVIDERS: Provider[] = [
  {
    provide: FailoverStore,
    useFactory: (dataSource: DataSource) => new FailoverStore(dataSource),
    inject: [DataSource],
  },
  HeartbeatMonitor,
  FilerHealthBook,
  PlacementBook,
  AgentRoster,
  {
    provide: VsvrMover,
    useFactory: (
      placements: PlacementBook,
      health: FilerHealthBook,
      roster: AgentRoster,
      journal: FailoverStore,
      lease: LeaderLease,
    ) => new VsvrMover(placements, health, roster, journal, lease),
    inject: [PlacementBook, FilerHealthBook, AgentRoster, FailoverStore, LeaderLease],
  },
  {
    provide: FailoverOrchestrator,
    useFactory: (
      placements: PlacementBook,
      health: FilerHealthBook,
      roster: AgentRoster,
      journal: FailoverStore,
      lease: LeaderLease,
      mover: VsvrMover,
    ) => new FailoverOrchestrator(placements, health, roster, journal, lease, mover),
    inject: [PlacementBook, FilerHealthBook, AgentRoster, FailoverStore, LeaderLease, VsvrMover],
  },
  FailoverCoordinator,
  FailoverStatusService,
  LeaderForwarder,
];
