import { Injectable, Logger } from '@nestjs/common';
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { AuditedCaller, PlacementMove, PlacementReason, PlacementView } from '@vsnet/store';
import { ClusterStateStore } from '@vsnet/store';
import { TakeoverGate } from '../pipeline/takeover-gate.js';

/** Who commits a placement, and why. */
export type PlacementCaller = AuditedCaller & {
  readonly reason: PlacementReason;
  readonly epoch: string;
};

/** Where vsvrs run, as the failover orchestrator reads and changes it. */
export interface PlacementSource {
  /** Every vsvr's placement as last known, without a database read. */
  current(): readonly PlacementView[];
  /** The generation {@link current} belongs to. */
  generation(): string;
  /** Reads the placements from the database now. */
  load(): Promise<void>;
  /** Commits `moves` (ClusterStateStore.place) and updates {@link current} at once. */
  place(moves: readonly PlacementMove[], caller: PlacementCaller): Promise<{ generation: string }>;
  /** A move of these vsvrs was given up before its commit: the committed placement stands. */
  abandon?(vsvrs: readonly string[]): void;
}

/**
 * The placements in memory, for the leader's failover path: a filer's loss must not wait for a
 * database read to know which vsvrs ran there. Read when a leadership starts and again after
 * every commit of this instance (the commit listener) and every {@link REFRESH_MS} (commits of
 * the other replicas); a read older than what is held is dropped.
 */
@Injectable()
export class PlacementBook implements PlacementSource, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Placements');
  private view: { generation: string; vsvrs: PlacementView[] } = { generation: '0', vsvrs: [] };
  private active = false;
  private loading: Promise<void> | undefined;
  private again = false;
  private unlisten: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastError = '';

  constructor(
    private readonly store: ClusterStateStore,
    private readonly gate: TakeoverGate,
  ) {}

  onModuleInit(): void {
    this.unlisten = this.store.onCommitted(() => {
      if (this.active) {
        void this.load();
      }
    });
  }

  onModuleDestroy(): void {
    this.unlisten?.();
    this.stop();
  }

  /** Keeps the placements fresh from now on (a leadership started); resolves once read. */
  async start(): Promise<void> {
    this.active = true;
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.load(), REFRESH_MS);
    this.timer.unref();
    await this.load();
  }

  stop(): void {
    this.active = false;
    clearInterval(this.timer);
  }

  current(): readonly PlacementView[] {
    return this.view.vsvrs;
  }

  generation(): string {
    return this.view.generation;
  }

  /** Reads the placements; a read asked for while one runs runs once more after it. */
  load(): Promise<void> {
    if (this.loading !== undefined) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.again = false;
        await this.readOnce();
      } while (this.again);
    })().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  abandon(vsvrs: readonly string[]): void {
    this.gate.settled(vsvrs);
  }

  async place(
    moves: readonly PlacementMove[],
    caller: PlacementCaller,
  ): Promise<{ generation: string }> {
    const done = await this.store.place(moves, caller);
    // Committed: the specs of this generation agree with the takeovers; let them through.
    this.gate.settled(moves.map((m) => m.vsvr));
    const now = Date.now();
    const by = new Map(moves.map((m) => [m.vsvr.toLowerCase(), m.filer]));
    this.accept({
      generation: done.generation,
      vsvrs: this.view.vsvrs.map((v) => {
        const filer = by.get(v.vsvr.toLowerCase());
        if (filer === undefined) {
          return v;
        }
        return filer === null || filer.toLowerCase() === v.home.toLowerCase()
          ? { ...v, filer: v.home, reason: 'home', sinceUnixMs: 0 }
          : { ...v, filer, reason: caller.reason, sinceUnixMs: now };
      }),
    });
    return { generation: done.generation };
  }

  private async readOnce(): Promise<void> {
    try {
      const read = await this.store.placements();
      this.accept({ generation: read.generation, vsvrs: [...read.vsvrs] });
      this.lastError = '';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message !== this.lastError) {
        this.logger.warn(`cannot read the placements: ${message}`);
      }
      this.lastError = message;
    }
  }

  private accept(view: { generation: string; vsvrs: PlacementView[] }): void {
    if (BigInt(view.generation) >= BigInt(this.view.generation)) {
      this.view = view;
    }
  }
}

/** How often the leader reads the placements again (another replica's commits). */
const REFRESH_MS = 2_000;
