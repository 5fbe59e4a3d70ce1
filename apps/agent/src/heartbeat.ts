import type { AgentEvent, AgentEvents } from './agent-events.js';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 100;
export const MIN_HEARTBEAT_INTERVAL_MS = 10;
export const MAX_HEARTBEAT_INTERVAL_MS = 60_000;

/** What each heartbeat reports about the node, read fresh for every beat. */
export interface HeartbeatStatus {
  readonly filer: string;
  readonly generation: bigint;
  readonly epoch: bigint;
}

export interface Heartbeat extends HeartbeatStatus {
  /** The agent's monotonic clock: only differences between heartbeats mean anything. */
  readonly monotonicMs: number;
  /** 1 for a stream's first heartbeat; a gap means beats were skipped. */
  readonly seq: bigint;
}

export type WatchMessage =
  | { readonly kind: 'heartbeat'; readonly heartbeat: Heartbeat }
  | { readonly kind: 'event'; readonly event: AgentEvent };

/** One Watch stream's outgoing side. `write` returns false when the stream's buffer is full. */
export interface WatchSink {
  write(message: WatchMessage): boolean;
  /** Calls `resume` once when the buffer has room again. */
  onDrain(resume: () => void): void;
}

/** Clock and timers, so a test can drive a session without waiting. */
export interface HeartbeatClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const SYSTEM_CLOCK: HeartbeatClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * One Watch stream: a heartbeat every `intervalMs` on a fixed grid (a slow beat does not push
 * the next ones late), and every agent event as it happens. A heartbeat is worth something
 * only while fresh, so while the client is not reading, beats are skipped (their `seq` numbers
 * too, which shows the gap) instead of piling up; events are always queued.
 */
export class WatchSession {
  private seq = 0n;
  private timer: unknown;
  private congested = false;
  private stopped = false;
  private origin = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly status: () => HeartbeatStatus,
    private readonly events: AgentEvents,
    private readonly sink: WatchSink,
    private readonly clock: HeartbeatClock = SYSTEM_CLOCK,
  ) {}

  /** Sends `initial` events, the first heartbeat at once, then one every interval. */
  start(initial: readonly AgentEvent[] = []): void {
    for (const event of initial) {
      this.sendEvent(event);
    }
    this.unsubscribe = this.events.subscribe((event) => this.sendEvent(event));
    this.origin = this.clock.now();
    this.beat();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private sendEvent(event: AgentEvent): void {
    if (!this.stopped && !this.sink.write({ kind: 'event', event })) {
      this.waitForDrain();
    }
  }

  private beat(): void {
    if (this.stopped) {
      return;
    }
    this.seq++;
    const now = this.clock.now();
    if (!this.congested) {
      const heartbeat: Heartbeat = { ...this.status(), monotonicMs: now, seq: this.seq };
      if (!this.sink.write({ kind: 'heartbeat', heartbeat })) {
        this.waitForDrain();
      }
    }
    // Next beat on the grid; after a stall past it, a new grid starts from this beat.
    let next = this.origin + Number(this.seq) * this.intervalMs;
    if (next <= now) {
      this.origin = now - (Number(this.seq) - 1) * this.intervalMs;
      next = now + this.intervalMs;
    }
    this.timer = this.clock.setTimeout(() => this.beat(), Math.max(0, next - now));
  }

  private waitForDrain(): void {
    if (this.congested) {
      return;
    }
    this.congested = true;
    this.sink.onDrain(() => {
      this.congested = false;
    });
  }
}
