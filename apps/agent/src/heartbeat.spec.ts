import { describe, expect, it } from '@jest/globals';
import { AgentEvents } from './agent-events.js';
import type { AgentEvent } from './agent-events.js';
import type { HeartbeatClock, WatchMessage } from './heartbeat.js';
import { WatchSession } from './heartbeat.js';

/** A clock whose time moves only when the test says, firing due timers in order. */
class ManualClock implements HeartbeatClock {
  private time = 1000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Moves time forward by `ms`; `stall` runs no timer (a blocked event loop). */
  advance(ms: number, stall = false): void {
    const end = this.time + ms;
    if (stall) {
      this.time = end;
      return;
    }
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) {
        break;
      }
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = end;
  }
}

function session(intervalMs: number, writable: () => boolean = () => true) {
  const clock = new ManualClock();
  const events = new AgentEvents();
  const sent: WatchMessage[] = [];
  let drain: (() => void) | undefined;
  const watch = new WatchSession(
    intervalMs,
    () => ({ filer: 'filer1', generation: 4n, epoch: 2n }),
    events,
    {
      write: (m) => {
        sent.push(m);
        return writable();
      },
      onDrain: (resume) => {
        drain = resume;
      },
    },
    clock,
  );
  const beats = () => sent.flatMap((m) => (m.kind === 'heartbeat' ? [m.heartbeat] : []));
  return { clock, events, sent, watch, beats, drain: () => drain?.() };
}

const EVENT: AgentEvent = {
  kind: 'applied',
  generation: 5n,
  specHash: 'f'.repeat(64),
  message: 'applied generation 5',
  at: new Date(0),
};

describe('WatchSession', () => {
  it('beats at once, then every interval on a fixed grid, with the node status', () => {
    const s = session(100);
    s.watch.start();
    s.clock.advance(1000);
    const beats = s.beats();
    expect(beats.map((b) => b.seq)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n]);
    expect(beats.map((b) => b.monotonicMs - 1000)).toEqual([
      0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000,
    ]);
    expect(beats[0]).toMatchObject({ filer: 'filer1', generation: 4n, epoch: 2n });
    s.watch.stop();
  });

  it('after a stalled event loop beats once, then keeps the interval from there', () => {
    const s = session(100);
    s.watch.start();
    s.clock.advance(350, true);
    s.clock.advance(200);
    expect(s.beats().map((b) => b.monotonicMs - 1000)).toEqual([0, 350, 450, 550]);
    s.watch.stop();
  });

  it('sends standing events first, then events as they happen', () => {
    const s = session(100);
    s.watch.start([{ ...EVENT, kind: 'cache-restored' }]);
    s.events.emit(EVENT);
    expect(s.sent.map((m) => (m.kind === 'event' ? m.event.kind : 'heartbeat'))).toEqual([
      'cache-restored',
      'heartbeat',
      'applied',
    ]);
    s.watch.stop();
  });

  it('skips heartbeats while the client does not read, and numbers show the gap', () => {
    let room = false;
    const s = session(100, () => room);
    s.watch.start();
    s.clock.advance(300);
    expect(s.beats().map((b) => b.seq)).toEqual([1n]);
    room = true;
    s.drain();
    s.clock.advance(100);
    expect(s.beats().map((b) => b.seq)).toEqual([1n, 5n]);
    s.watch.stop();
  });

  it('sends nothing after stop and unsubscribes from events', () => {
    const s = session(100);
    s.watch.start();
    s.watch.stop();
    s.clock.advance(500);
    s.events.emit(EVENT);
    expect(s.sent).toHaveLength(1);
    expect(s.events.subscriberCount).toBe(0);
  });
});
