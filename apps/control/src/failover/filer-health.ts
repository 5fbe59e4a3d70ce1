import { Injectable, Logger } from '@nestjs/common';
import type { FilerHealthRow } from '@vsnet/store';
import { FailoverStore } from '@vsnet/store';
import type { FilerHealthState } from './filer-detector.js';

/** How soon a failed write of the health rows is tried again. */
const RETRY_MS = 1_000;

/** One filer's health as this leader knows it now. */
export interface FilerHealth {
  readonly filer: string;
  readonly state: FilerHealthState;
  /** Since when it has been in that state, Unix ms. */
  readonly sinceUnixMs: number;
  /** The agent's applied generation in its last pong ('0' before one came). */
  readonly generation: string;
  /** Whether the agent said it has withdrawn its vsvr addresses. */
  readonly fenced: boolean;
}

/** What the failover orchestrator needs to know of the filers' health. */
export interface FilerHealthView {
  state(filer: string): FilerHealthState;
  /** Since when the filer has been `up` (Unix ms), `undefined` when it is not up. */
  upSince(filer: string): number | undefined;
  /** Whether `filer` is a filer of the cluster (with or without an agent). */
  knows(filer: string): boolean;
}

/**
 * The live health of every filer while this instance leads, fed by the heartbeat worker, and
 * written behind to the database (filer_health, for GetFailoverStatus on the other replicas):
 * every change, in order, without holding up the caller. Emptied when the leadership ends.
 */
@Injectable()
export class FilerHealthBook implements FilerHealthView {
  private readonly logger = new Logger('FilerHealth');
  private readonly filers = new Map<string, FilerHealth>();
  private epoch = '0';
  private readonly dirty = new Map<string, FilerHealthRow>();
  private flushing: Promise<void> | undefined;
  private lastError = '';

  constructor(private readonly store: FailoverStore) {}

  /** A new leadership: every filer `unknown` until the heartbeats say otherwise. */
  reset(epoch: string, filers: readonly string[], nowUnixMs: number): void {
    this.epoch = epoch;
    this.filers.clear();
    this.track(filers, nowUnixMs);
  }

  /** The leadership ended: nothing is known any more (nothing more is written either). */
  clear(): void {
    this.filers.clear();
    this.dirty.clear();
    this.epoch = '0';
  }

  /** Makes the book cover exactly `filers`; a new one is `unknown`. */
  track(filers: readonly string[], nowUnixMs: number): void {
    const wanted = new Set(filers.map((f) => f.toLowerCase()));
    for (const key of this.filers.keys()) {
      if (!wanted.has(key)) {
        this.filers.delete(key);
      }
    }
    for (const filer of filers) {
      if (!this.filers.has(filer.toLowerCase())) {
        this.set({
          filer,
          state: 'unknown',
          sinceUnixMs: nowUnixMs,
          generation: '0',
          fenced: false,
        });
      }
    }
  }

  changed(filer: string, state: FilerHealthState, atUnixMs: number): void {
    const before = this.filers.get(filer.toLowerCase());
    if (before !== undefined) {
      this.set({ ...before, state, sinceUnixMs: atUnixMs });
    }
  }

  observed(filer: string, generation: string, fenced: boolean): void {
    const before = this.filers.get(filer.toLowerCase());
    if (before !== undefined) {
      this.set({ ...before, generation, fenced });
    }
  }

  state(filer: string): FilerHealthState {
    return this.filers.get(filer.toLowerCase())?.state ?? 'unknown';
  }

  upSince(filer: string): number | undefined {
    const health = this.filers.get(filer.toLowerCase());
    return health?.state === 'up' ? health.sinceUnixMs : undefined;
  }

  knows(filer: string): boolean {
    return this.filers.has(filer.toLowerCase());
  }

  get(filer: string): FilerHealth | undefined {
    return this.filers.get(filer.toLowerCase());
  }

  /** Every filer, by name. */
  all(): FilerHealth[] {
    return [...this.filers.values()].sort((a, b) => a.filer.localeCompare(b.filer));
  }

  /** Resolves once everything changed so far is written (tests, shutdown). */
  async flushed(): Promise<void> {
    while (this.flushing !== undefined) {
      await this.flushing;
    }
  }

  private set(health: FilerHealth): void {
    this.filers.set(health.filer.toLowerCase(), health);
    this.dirty.set(health.filer.toLowerCase(), {
      filer: health.filer,
      state: health.state,
      sinceUnixMs: Math.round(health.sinceUnixMs),
      generation: health.generation,
      fenced: health.fenced,
      epoch: this.epoch,
    });
    this.kick();
  }

  private kick(): void {
    if (this.dirty.size > 0) {
      // From the next turn of the event loop: a failover started with this change goes first.
      this.flushing ??= new Promise((resolve) => setImmediate(resolve))
        .then(() => this.flush())
        .finally(() => {
          this.flushing = undefined;
        });
    }
  }

  private async flush(): Promise<void> {
    while (this.dirty.size > 0) {
      const rows = [...this.dirty.values()];
      this.dirty.clear();
      try {
        await this.store.setFilerHealth(rows);
        this.lastError = '';
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (message !== this.lastError) {
          this.logger.warn(`cannot record the filers' health: ${message}`);
        }
        this.lastError = message;
        // Kept for the next try (a second from now, or the next change), unless newer.
        for (const row of rows) {
          if (!this.dirty.has(row.filer.toLowerCase())) {
            this.dirty.set(row.filer.toLowerCase(), row);
          }
        }
        setTimeout(() => this.kick(), RETRY_MS).unref();
        return;
      }
    }
  }
}
