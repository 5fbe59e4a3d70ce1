/**
 * Benchmark of the domain model on large clusters: decode + analyze + compile every filer's
 * node spec, at 1× (64 filers, 5,000 vsvrs, 20,000 addresses), 2× and 4×. Each size runs in a
 * fresh child process so its peak RSS is its own. It prints figures and never fails on time
 * (STYLE.md rule 18); it fails only when the generated cluster is not valid, because timing
 * an invalid cluster measures nothing.
 *
 *   npm run bench:model                  sizes 1, 2 and 4
 *   node --expose-gc dist/test/bench/model/main.js 1 8    sizes 1 and 8 (1 is always run)
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { analyzeCluster, compileNodeSpecs, decodeClusterDocument, formatPath } from '@vsnet/model';
import { generateClusterDocument } from './generate.js';

const BASE_SIZE = { filers: 64, vsvrs: 5_000, addresses: 20_000 };
const DEFAULT_SCALES = [1, 2, 4];
const SEED = 20_260_101;
/** The first run warms the JIT up; the others are the measurement. */
const RUNS = 5;
const CHILD_TIMEOUT_MS = 10 * 60_000;
const TARGET_MS = 500;
const TARGET_MB = 300;
const CHILD_FLAG = '--child';
const SHOWN_PROBLEMS = 5;

interface RunTimes {
  readonly decode: number;
  readonly analyze: number;
  readonly compile: number;
  readonly total: number;
  /** User + system CPU time of the whole run: less disturbed than wall time on a busy machine. */
  readonly cpu: number;
}

interface SizeResult {
  readonly scale: number;
  readonly filers: number;
  readonly vsvrs: number;
  readonly addresses: number;
  readonly specs: number;
  /** Vsvr entries over all specs: each vsvr appears once per filer of its failover group. */
  readonly vsvrSpecs: number;
  readonly runs: readonly RunTimes[];
  /** RSS after generating the document and collecting garbage, before the timed part (KiB). */
  readonly baselineRssKiB: number;
  /** Peak RSS of the whole child process (KiB), from getrusage. */
  readonly peakRssKiB: number;
  readonly problemCount: number;
  readonly firstProblems: readonly string[];
}

function sizeOf(scale: number): { filers: number; vsvrs: number; addresses: number } {
  return {
    filers: BASE_SIZE.filers * scale,
    vsvrs: BASE_SIZE.vsvrs * scale,
    addresses: BASE_SIZE.addresses * scale,
  };
}

const collectGarbage = (globalThis as unknown as { gc?: () => void }).gc ?? ((): void => {});

/** In the child: one size, timed RUNS times, reported as one JSON line on stdout. */
function measure(scale: number): SizeResult {
  const size = sizeOf(scale);
  const doc = generateClusterDocument({ ...size, seed: SEED });
  collectGarbage();
  const baselineRssKiB = Math.round(process.memoryUsage().rss / 1024);
  const runs: RunTimes[] = [];
  let outcome = { specs: 0, vsvrSpecs: 0, problemCount: 0, firstProblems: [] as string[] };
  for (let k = 0; k < RUNS; k++) {
    collectGarbage();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const decoded = decodeClusterDocument(doc);
    const t1 = performance.now();
    const analysis = analyzeCluster(decoded.cluster);
    const t2 = performance.now();
    const specs = compileNodeSpecs(decoded.cluster, analysis);
    const t3 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    runs.push({
      decode: t1 - t0,
      analyze: t2 - t1,
      compile: t3 - t2,
      total: t3 - t0,
      cpu: (cpu.user + cpu.system) / 1000,
    });
    const problems = [...decoded.problems, ...analysis.problems];
    outcome = {
      specs: specs.length,
      vsvrSpecs: specs.reduce((n, s) => n + s.vsvrs.length, 0),
      problemCount: problems.length,
      firstProblems: problems
        .slice(0, SHOWN_PROBLEMS)
        .map((p) => `${p.severity} ${p.code} at ${formatPath(p.path)}: ${p.message}`),
    };
  }
  return {
    scale,
    ...size,
    ...outcome,
    runs,
    baselineRssKiB,
    peakRssKiB: process.resourceUsage().maxRSS,
  };
}

