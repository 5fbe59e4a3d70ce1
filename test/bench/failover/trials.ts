/**
 * Trials of the failover benchmark, their figures, and the table it prints.
 */
import { sleep } from './cables.js';
import type { Probe } from './probe.js';
import { monotonicMs, quantile } from './probe.js';

/**
 * Where a vsnet failover's time went, in milliseconds: `detection` from the lost filer's last
 * heartbeat answer until the leader declared it down; the others after that declaration.
 */
export interface Phases {
  readonly detection: number;
  readonly targetChosen: number;
  readonly plumbed: number;
  readonly announced: number;
  readonly committed: number;
}

export const PHASE_NAMES: readonly (keyof Phases)[] = [
  'detection',
  'targetChosen',
  'plumbed',
  'announced',
  'committed',
];

export interface Trial {
  /** The largest gap between the probe's successes after the fault. */
  readonly outageMs: number;
  /** Probe attempts that failed after the fault. */
  readonly failed: number;
  /** The filer that was lost. */
  readonly from: string;
  readonly phases?: Phases;
  /** Anything odd about the trial worth printing beside it. */
  readonly note?: string;
}

export interface CaseResult {
  readonly name: string;
  readonly trials: readonly Trial[];
  /** Why the case stopped before all its trials, when it did. */
  readonly stopped?: string;
}

export interface Summary {
  readonly name: string;
  readonly trials: number;
  readonly median: number;
  readonly p99: number;
  readonly max: number;
  readonly min: number;
  /** Median of each phase over the trials that reported phases. */
  readonly phases: Partial<Phases>;
  /**
   * Median of what the phases do not cover: outage − detection − announced, i.e. from the
   * last success to the lost filer's last heartbeat answer, and from the announcement until
   * the client's next connection got through (at most the probe's 10 ms interval later).
   */
  readonly other?: number;
}

export function summarize(c: CaseResult): Summary {
  const outages = c.trials.map((t) => t.outageMs);
  const phased = c.trials.flatMap((t) => (t.phases ? [t.phases] : []));
  const phases: Partial<Record<keyof Phases, number>> = {};
  if (phased.length > 0) {
    for (const p of PHASE_NAMES) {
      phases[p] = quantile(
        phased.map((x) => x[p]),
        0.5,
      );
    }
  }
  const other = c.trials.flatMap((t) =>
    t.phases ? [t.outageMs - t.phases.detection - t.phases.announced] : [],
  );
  return {
    ...(other.length > 0 ? { other: quantile(other, 0.5) } : {}),
    name: c.name,
    trials: c.trials.length,
    median: quantile(outages, 0.5),
    p99: quantile(outages, 0.99),
    max: quantile(outages, 1),
    min: quantile(outages, 0),
    phases,
  };
}

const STEADY_WINDOW_MS = 200;

/**
 * Waits until the client has got through on every attempt of the last 200 ms: the address is
 * served and stays served before the next fault.
 */
export async function waitSteady(probe: Probe, timeoutMs: number): Promise<void> {
  const deadline = monotonicMs() + timeoutMs;
  for (;;) {
    const now = monotonicMs();
    await probe.settle(now);
    const recent = probe.attempts(now - STEADY_WINDOW_MS).filter((a) => a.startMs < now);
    if (recent.length >= STEADY_WINDOW_MS / 20 && recent.every((a) => a.ok)) {
      return;
    }
    if (now > deadline) {
      const codes = [...new Set(recent.filter((a) => !a.ok).map((a) => a.code))].join(', ');
      throw new Error(`the client does not get through steadily after ${timeoutMs} ms (${codes})`);
    }
    await sleep(50);
  }
}

const ms = (x: number | undefined): string =>
  x === undefined || Number.isNaN(x) ? '—' : x.toFixed(0);

/** The table: one row per case, outage figures in ms, then the median of each phase. */
export function table(summaries: readonly Summary[]): string {
  const header = [
    'case',
    'trials',
    'median',
    'p99',
    'max',
    'min',
    'detect',
    'chosen',
    'plumbed',
    'announced',
    'committed',
    'other',
  ];
  const rows = summaries.map((s) => [
    s.name,
    String(s.trials),
    ms(s.median),
    ms(s.p99),
    ms(s.max),
    ms(s.min),
    ...PHASE_NAMES.map((p) => ms(s.phases[p])),
    ms(s.other),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
