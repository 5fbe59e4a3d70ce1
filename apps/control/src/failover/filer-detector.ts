// Filer-loss detection for one filer (docs/decisions/0006-failover.md): a pure state machine,
// fed by the heartbeat worker with pongs, interval ticks and kernel probe verdicts, each with the
// time it happened. It does no I/O and reads no clock, so a test drives it with a fake one.

/** A filer's health as the leader sees it (FilerHealthState in proto/vsnet/v1/failover.proto). */
export type FilerHealthState = 'unknown' | 'up' | 'agent-down' | 'down' | 'recovering';

/**
 * What the TCP probe of the filer's kernel found: `answers` (a RST or a completed handshake:
 * the filer is alive, whatever its agent does) or `silent` (nothing answered in time).
 */
export type KernelVerdict = 'answers' | 'silent';

export interface DetectorSettings {
  /** Consecutive intervals without a pong that make a filer suspect. */
  readonly misses: number;
  /** How long a filer back from `down` must answer without a miss before it is `up`. */
  readonly upHoldMs: number;
}

/** A change of state, with what detection time is measured from. */
export interface Transition {
  readonly from: FilerHealthState;
  readonly to: FilerHealthState;
  /** When the detector decided (the caller's clock). */
  readonly at: number;
  /** The last pong before the change; `undefined` when none came in this leadership. */
  readonly lastPong: number | undefined;
}

/**
 * A probe is started at the first miss: its timeout then runs beside the remaining misses and
 * adds no time to a detection (a probe of a live kernel costs one TCP handshake).
 */
export const PROBE_AFTER_MISSES = 1;

/** How often a filer that answers NO_KEY asks for another Agent.Lead. */
export const LEAD_AGAIN_MS = 500;

/** What a pong did: the state change, and whether the agent needs Agent.Lead (NO_KEY). */
export interface PongResult {
  readonly transition?: Transition;
  readonly askLead: boolean;
}

/** What a tick asks of the caller: the state change it made, and whether to probe the kernel. */
export interface TickResult {
  readonly transition?: Transition;
  readonly probe: boolean;
}

/**
 * One filer's detector. `tick` is called once per interval, after the previous interval's
 * pongs (a miss is an interval in which no pong came, so a late timer in a busy thread counts
 * one miss at most, never the time it slept). Rules:
 * - a pong makes `unknown` and `agent-down` `up`, and `down` `recovering`;
 * - after {@link PROBE_AFTER_MISSES} misses a kernel probe starts (and again every tick while
 *   the misses last and none is in flight, except once `down`: nothing more to learn);
 * - at `misses` misses, the latest probe started after the last pong decides: `silent` makes
 *   the filer `down`, `answers` makes it `agent-down` (and `down` later if the kernel falls
 *   silent); with no such verdict yet, the detector waits for one;
 * - `recovering` becomes `up` once it has answered for `upHoldMs` without a miss; a miss
 *   starts the hold again, and a silent kernel makes it `down` again. It does not become
 *   `agent-down`: a filer that was lost is no failover target until it has held.
 */
export class FilerDetector {
  private current: FilerHealthState = 'unknown';
  private stateSince: number;
  private last: number | undefined;
  private pongThisInterval = false;
  private missed = 0;
  /** When the probe in flight started; `undefined` when none is. */
  private probing: number | undefined;
  private verdict: { readonly startedAt: number; readonly kernel: KernelVerdict } | undefined;
  /** Recovering: since when it has answered without a miss. */
  private holdFrom: number | undefined;
  private leadAsked: number | undefined;

  constructor(
    private readonly settings: DetectorSettings,
    now: number,
  ) {
    this.stateSince = now;
  }

  get state(): FilerHealthState {
    return this.current;
  }

  /** Since when the filer has been in its state. */
  get since(): number {
    return this.stateSince;
  }

  get lastPong(): number | undefined {
    return this.last;
  }

  /** Consecutive intervals without a pong so far. */
  get misses(): number {
    return this.missed;
  }

  /**
   * A pong came: signed, or an unsigned NO_KEY one (the agent restarted and has no key). Both
   * show the agent is alive; a NO_KEY one also asks for Agent.Lead, at most every
   * {@link LEAD_AGAIN_MS}.
   */
  pong(now: number, noKey = false): PongResult {
    const askLead =
      noKey && (this.leadAsked === undefined || now - this.leadAsked >= LEAD_AGAIN_MS);
    if (askLead) {
      this.leadAsked = now;
    }
    const transition = this.alive(now);
    return transition === undefined ? { askLead } : { transition, askLead };
  }

  private alive(now: number): Transition | undefined {
    this.last = now;
    this.pongThisInterval = true;
    this.missed = 0;
    switch (this.current) {
      case 'unknown':
      case 'agent-down':
        return this.become('up', now);
      case 'down':
        this.holdFrom = now;
        return this.become('recovering', now);
      case 'recovering':
        this.holdFrom ??= now;
        return this.held(now);
      case 'up':
        return undefined;
    }
  }

  /** An interval ended. */
  tick(now: number): TickResult {
    if (this.pongThisInterval) {
      this.pongThisInterval = false;
    } else {
      this.missed++;
      this.holdFrom = undefined;
    }
    const probe =
      this.missed >= PROBE_AFTER_MISSES && this.probing === undefined && this.current !== 'down';
    if (probe) {
      this.probing = now;
    }
    const transition =
      (this.current === 'recovering' ? this.held(now) : undefined) ?? this.judge(now);
    return transition === undefined ? { probe } : { probe, transition };
  }

  /** The probe started at `startedAt` ended with `kernel`. */
  probed(
    startedAt: number,
    kernel: KernelVerdict | undefined,
    now: number,
  ): Transition | undefined {
    if (this.probing === startedAt) {
      this.probing = undefined;
    }
    if (kernel === undefined || (this.last !== undefined && startedAt < this.last)) {
      return undefined; // inconclusive, or about a time the agent has since answered
    }
    if (this.verdict === undefined || startedAt >= this.verdict.startedAt) {
      this.verdict = { startedAt, kernel };
    }
    return this.judge(now);
  }

  /** The decision at `misses` misses, from the latest verdict that is newer than the last pong. */
  private judge(now: number): Transition | undefined {
    const verdict = this.verdict;
    if (
      this.missed < this.settings.misses ||
      verdict === undefined ||
      (this.last !== undefined && verdict.startedAt < this.last)
    ) {
      return undefined;
    }
    if (verdict.kernel === 'silent') {
      return this.current === 'down' ? undefined : this.become('down', now);
    }
    return this.current === 'unknown' || this.current === 'up'
      ? this.become('agent-down', now)
      : undefined;
  }

  private held(now: number): Transition | undefined {
    return this.holdFrom !== undefined && now - this.holdFrom >= this.settings.upHoldMs
      ? this.become('up', now)
      : undefined;
  }

  private become(to: FilerHealthState, now: number): Transition {
    const from = this.current;
    this.current = to;
    this.stateSince = now;
    if (to !== 'recovering') {
      this.holdFrom = undefined;
    }
    return { from, to, at: now, lastPong: this.last };
  }
}
