/**
 * What a client saw of a failover, from the probe's attempts (pure; probe.ts feeds it). Times
 * are milliseconds on the machine's monotonic clock (`monotonicMs`), shared by every process.
 */

/** One fresh TCP connection the probe opened. */
export interface ProbeAttempt {
  /** When the connect started. */
  readonly startMs: number;
  /** The handshake completed within the probe's timeout. */
  readonly ok: boolean;
  /** Until the handshake completed, or until the attempt was given up. */
  readonly latencyMs: number;
  /** `-` on success; else why it failed (`TIMEOUT`, `ECONNREFUSED`, `EHOSTUNREACH`, …). */
  readonly code: string;
}

export interface Outage {
  /**
   * The largest gap between two consecutive successes (handshake completion times) where the
   * later one completed after the mark; the first gap starts at the last success before the
   * mark (or at the mark, when there was none). With no success after the mark: the time
   * from that start to `nowMs`. About the probe interval when nothing was lost.
   */
  readonly outageMs: number;
  /** Attempts started at or after the mark that failed. */
  readonly failed: number;
  /** Attempts started at or after the mark, decided so far. */
  readonly attempts: number;
  /** A success completed after the mark (so `outageMs` is a closed gap). */
  readonly recovered: boolean;
  /** Since the last success, at `nowMs` (the mark when none). */
  readonly sinceLastSuccessMs: number;
}

/** The machine's monotonic clock in milliseconds (the same clock in every process). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

const doneAt = (a: ProbeAttempt): number => a.startMs + a.latencyMs;

/** The outage a client saw from `markMs` until `nowMs` (see `Outage`). */
export function outageSince(
  attempts: readonly ProbeAttempt[],
  markMs: number,
  nowMs: number,
): Outage {
  const successes = attempts
    .filter((a) => a.ok)
    .map(doneAt)
    .sort((x, y) => x - y);
  const after = successes.filter((t) => t > markMs);
  const before = successes.filter((t) => t <= markMs);
  let previous = before.at(-1) ?? markMs;
  let outageMs = 0;
  for (const t of after) {
    outageMs = Math.max(outageMs, t - previous);
    previous = t;
  }
  const since = attempts.filter((a) => a.startMs >= markMs);
  const recovered = after.length > 0;
  return {
    outageMs: recovered ? outageMs : nowMs - previous,
    failed: since.filter((a) => !a.ok).length,
    attempts: since.length,
    recovered,
    sinceLastSuccessMs: nowMs - (successes.at(-1) ?? markMs),
  };
}

/** Parses one line of probe-client's output: an attempt, a watermark, or nothing. */
export function parseProbeLine(
  line: string,
): { attempt: ProbeAttempt } | { watermarkMs: number } | undefined {
  const parts = line.trim().split(' ');
  if (parts[0] === 'a' && parts.length === 5) {
    const [, start, ok, latency, code] = parts;
    return {
      attempt: {
        startMs: Number(start),
        ok: ok === '1',
        latencyMs: Number(latency),
        code: code ?? '-',
      },
    };
  }
  if (parts[0] === 'w' && parts.length === 2) {
    return { watermarkMs: Number(parts[1]) };
  }
  return undefined;
}

/** The `q`-quantile (0–1) of `xs` by the nearest-rank method; NaN for none. */
export function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}
