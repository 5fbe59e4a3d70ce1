import { describe, expect, it } from '@jest/globals';
import type { FilerHealthState, KernelVerdict, Transition } from './filer-detector.js';
import { FilerDetector } from './filer-detector.js';

// The detector driven the way the heartbeat worker drives it, on a fake clock: a tick every
// `interval` ms, pongs when the agent answers, and probe verdicts `probeMs` after the probe
// started (a RST comes back at once; a silent kernel only times out).

const DEFAULT = { interval: 20, misses: 4, probeTimeout: 50, upHoldMs: 2_000 };

/** What the filer does in one interval. */
interface Filer {
  /** The agent answers pings. */
  agent: boolean;
  /** The kernel answers a TCP connect (RST or handshake); otherwise it stays silent. */
  kernel: boolean;
  /** The agent answers without a key (it restarted and has not heard Lead yet). */
  noKey?: boolean;
}

class Harness {
  now = 0;
  readonly transitions: Transition[] = [];
  /** When a NO_KEY pong asked for Agent.Lead. */
  readonly leadAsks: number[] = [];
  readonly detector: FilerDetector;
  /** Probes in flight: start time, and when their verdict arrives. */
  private probes: { startedAt: number; at: number; verdict: KernelVerdict }[] = [];

  constructor(
    readonly filer: Filer,
    private readonly timing = DEFAULT,
  ) {
    this.detector = new FilerDetector(
      { misses: timing.misses, upHoldMs: timing.upHoldMs },
      this.now,
    );
  }

  get state(): FilerHealthState {
    return this.detector.state;
  }

  /** Runs `ms` of time: a pong one millisecond after each ping when the agent answers. */
  run(ms: number): this {
    const end = this.now + ms;
    while (this.now + this.timing.interval <= end) {
      const pingAt = this.now;
      this.deliverProbes(pingAt + 1);
      if (this.filer.agent) {
        this.now = pingAt + 1;
        const { transition, askLead } = this.detector.pong(this.now, this.filer.noKey === true);
        this.record(transition);
        if (askLead) {
          this.leadAsks.push(this.now);
        }
      }
      this.deliverProbes(pingAt + this.timing.interval);
      this.now = pingAt + this.timing.interval;
      const { transition, probe } = this.detector.tick(this.now);
      this.record(transition);
      if (probe) {
        const answers = this.filer.kernel;
        this.probes.push({
          startedAt: this.now,
          at: this.now + (answers ? 0.2 : this.timing.probeTimeout),
          verdict: answers ? 'answers' : 'silent',
        });
      }
    }
    return this;
  }

  states(): FilerHealthState[] {
    return this.transitions.map((t) => t.to);
  }

  private deliverProbes(until: number): void {
    const due = this.probes.filter((p) => p.at <= until).sort((a, b) => a.at - b.at);
    this.probes = this.probes.filter((p) => p.at > until);
    for (const p of due) {
      this.now = Math.max(this.now, p.at);
      this.record(this.detector.probed(p.startedAt, p.verdict, p.at));
    }
  }

  private record(t: Transition | undefined): void {
    if (t !== undefined) {
      this.transitions.push(t);
    }
  }
}

