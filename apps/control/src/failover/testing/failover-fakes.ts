import type { TakeoverResponse__Output } from '@vsnet/contracts';
import type { FailoverEventInput, PlacementMove, PlacementView } from '@vsnet/store';
import type { FilerHealthState } from '../filer-detector.js';
import type { FilerHealthView } from '../filer-health.js';
import type { FailoverJournal, Leadership, TakeoverPort } from '../failover-ports.js';
import type { PlacementCaller, PlacementSource } from '../placement-book.js';

// Fakes of the failover orchestrator's ports, for its unit tests: a cluster's placements that
// place() changes the way the store does, the filers' health, agents that record their
// Takeovers (and can be made to fail or to wait), a journal and a leadership.

/** A vsvr's placement, with overridable defaults (`home` is the first candidate). */
export function placement(
  vsvr: string,
  candidates: readonly string[],
  more: Partial<PlacementView> = {},
): PlacementView {
  const home = candidates[0] ?? '';
  return {
    vsvr,
    filer: home,
    home,
    reason: 'home',
    sinceUnixMs: 0,
    failback: 'manual',
    failbackHoldDownSeconds: 60,
    candidates,
    ...more,
  };
}

export class FakePlacements implements PlacementSource {
  readonly placed: { moves: readonly PlacementMove[]; caller: PlacementCaller }[] = [];
  private gen = 10n;
  failPlace: Error | undefined;

  constructor(public vsvrs: PlacementView[]) {}

  current(): readonly PlacementView[] {
    return this.vsvrs;
  }

  generation(): string {
    return String(this.gen);
  }

  load(): Promise<void> {
    return Promise.resolve();
  }

  place(moves: readonly PlacementMove[], caller: PlacementCaller): Promise<{ generation: string }> {
    if (this.failPlace !== undefined) {
      return Promise.reject(this.failPlace);
    }
    this.placed.push({ moves, caller });
    this.gen++;
    this.vsvrs = this.vsvrs.map((v) => {
      const m = moves.find((x) => x.vsvr.toLowerCase() === v.vsvr.toLowerCase());
      if (m === undefined) {
        return v;
      }
      return m.filer === null
        ? { ...v, filer: v.home, reason: 'home' }
        : { ...v, filer: m.filer, reason: caller.reason };
    });
    return Promise.resolve({ generation: String(this.gen) });
  }

  where(vsvr: string): string {
    return this.vsvrs.find((v) => v.vsvr === vsvr)?.filer ?? '';
  }
}

export class FakeHealth implements FilerHealthView {
  readonly states = new Map<string, FilerHealthState>();
  readonly upFrom = new Map<string, number>();

  constructor(states: Record<string, FilerHealthState>) {
    for (const [f, s] of Object.entries(states)) {
      this.states.set(f, s);
    }
  }

  state(filer: string): FilerHealthState {
    return this.states.get(filer) ?? 'unknown';
  }

  upSince(filer: string): number | undefined {
    return this.state(filer) === 'up' ? (this.upFrom.get(filer) ?? 0) : undefined;
  }

  knows(filer: string): boolean {
    return this.states.has(filer);
  }
}

export interface TakeoverCall {
  readonly filer: string;
  readonly activate: readonly string[];
  readonly deactivate: readonly string[];
  readonly epoch: string;
}

export class FakeAgents implements TakeoverPort {
  readonly calls: TakeoverCall[] = [];
  /** Filers whose agent refuses every Takeover. */
  readonly failing = new Set<string>();
  /** Calls wait for this before answering (set by a test that checks the order). */
  gate: Promise<void> | undefined;
  /** Run while a call waits (a test's way to act in the middle of a failover). */
  onCall: ((call: TakeoverCall) => void) | undefined;

  async takeover(
    filer: string,
    change: { readonly activate?: readonly string[]; readonly deactivate?: readonly string[] },
    epoch: string,
  ): Promise<TakeoverResponse__Output> {
    const call = {
      filer,
      activate: change.activate ?? [],
      deactivate: change.deactivate ?? [],
      epoch,
    };
    this.calls.push(call);
    this.onCall?.(call);
    await this.gate;
    if (this.failing.has(filer)) {
      throw new Error(`the agent at ${filer}:7401 did not answer (UNAVAILABLE)`);
    }
    return { plumbedMs: 4, announcedMs: 5, items: [], activeVsvrs: [...call.activate] };
  }
}

export class FakeJournal implements FailoverJournal {
  readonly events: FailoverEventInput[] = [];

  record(input: FailoverEventInput): Promise<string> {
    this.events.push(input);
    return Promise.resolve(String(this.events.length));
  }
}

export class FakeLeadership implements Leadership {
  constructor(public current: string | undefined) {}

  epoch(): string | undefined {
    return this.current;
  }
}

/** A clock that moves only when told: `tick(ms)`. */
export class FakeClock {
  constructor(public now = 1_700_000_000_000) {}

  readonly read = (): number => this.now;

  tick(ms: number): void {
    this.now += ms;
  }
}
