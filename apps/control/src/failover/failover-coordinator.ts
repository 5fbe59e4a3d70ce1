import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { CONTROL_CONFIG } from '../config/config.module.js';
import type { ControlConfig } from '../config/control-config.js';
import { LeaderLease } from '../pipeline/leader-lease.js';
import { TakeoverGate } from '../pipeline/takeover-gate.js';
import { AgentRoster } from './agent-roster.js';
import { FailoverOrchestrator } from './failover-orchestrator.js';
import { errorText, round } from './failover-ports.js';
import { FilerHealthBook } from './filer-health.js';
import { HeartbeatMonitor } from './heartbeat-monitor.js';
import type { FromHeartbeatWorker, HeartbeatTiming } from './heartbeat-protocol.js';
import { PlacementBook } from './placement-book.js';

/** How often the leader reads the agents again (joins, moves) and retries failed Leads. */
const REFRESH_MS = 1_000;
/** How soon a heartbeat worker that died is started again. */
const RESTART_MS = 200;

/**
 * The leader's failover machinery, switched with the leadership (decision 0006): when this
 * instance becomes leader, a fresh heartbeat key, Agent.Lead on every agent, the placements in
 * memory, then the heartbeat worker; when it stops being leader (LeaderLease says so at the
 * latest when its lease runs out by this instance's clock, whatever the database does), the
 * worker is terminated and failovers stop at once. In between it routes what the worker says:
 * state changes to the health book and, for `down`, to the orchestrator (and FENCE_NOW into
 * that filer's pings until it says it fenced); NO_KEY to another Lead.
 */