/** In the parent: runs one size in a fresh process, so peak RSS belongs to that size alone. */
function runSize(scale: number): SizeResult {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', fileURLToPath(import.meta.url), CHILD_FLAG, String(scale)],
    { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (child.error || child.status !== 0) {
    const why = child.error?.message ?? `exit status ${child.status ?? child.signal ?? '?'}`;
    throw new Error(`the ${scale}× run failed: ${why}`);
  }
  const line = child.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as SizeResult;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Median and max of the measured runs (all but the first), and the first (cold) run. */
function summary(runs: readonly RunTimes[], pick: (r: RunTimes) => number) {
  const warm = runs.slice(1).map(pick);
  return {
    median: median(warm),
    max: Math.max(...warm),
    first: runs[0] === undefined ? 0 : pick(runs[0]),
  };
}

function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const ms = (v: number): string => v.toFixed(1);
const mb = (kib: number): string => (kib / 1024).toFixed(1);
const count = (n: number): string => n.toLocaleString('en-US');

function report(results: readonly SizeResult[]): void {
  const baseline = results.find((r) => r.scale === 1);
  const baseMedian = baseline ? summary(baseline.runs, (r) => r.total).median : NaN;
  console.log(
    formatTable(
      [
        'size',
        'filers',
        'vsvrs',
        'addresses',
        'specs',
        'median ms',
        'max ms',
        'first ms',
        'peak RSS MB',
        'peak-base MB',
        'ratio',
        'problems',
      ],
      results.map((r) => {
        const t = summary(r.runs, (x) => x.total);
        return [
          `${r.scale}×`,
          count(r.filers),
          count(r.vsvrs),
          count(r.addresses),
          count(r.specs),
          ms(t.median),
          ms(t.max),
          ms(t.first),
          mb(r.peakRssKiB),
          mb(r.peakRssKiB - r.baselineRssKiB),
          `${(t.median / baseMedian).toFixed(2)}`,
          String(r.problemCount),
        ];
      }),
    ),
  );
  console.log('\nWhere the time goes (median of the measured runs, ms):\n');
  console.log(
    formatTable(
      ['size', 'decode', 'analyze', 'compile', 'CPU', 'vsvr entries in specs', 'baseline RSS MB'],
      results.map((r) => [
        `${r.scale}×`,
        ms(summary(r.runs, (x) => x.decode).median),
        ms(summary(r.runs, (x) => x.analyze).median),
        ms(summary(r.runs, (x) => x.compile).median),
        ms(summary(r.runs, (x) => x.cpu).median),
        count(r.vsvrSpecs),
        mb(r.baselineRssKiB),
      ]),
    ),
  );
  console.log(
    `\nmedian and max over runs 2-${RUNS}; first = run 1 (cold). ratio = median / 1× median ` +
      `(linear growth gives about the size). MB = 2^20 bytes; peak RSS from getrusage per ` +
      `child process, baseline = RSS after generating the document (not timed). CPU = user + ` +
      `system time of the whole run (GC threads included), less disturbed by a busy machine.`,
  );
  console.log(
    `targets at 1×: median ≤ ${TARGET_MS} ms and peak RSS ≤ ${TARGET_MB} MB, growing about ` +
      'linearly with size. Informational only: this benchmark decides nothing by time.',
  );
}

function parent(args: readonly string[]): void {
  const requested = args.map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const scales = [...new Set([1, ...(requested.length > 0 ? requested : DEFAULT_SCALES)])];
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(`vsnet model benchmark: decode + analyze + compileNodeSpecs (seed ${SEED})`);
  console.log(`machine: ${availableParallelism()} CPUs, load average ${load}\n`);
  const results: SizeResult[] = [];
  for (const scale of scales) {
    const { filers, vsvrs, addresses } = sizeOf(scale);
    console.log(
      `running ${scale}×: ${count(filers)} filers, ${count(vsvrs)} vsvrs, ${count(addresses)} addresses…`,
    );
    results.push(runSize(scale));
  }
  console.log('');
  report(results);
  const invalid = results.filter((r) => r.problemCount > 0);
  for (const r of invalid) {
    console.error(
      `\nthe ${r.scale}× cluster has ${r.problemCount} problems; the figures above measure nothing:`,
    );
    r.firstProblems.forEach((p) => console.error(`  ${p}`));
  }
  if (invalid.length > 0) {
    process.exitCode = 1;
  }
}

if (process.argv[2] === CHILD_FLAG) {
  process.stdout.write(`${JSON.stringify(measure(Number(process.argv[3])))}\n`);
} else {
  parent(process.argv.slice(2));
}