describe('FilerDetector', () => {
  it('is up while pongs come, and stays up', () => {
    const h = new Harness({ agent: true, kernel: true }).run(10_000);
    expect(h.states()).toEqual(['up']);
    expect(h.detector.misses).toBe(0);
  });

  it('agent SIGKILLed, kernel answering: agent-down after the misses, never down', () => {
    const h = new Harness({ agent: true, kernel: true }).run(1_000);
    h.filer.agent = false;
    h.run(60_000);
    expect(h.states()).toEqual(['up', 'agent-down']);
    const t = h.transitions[1]!;
    // Declared at the fifth miss, not before.
    expect(t.at - t.lastPong!).toBeGreaterThanOrEqual(5 * 20 - 1);
    expect(t.at - t.lastPong!).toBeLessThan(5 * 20 + 1);
  });

  it('an agent that comes back after agent-down is up at once (its filer never went)', () => {
    const h = new Harness({ agent: true, kernel: true }).run(1_000);
    h.filer.agent = false;
    h.run(500);
    h.filer.agent = true;
    h.run(100);
    expect(h.states()).toEqual(['up', 'agent-down', 'up']);
  });

  it('filer lost: down at the misses, with the probe started early enough to cost nothing', () => {
    const h = new Harness({ agent: true, kernel: true }).run(1_000);
    Object.assign(h.filer, { agent: false, kernel: false });
    h.run(1_000);
    expect(h.states()).toEqual(['up', 'down']);
    const t = h.transitions[1]!;
    expect(t.from).toBe('up');
    // The ping after the last pong is answered by nobody; four intervals later it is down: the
    // 50 ms probe started at the first miss had its verdict by then.
    expect(t.at - t.lastPong!).toBeGreaterThanOrEqual(4 * 20);
    expect(t.at - t.lastPong!).toBeLessThan(5 * 20 + 1);
  });

  it('the aggressive profile waits for the probe when the misses come first', () => {
    const timing = { interval: 5, misses: 4, probeTimeout: 15, upHoldMs: 1_000 };
    const h = new Harness({ agent: true, kernel: true }, timing).run(100);
    Object.assign(h.filer, { agent: false, kernel: false });
    h.run(200);
    expect(h.states()).toEqual(['up', 'down']);
    const t = h.transitions[1]!;
    // Last pong at 1; the unanswered ping of 5 is the first miss (tick of 10), which starts the
    // probe; it times out 15 ms later, at the fourth miss (tick of 25).
    expect(t.at - t.lastPong!).toBe(10 + 15 - 1);
  });

  it('an agent killed first and its filer lost later: agent-down, then down', () => {
    const h = new Harness({ agent: true, kernel: true }).run(1_000);
    h.filer.agent = false;
    h.run(2_000);
    h.filer.kernel = false;
    h.run(200);
    expect(h.states()).toEqual(['up', 'agent-down', 'down']);
  });

  it('a verdict about a time before the last pong decides nothing', () => {
    const d = new FilerDetector({ misses: 3, upHoldMs: 0 }, 0);
    d.pong(1);
    d.tick(10);
    expect(d.tick(20)).toMatchObject({ probe: true }); // first miss
    expect(d.tick(30)).toMatchObject({ probe: false }); // the probe of 20 is in flight
    d.pong(31); // the agent answered after the probe started
    d.tick(40);
    d.tick(50);
    d.tick(60);
    expect(d.probed(20, 'silent', 61)).toBeUndefined();
    expect(d.state).toBe('up');
  });

  it('an inconclusive probe (a local error) is probed again at the next tick', () => {
    const d = new FilerDetector({ misses: 2, upHoldMs: 0 }, 0);
    d.pong(1);
    d.tick(10);
    expect(d.tick(20)).toMatchObject({ probe: true });
    expect(d.probed(20, undefined, 21)).toBeUndefined();
    expect(d.state).toBe('up');
    expect(d.tick(30)).toMatchObject({ probe: true });
    expect(d.probed(30, 'silent', 31)).toMatchObject({ from: 'up', to: 'down' });
  });

  it('a filer never heard from in this leadership is found down or agent-down all the same', () => {
    expect(new Harness({ agent: false, kernel: false }).run(500).states()).toEqual(['down']);
    expect(new Harness({ agent: false, kernel: true }).run(500).states()).toEqual(['agent-down']);
    const lost = new Harness({ agent: false, kernel: false }).run(500).transitions[0]!;
    expect(lost).toMatchObject({ from: 'unknown', lastPong: undefined });
  });

  it('flapping: back from down it is recovering until it answered the whole up-hold', () => {
    const h = new Harness({ agent: true, kernel: true }).run(1_000);
    Object.assign(h.filer, { agent: false, kernel: false });
    h.run(500);
    // Answers for a second, lost again for half a second, answers again for three seconds.
    Object.assign(h.filer, { agent: true, kernel: true });
    h.run(1_000);
    expect(h.state).toBe('recovering');
    Object.assign(h.filer, { agent: false, kernel: false });
    h.run(500);
    expect(h.state).toBe('down');
    Object.assign(h.filer, { agent: true, kernel: true });
    const back = h.now;
    h.run(1_900);
    expect(h.state).toBe('recovering');
    h.run(1_100);
    expect(h.states()).toEqual(['up', 'down', 'recovering', 'down', 'recovering', 'up']);
    const up = h.transitions.at(-1)!;
    expect(up.at - back).toBeGreaterThanOrEqual(2_000);
  });

  it('one missed interval while recovering starts the up-hold again', () => {
    const d = new FilerDetector({ misses: 3, upHoldMs: 100 }, 0);
    // Never answers, kernel silent: down.
    for (let t = 10; d.state !== 'down'; t += 10) {
      if (d.tick(t).probe) {
        d.probed(t, 'silent', t + 1);
      }
    }
    d.pong(1_000);
    expect(d.state).toBe('recovering');
    d.tick(1_010); // answered in this interval
    d.pong(1_011);
    d.tick(1_020);
    d.tick(1_030); // a miss: the hold starts again at the next pong
    for (let at = 1_031; at < 1_131; at += 10) {
      d.pong(at);
      d.tick(at + 9);
    }
    expect(d.state).toBe('recovering');
    d.pong(1_131);
    expect(d.state).toBe('up');
    expect(d.since).toBe(1_131);
  });

  it('a filer that stays down with a live kernel (rebooted, no agent) stays down', () => {
    const h = new Harness({ agent: true, kernel: true }).run(1_000);
    Object.assign(h.filer, { agent: false, kernel: false });
    h.run(500);
    h.filer.kernel = true;
    h.run(5_000);
    expect(h.states()).toEqual(['up', 'down']);
  });

  it('NO_KEY pongs (a restarted agent) keep the filer up and ask for Lead, not at every pong', () => {
    const h = new Harness({ agent: true, kernel: true }).run(1_000);
    expect(h.leadAsks).toEqual([]);
    h.filer.noKey = true;
    const from = h.now;
    h.run(2_000);
    expect(h.states()).toEqual(['up']);
    expect(h.leadAsks.length).toBe(4); // every 500 ms while they last
    expect(h.leadAsks[0]).toBe(from + 1);
    h.filer.noKey = false;
    h.run(2_000);
    expect(h.leadAsks.length).toBe(4);
  });

  it('a NO_KEY agent after agent-down is up again', () => {
    const h = new Harness({ agent: true, kernel: true }).run(1_000);
    h.filer.agent = false;
    h.run(500);
    Object.assign(h.filer, { agent: true, noKey: true });
    h.run(100);
    expect(h.states()).toEqual(['up', 'agent-down', 'up']);
    expect(h.leadAsks.length).toBe(1);
  });
});
