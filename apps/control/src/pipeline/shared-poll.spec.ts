import { describe, expect, it } from '@jest/globals';
import { PipelineEvents } from './pipeline-events.js';
import { SharedPolls } from './shared-poll.js';

/** A poll whose reads and wake-ups the test drives by hand. */
function driven(values: Record<string, number[]>) {
  const reads: string[] = [];
  let wake: (() => void)[] = [];
  const polls = new SharedPolls<number>(
    (key) => () => {
      reads.push(key);
      const queue = values[key];
      const value = queue?.length === 1 ? queue[0] : queue?.shift();
      return value === undefined ? Promise.reject(new Error(`no ${key}`)) : Promise.resolve(value);
    },
    { mark: () => 0, next: () => new Promise<void>((resolve) => wake.push(resolve)) },
    (value) => value >= 100,
  );
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  /** Lets pending reads finish, then wakes every poll once. */
  const tick = async (): Promise<void> => {
    await settle();
    const waiting = wake;
    wake = [];
    waiting.forEach((resolve) => resolve());
    await settle();
  };
  return { polls, reads, tick };
}

const never = new Promise<void>(() => undefined);

describe('SharedPolls', () => {
  it('reads a key once per wake-up for all its followers and sends each only new values', async () => {
    const { polls, reads, tick } = driven({ g: [1, 1, 2, 100] });
    const a: number[] = [];
    const b: number[] = [];
    const following = [polls.follow('g', (v) => a.push(v), never)];
    following.push(polls.follow('g', (v) => b.push(v), never));
    await tick();
    await tick();
    await tick();
    await Promise.all(following);
    expect(a).toEqual([1, 2, 100]);
    expect(b).toEqual([1, 2, 100]);
    expect(reads).toEqual(['g', 'g', 'g', 'g']);
    expect(polls.size).toBe(0);
  });

  it('stops polling when its last follower stops', async () => {
    const { polls, reads, tick } = driven({ g: [1] });
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const sent: number[] = [];
    const following = polls.follow('g', (v) => sent.push(v), stopped);
    await tick();
    stop();
    await following;
    await tick();
    const count = reads.length;
    await tick();
    expect(sent).toEqual([1]);
    expect(reads).toHaveLength(count);
    expect(polls.size).toBe(0);
  });

  it('hands a failed read to every follower, and a later follower starts afresh', async () => {
    const { polls, tick } = driven({});
    const first = polls.follow('x', () => undefined, never);
    const second = polls.follow('x', () => undefined, never);
    await expect(first).rejects.toThrow('no x');
    await expect(second).rejects.toThrow('no x');
    await tick();
    expect(polls.size).toBe(0);
    await expect(polls.follow('x', () => undefined, never)).rejects.toThrow('no x');
  });

  it('reads again at once when news came while it was reading', async () => {
    // An apply recorded while the watch reads: waiting for the next news (or the poll's
    // timeout, far beyond the test's own) would leave the applied change unsent.
    const events = new PipelineEvents();
    const values = [1, 100];
    const polls = new SharedPolls<number>(
      () => () => {
        const value = values.shift()!;
        events.notify();
        return Promise.resolve(value);
      },
      { mark: () => events.mark(), next: (since) => events.next(3_600_000, since) },
      (value) => value >= 100,
    );
    const sent: number[] = [];
    await polls.follow('g', (v) => sent.push(v), never);
    expect(sent).toEqual([1, 100]);
  });

  it('opens one reader per poll, which its reads share', async () => {
    const opened: string[] = [];
    let reads = 0;
    const polls = new SharedPolls<number>(
      (key) => {
        opened.push(key);
        return () => Promise.resolve(++reads === 3 ? 100 : reads);
      },
      { mark: () => 0, next: () => Promise.resolve() },
      (value) => value >= 100,
    );
    const sent: number[] = [];
    await polls.follow('g', (v) => sent.push(v), never);
    expect(sent).toEqual([1, 2, 100]);
    expect(opened).toEqual(['g']);
  });
});
