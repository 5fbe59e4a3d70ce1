import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { PipelineStore } from '@vsnet/store';
import { CONTROL_CONFIG } from '../config/config.module.js';
import { advertisedEndpoint } from '../config/control-config.js';
import type { ControlConfig } from '../config/control-config.js';
import { DatabaseProbe } from '../database/database.probe.js';

/** Told when this instance becomes the leader (with its epoch) or stops being it (`undefined`). */
export type LeadershipListener = (epoch: string | undefined) => void;

/**
 * A simple leader lease in the database (leader_lease, ARCHITECTURE.md §4): renewed every third
 * of its length; a new holder bumps the epoch, the fencing token every agent command carries.
 * Only the leader applies, resyncs and fails over. This instance counts itself leader until its
 * own clock says the lease it last renewed ran out (measured from before the renewal was sent),
 * so it stops before any other instance can take over: a timer fires at that moment and tells
 * the listeners even when the renewal itself hangs (a silent database). The lease row carries
 * this instance's API endpoint (VSNET_CONTROL_ADVERTISE), where the others pass MoveVsvr on.
 */
@Injectable()
export class LeaderLease implements OnApplicationBootstrap, BeforeApplicationShutdown {
  /** This instance's name in leader_lease.holder. */
  readonly holder = `${hostname().slice(0, 64)}/${process.pid}/${randomBytes(4).toString('hex')}`;
  private readonly logger = new Logger('LeaderLease');
  private held: { epoch: string; validUntil: number } | undefined;
  private announced: string | undefined;
  private readonly listeners = new Set<LeadershipListener>();
  private readonly renewals = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  /** Fires when the lease held runs out by this instance's clock. */
  private expiry: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastError = '';

  constructor(
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
    private readonly store: PipelineStore,
    private readonly database: DatabaseProbe,
  ) {}

  /** The epoch while this instance holds the lease; `undefined` otherwise. */
  epoch(): string | undefined {
    const held = this.held;
    return held !== undefined && performance.now() < held.validUntil ? held.epoch : undefined;
  }

  /**
   * Until when (wall clock, ms) the lease held now is valid, by this instance's own reckoning
   * (from before its last renewal was sent); `undefined` when it holds none.
   */
  validUntilUnixMs(): number | undefined {
    const held = this.held;
    const left = held === undefined ? 0 : held.validUntil - performance.now();
    return left > 0 ? Date.now() + left : undefined;
  }

  /** Calls `listener` after every renewal of a held lease; returns the remover. */
  onRenewed(listener: () => void): () => void {
    this.renewals.add(listener);
    return () => this.renewals.delete(listener);
  }

  /** Calls `listener` now with the current state and at every change; returns the remover. */
  onChange(listener: LeadershipListener): () => void {
    this.listeners.add(listener);
    listener(this.epoch());
    return () => this.listeners.delete(listener);
  }

  onApplicationBootstrap(): void {
    void this.tick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.expiry);
    const held = this.held;
    this.held = undefined;
    this.announce();
    if (held !== undefined) {
      // The next instance takes over at once instead of waiting for the lease to run out.
      await this.store.releaseLease(this.holder).catch(() => undefined);
    }
  }

  private async tick(): Promise<void> {
    const ttl = this.config.pipeline.leaderLeaseMs;
    const sent = performance.now();
    try {
      await this.database.connected();
      const lease = await this.store.acquireLease(
        this.holder,
        ttl,
        advertisedEndpoint(this.config),
      );
      if (this.stopped) {
        return;
      }
      this.held = lease === undefined ? undefined : { epoch: lease.epoch, validUntil: sent + ttl };
      this.watchExpiry();
      this.lastError = '';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message !== this.lastError && !isDuplicateKey(err)) {
        this.logger.warn(`cannot renew the leader lease: ${message}`);
      }
      this.lastError = message;
    }
    try {
      this.announce();
      if (this.held !== undefined) {
        for (const renewed of this.renewals) {
          renewed();
        }
      }
    } finally {
      this.scheduleTick(ttl);
    }
  }

  /** The next renewal; always set, whatever the last one or a listener did. */
  private scheduleTick(ttl: number): void {
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), Math.max(50, Math.floor(ttl / 3)));
      // A check between renewals notices a lease that ran out while the database was silent.
      this.timer.unref();
    }
  }

  /**
   * Announces the end of the lease at its validUntil, whatever the renewals do then. A timer
   * never fires early by Node's clock; should it fire before `epoch()` agrees, it waits again.
   */
  private watchExpiry(): void {
    clearTimeout(this.expiry);
    const held = this.held;
    if (held === undefined || this.stopped) {
      return;
    }
    const wait = held.validUntil - performance.now();
    this.expiry = setTimeout(
      () => {
        if (this.held === held && this.epoch() !== undefined) {
          this.watchExpiry();
        } else {
          this.announce();
        }
      },
      Math.max(0, Math.ceil(wait)),
    );
    this.expiry.unref();
  }

  private announce(): void {
    const epoch = this.epoch();
    if (epoch === this.announced) {
      return;
    }
    this.announced = epoch;
    this.logger.log(
      epoch === undefined
        ? 'not the leader: applies and resync stopped here'
        : `leader with epoch ${epoch}`,
    );
    for (const listener of this.listeners) {
      // A listener that throws must not stop the others, nor the lease's renewal.
      try {
        listener(epoch);
      } catch (err) {
        this.logger.error(
          `a leadership listener failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }
}

function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  return (e?.driverError?.code ?? e?.code) === 'ER_DUP_ENTRY';
}
