import { describe, expect, it } from '@jest/globals';
import type { ProbeAttempt } from './outage.js';
import { outageSince, parseProbeLine, quantile } from './outage.js';

const ok = (startMs: number, latencyMs = 1): ProbeAttempt => ({
  startMs,
  ok: true,
  latencyMs,
  code: '-',
});
const failed = (startMs: number, code = 'TIMEOUT'): ProbeAttempt => ({
  startMs,
  ok: false,
  latencyMs: 300,
  code,
});

/** A probe every 10 ms from `from` to `to` (exclusive), each attempt made by `make`. */
const every10 = (from: number, to: number, make: (t: number) => ProbeAttempt): ProbeAttempt[] =>
  Array.from({ length: Math.ceil((to - from) / 10) }, (_, i) => make(from + 10 * i));

describe('outageSince', () => {
  it('is the probe interval when nothing was lost', () => {
    const attempts = every10(0, 1000, (t) => ok(t));
    expect(outageSince(attempts, 500, 1000)).toEqual({
      outageMs: 10,
      failed: 0,
      attempts: 50,
      recovered: true,
      sinceLastSuccessMs: 9,
    });
  });

  it('is the gap from the last success before the fault to the first one after', () => {
    // Up until 500, down from 500 to 730, up again: successes complete at 491 and 731.
    const attempts = every10(0, 1000, (t) => (t >= 500 && t < 730 ? failed(t) : ok(t)));
    const outage = outageSince(attempts, 495, 1000);
    expect(outage.outageMs).toBe(240);
    expect(outage.failed).toBe(23);
    expect(outage.recovered).toBe(true);
  });

  it('measures from the handshake, not from the start of the attempt', () => {
    // The attempt that started at 700 waited for the address to come back: it counts at 725.
    const attempts = [ok(480), ok(490), failed(500), failed(600), ok(700, 25), ok(730)];
    expect(outageSince(attempts, 495, 1000).outageMs).toBe(725 - 491);
  });

  it('takes the largest of several gaps after the mark, and ignores gaps before it', () => {
    const attempts = [
      ok(0),
      ok(400), // a 400 ms gap before the mark
      ok(410),
      ok(500),
      ok(510),
      ok(650),
      ok(660),
    ];
    expect(outageSince(attempts, 405, 1000).outageMs).toBe(140);
  });

  it('counts from the mark when nothing succeeded before it', () => {
    const attempts = [failed(100), failed(110), ok(250)];
    expect(outageSince(attempts, 100, 1000)).toMatchObject({ outageMs: 151, recovered: true });
  });

  it('is an open gap until now when no success came after the mark', () => {
    const attempts = [ok(480), ok(490), failed(500), failed(510)];
    expect(outageSince(attempts, 495, 2000)).toEqual({
      outageMs: 2000 - 491,
      failed: 2,
      attempts: 2,
      recovered: false,
      sinceLastSuccessMs: 2000 - 491,
    });
  });

  it('does not depend on the order the attempts were reported in', () => {
    const attempts = every10(0, 1000, (t) => (t >= 500 && t < 730 ? failed(t) : ok(t)));
    const shuffled = [...attempts].reverse();
    expect(outageSince(shuffled, 495, 1000)).toEqual(outageSince(attempts, 495, 1000));
  });
});

describe('parseProbeLine', () => {
  it('reads attempts and watermarks, and nothing else', () => {
    expect(parseProbeLine('a 1234.500 1 0.250 -')).toEqual({ attempt: ok(1234.5, 0.25) });
    expect(parseProbeLine('a 10.000 0 300.100 ECONNREFUSED')).toEqual({
      attempt: { startMs: 10, ok: false, latencyMs: 300.1, code: 'ECONNREFUSED' },
    });
    expect(parseProbeLine('w 99.125')).toEqual({ watermarkMs: 99.125 });
    expect(parseProbeLine('ready')).toBeUndefined();
    expect(parseProbeLine('a 1 2')).toBeUndefined();
  });
});

describe('quantile', () => {
  it('takes the nearest rank', () => {
    const xs = Array.from({ length: 20 }, (_, i) => 20 - i); // 20 … 1
    expect(quantile(xs, 0.5)).toBe(10);
    expect(quantile(xs, 0.99)).toBe(20);
    expect(quantile(xs, 0)).toBe(1);
    expect(quantile([], 0.5)).toBeNaN();
  });
});