@Injectable()
export class FailoverCoordinator implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Heartbeats');
  private epoch: string | undefined;
  private key: Uint8Array | undefined;
  private unlisten: (() => void) | undefined;
  private unlistenRenewals: (() => void) | undefined;
  private refresher: NodeJS.Timeout | undefined;
  private readonly fence = new Set<string>();
  private lastWarning = '';

  constructor(
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
    private readonly lease: LeaderLease,
    private readonly roster: AgentRoster,
    private readonly monitor: HeartbeatMonitor,
    private readonly health: FilerHealthBook,
    private readonly placements: PlacementBook,
    private readonly orchestrator: FailoverOrchestrator,
    private readonly gate: TakeoverGate,
  ) {}

  onModuleInit(): void {
    this.roster.onTargets(() => {
      if (this.epoch !== undefined) {
        this.monitor.targets(this.roster.targets());
      }
    });
    this.unlisten = this.lease.onChange((epoch) => this.leadership(epoch));
    this.unlistenRenewals = this.lease.onRenewed(() => this.tellLease());
  }

  /** Gives the worker the lease's end, so it stops pinging by itself if the main thread stalls. */
  private tellLease(): void {
    const until = this.lease.validUntilUnixMs();
    if (this.epoch !== undefined && until !== undefined) {
      this.monitor.leaseValidUntil(until);
    }
  }

  onApplicationShutdown(): void {
    this.unlisten?.();
    this.unlistenRenewals?.();
    this.stop();
  }

  /** The epoch this instance runs heartbeats for; `undefined` when it does not lead. */
  get leading(): string | undefined {
    return this.epoch;
  }

  get timing(): HeartbeatTiming {
    const f = this.config.failover;
    return {
      intervalMs: f.heartbeatIntervalMs,
      misses: f.heartbeatMisses,
      kernelProbeTimeoutMs: f.kernelProbeTimeoutMs,
      upHoldMs: f.filerUpHoldMs,
    };
  }

  private leadership(epoch: string | undefined): void {
    if (epoch === this.epoch) {
      return;
    }
    if (this.epoch !== undefined) {
      this.stop();
    }
    if (epoch !== undefined) {
      this.start(epoch).catch((err: unknown) => {
        this.logger.error(`cannot start heartbeats for epoch ${epoch}: ${errorText(err)}`);
      });
    }
  }

  private async start(epoch: string): Promise<void> {
    const began = performance.now();
    this.epoch = epoch;
    this.key = randomBytes(32);
    this.fence.clear();
    await Promise.all([this.placements.start(), this.roster.begin(epoch, this.key)]);
    if (this.epoch !== epoch) {
      return; // lost again meanwhile; stop() did the rest
    }
    this.health.reset(epoch, this.roster.filers(), Date.now());
    this.orchestrator.begin(epoch);
    this.startWorker(epoch);
    this.refresher = setInterval(() => void this.refresh(epoch), REFRESH_MS);
    this.refresher.unref();
    const t = this.timing;
    this.logger.log(
      `heartbeats to ${this.roster.targets().length} agents every ${t.intervalMs} ms (profile ${this.config.failover.profile}: down after ${t.misses} misses and a silent kernel), ${round(performance.now() - began)} ms after becoming leader`,
    );
  }

  /** Stops everything guarded by the leadership, now. */
  private stop(): void {
    const was = this.epoch;
    this.epoch = undefined;
    this.key = undefined;
    this.monitor.stop();
    this.gate.clear();
    this.orchestrator.end();
    this.roster.end();
    this.placements.stop();
    this.health.clear();
    clearInterval(this.refresher);
    if (was !== undefined) {
      this.logger.log(`heartbeats and failover stopped (epoch ${was} ended)`);
    }
  }

  private startWorker(epoch: string): void {
    if (this.epoch !== epoch || this.key === undefined) {
      return;
    }
    this.monitor.start(epoch, this.key, this.timing, {
      message: (m) => this.received(epoch, m),
      died: (error) => {
        this.logger.error(`the heartbeat worker died (${error}); starting it again`);
        setTimeout(() => this.startWorker(epoch), RESTART_MS).unref();
      },
    });
    this.monitor.targets(this.roster.targets());
    this.monitor.fence([...this.fence]);
    this.tellLease();
  }

  private async refresh(epoch: string): Promise<void> {
    try {
      await this.roster.refresh();
      if (this.epoch === epoch) {
        this.health.track(this.roster.filers(), Date.now());
      }
    } catch (err) {
      this.warn(`cannot read the agents: ${errorText(err)}`);
    }
  }

  private received(epoch: string, m: FromHeartbeatWorker): void {
    if (this.epoch !== epoch) {
      return;
    }
    switch (m.type) {
      case 'state':
        this.stateChanged(m);
        break;
      case 'no-key':
        void this.roster.lead(m.filer);
        break;
      case 'observed':
        this.health.observed(m.filer, m.generation, m.fenced);
        if (m.fenced) {
          // It withdrew its addresses; an apply says which of its vsvrs are active there now.
          if (this.fence.delete(m.filer.toLowerCase())) {
            this.monitor.fence([...this.fence]);
          }
          void this.roster.reconcile(m.filer);
        }
        break;
      case 'warning':
        this.warn(m.message);
        break;
      case 'started':
        break;
    }
  }

  private stateChanged(m: Extract<FromHeartbeatWorker, { type: 'state' }>): void {
    if (m.to === 'down') {
      // The failover first: nothing on its path waits for the log or the database (its
      // targets are other filers, whose health the book already has).
      void this.orchestrator.filerLost(m.filer, m.atUnixMs, m.lastPongUnixMs);
      this.fence.add(m.filer.toLowerCase());
      this.monitor.fence([...this.fence]);
    }
    if (m.to === 'agent-down' || m.to === 'down') {
      this.roster.unled(m.filer);
    }
    this.health.changed(m.filer, m.to, m.atUnixMs);
    const silence =
      m.lastPongUnixMs === undefined
        ? 'never answered this leader'
        : `last heartbeat answer ${round(m.atUnixMs - m.lastPongUnixMs)} ms before`;
    const line = `filer ${m.filer}: ${m.from} → ${m.to} (${silence})`;
    if (m.to === 'down' || m.to === 'agent-down') {
      this.logger.warn(line);
    } else {
      this.logger.log(line);
    }
  }

  private warn(message: string): void {
    if (message !== this.lastWarning) {
      this.logger.warn(message);
    }
    this.lastWarning = message;
  }
}
