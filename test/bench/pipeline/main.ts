/**
 * Benchmark of the change pipeline (issue 5): change → applied latency of single-address
 * changes on one filer and on all three, and a burst of changes to one filer (how long, and
 * into how many agent applies it coalesced). vsnet-control runs as a process on a database and
 * queue prefix of its own; the agents run in the local lab of `npm start` (deploy/local) with
 * the Linux driver when root, the dry-run driver otherwise.
 *
 * Change → applied is the time from sending the mutation RPC to the first WatchChange message
 * that says applied. The baseline, side by side: the same spec change sent straight to the
 * same agents' Apply over gRPC (no database, no queue, no control service), after the control
 * service is stopped. The split (queue wait, agent apply) comes from vsnet-control's /metrics,
 * scraped before and after each change. Prints figures and never fails on time (STYLE.md
 * rule 18). Cleans up everything it started.
 *
 *   npx nest build cli && node dist/test/bench/pipeline/main.js [changes] [burst]
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { nodeSpecToWire } from '@vsnet/contracts';
import type { ClusterDocument, NodeSpec } from '@vsnet/model';
import { analyzeCluster, compileNodeSpecs, decodeClusterDocument } from '@vsnet/model';
import type { BenchCluster } from './bench-cluster.js';
import { ALL_FILERS_VSVR, ONE_FILER_VSVR, startBenchCluster } from './bench-cluster.js';
import type { PipelineMetrics } from './clients.js';
import { DirectAgent, PipelineClient, scrapeMetrics } from './clients.js';

const CHANGES = Number(process.argv[2] ?? 200);
const BURST = Number(process.argv[3] ?? 1000);
/** Changes before the measured ones: JIT, connections, the driver's kept view. */
const WARMUP = 10;
/** The burst's mutations in flight at once: many clients committing as fast as they can. */
const BURST_IN_FLIGHT = 20;
/** The address each single-address change adds, then removes, by vsvr. */
const CHANGE_ADDRESS: Record<string, string> = {
  [ONE_FILER_VSVR]: '198.18.10.62/24',
  [ALL_FILERS_VSVR]: '198.18.10.22/24',
};
const TARGET_P50_MS = 30;
const TARGET_P99_MS = 100;

/** One measured change. Split times are means over the change's applies (one per filer). */
interface Sample {
  readonly total: number;
  readonly ack?: number;
  readonly queueWait?: number;
  readonly apply?: number;
  readonly filers?: number;
}

const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
const p50 = (xs: readonly number[]): number => sorted(xs)[Math.floor(xs.length / 2)] ?? NaN;
const p99 = (xs: readonly number[]): number =>
  sorted(xs)[Math.max(0, Math.ceil(xs.length * 0.99) - 1)] ?? NaN;
const ms = (x: number): string => (Number.isNaN(x) ? '    -   ' : `${x.toFixed(1).padStart(6)} ms`);
const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;
const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await f();
  return [performance.now() - t, r];
}

/** Alternately adds and removes the vsvr's change address through the pipeline. */
async function pipelineChanges(
  cluster: BenchCluster,
  client: PipelineClient,
  vsvr: string,
  count: number,
): Promise<Sample[]> {
  const address = CHANGE_ADDRESS[vsvr]!;
  const samples: Sample[] = [];
  for (let i = 0; i < WARMUP + count; i++) {
    const before = await scrapeMetrics(cluster.metricsUrl);
    const t0 = performance.now();
    const generation =
      i % 2 === 0
        ? await client.addAddress(vsvr, address)
        : await client.removeAddress(vsvr, address);
    const ack = performance.now() - t0;
    const record = await client.applied(generation);
    const total = performance.now() - t0;
    const after = await scrapeMetrics(cluster.metricsUrl);
    if (i >= WARMUP) {
      samples.push({ total, ack, ...split(before, after), filers: record.filers.length });
    }
  }
  return samples;
}

function split(before: PipelineMetrics, after: PipelineMetrics): Partial<Sample> {
  const applies = after.applies - before.applies;
  const waits = after.queueWaits - before.queueWaits;
  return {
    ...(applies > 0
      ? { apply: ((after.applySeconds - before.applySeconds) * 1000) / applies }
      : {}),
    ...(waits > 0
      ? { queueWait: ((after.queueWaitSeconds - before.queueWaitSeconds) * 1000) / waits }
      : {}),
  };
}

/** Every filer's spec of `doc` with `address` added to `vsvr` (or not), as the model compiles it. */
function specsOf(
  doc: ClusterDocument,
  vsvr: string,
  address: string | undefined,
): Map<string, NodeSpec> {
  const changed: ClusterDocument = {
    ...doc,
    vsvrs: (doc.vsvrs ?? []).map((v) =>
      v.name === vsvr && address !== undefined
        ? { ...v, addresses: [...(v.addresses ?? []), { alias: 'data0', address }] }
        : v,
    ),
  };
  const decoded = decodeClusterDocument(changed);
  const analysis = analyzeCluster(decoded.cluster);
  const errors = [...decoded.problems, ...analysis.problems].filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    throw new Error(
      `the baseline's cluster is not valid: ${errors.map((e) => e.message).join('; ')}`,
    );
  }
  return new Map(compileNodeSpecs(decoded.cluster, analysis).map((s) => [s.filer, s]));
}

/**
 * The baseline: the same spec changes sent straight to the agents' Apply (in parallel when the
 * change touches several filers), with the epoch the agents hold and ever newer generations.
 */
async function directChanges(
  cluster: BenchCluster,
  agents: readonly DirectAgent[],
  vsvr: string,
  count: number,
): Promise<Sample[]> {
  const address = CHANGE_ADDRESS[vsvr]!;
  const withIt = specsOf(cluster.doc, vsvr, address);
  const without = specsOf(cluster.doc, vsvr, undefined);
  const touched = agents.filter((a) => withIt.get(a.filer)?.hash !== without.get(a.filer)?.hash);
  const held = await Promise.all(touched.map((a) => a.state()));
  const samples: Sample[] = [];
  for (let i = 0; i < WARMUP + count; i++) {
    const specs = i % 2 === 0 ? withIt : without;
    const [total] = await timed(() =>
      Promise.all(
        touched.map((agent, k) => {
          const state = held[k]!;
          state.generation += 1n;
          return agent.apply({
            spec: nodeSpecToWire(specs.get(agent.filer)!),
            generation: state.generation.toString(),
            epoch: state.epoch,
            dryRun: false,
          });
        }),
      ),
    );
    if (i >= WARMUP) {
      samples.push({ total, filers: touched.length });
    }
  }
  return samples;
}

/**
 * BURST additions to the one-filer vsvr, BURST_IN_FLIGHT at a time, until all are applied.
 * Host addresses (/32): each is its own primary, so the baseline's first apply can remove them
 * one by one (removing a subnet's primary takes its secondaries along unless
 * promote_secondaries is set).
 */
async function burst(
  cluster: BenchCluster,
  client: PipelineClient,
): Promise<{ acked: number; applied: number; applies: number }> {
  const before = await scrapeMetrics(cluster.metricsUrl);
  const t0 = performance.now();
  let next = 0;
  let last = 0n;
  await Promise.all(
    Array.from({ length: BURST_IN_FLIGHT }, async () => {
      while (next < BURST) {
        const i = next++;
        const g = BigInt(
          await client.addAddress(
            ONE_FILER_VSVR,
            `198.19.${Math.floor(i / 250)}.${(i % 250) + 1}/32`,
          ),
        );
        last = g > last ? g : last;
      }
    }),
  );
  const acked = performance.now() - t0;
  // Applied means the filer observed this generation or a later one: every change before it.
  await client.applied(last.toString());
  const applied = performance.now() - t0;
  const after = await scrapeMetrics(cluster.metricsUrl);
  return { acked, applied, applies: after.applies - before.applies };
}

function row(label: string, samples: readonly Sample[]): string {
  const pick = (k: keyof Sample): number[] =>
    samples.flatMap((s) => (s[k] === undefined ? [] : [s[k]]));
  const totals = pick('total');
  return [
    label.padEnd(34),
    ms(p50(totals)),
    ms(p99(totals)),
    ms(Math.max(...totals)),
    '  |',
    ms(p50(pick('ack'))),
    ms(p50(pick('queueWait'))),
    ms(p50(pick('apply'))),
  ].join(' ');
}

function verdict(samples: readonly Sample[]): string {
  const totals = samples.map((s) => s.total);
  const ok = p50(totals) <= TARGET_P50_MS && p99(totals) <= TARGET_P99_MS;
  return ok ? 'targets met' : 'TARGETS MISSED';
}

async function main(): Promise<void> {
  say(`load average at start ${load()} (${availableParallelism()} CPUs)`);
  const cluster = await startBenchCluster((line) => say(line));
  let stopping = false;
  const onSignal = (): void => {
    if (!stopping) {
      stopping = true;
      void cluster.teardown().finally(() => process.exit(130));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const client = new PipelineClient(cluster.server, cluster.token);
  const direct = cluster.agents.map((a) => new DirectAgent(a.filer, a.address));
  try {
    say(
      `vsnet-control pid ${cluster.control.pid}; agents ${cluster.agents.map((a) => `${a.filer} pid ${a.pid}`).join(', ')}; ` +
        (cluster.driver === 'linux'
          ? `linux driver in namespace lab ${cluster.labPrefix}`
          : 'DRY-RUN driver (not root: no lab, nothing reaches a kernel)'),
    );
    say('');
    say(
      `change → applied, ${CHANGES} single-address changes per row after ${WARMUP} warm-up, alternately add and remove:`,
    );
    say(
      '  pipeline: mutation RPC sent (AddAddress/RemoveAddress) → first WatchChange message saying applied (client clock)',
    );
    say(
      "  baseline: the same spec change sent straight to the same agents' Apply over gRPC (in parallel for 3 filers), vsnet-control stopped: no database, no queue",
    );
    say(
      "  split, p50 of per-change values: ack = mutation RPC round trip (auth, edit, commit); queue = job queued → taken by the worker (vsnet_reconcile_queue_wait_seconds); apply = control's Apply call to the agent (vsnet_agent_apply_duration_seconds; mean over the change's filers)",
    );
    say('');
    say(`${''.padEnd(34)}     p50        p99        max    |    ack      queue      apply`);
    const phases = new Map<string, Sample[]>();
    const measure = async (label: string, run: () => Promise<Sample[]>): Promise<void> => {
      const samples = await run();
      phases.set(label, samples);
      const filers = [...new Set(samples.map((s) => s.filers))].join('/');
      say(`${row(label, samples)}   [filers touched ${filers}; load ${load()}]`);
    };
    await measure('1 filer, pipeline', () =>
      pipelineChanges(cluster, client, ONE_FILER_VSVR, CHANGES),
    );
    await measure('3 filers, pipeline', () =>
      pipelineChanges(cluster, client, ALL_FILERS_VSVR, CHANGES),
    );
    const b = await burst(cluster, client);
    const burstLoad = load();
    // The baseline drives the same agents itself: the control service must not apply too.
    await cluster.control.stop();
    await measure('1 filer, baseline (direct Apply)', () =>
      directChanges(cluster, direct, ONE_FILER_VSVR, CHANGES),
    );
    await measure('3 filers, baseline (direct Apply)', () =>
      directChanges(cluster, direct, ALL_FILERS_VSVR, CHANGES),
    );

    say('');
    for (const n of ['1 filer', '3 filers']) {
      const pipe = phases.get(`${n}, pipeline`)!;
      const base = phases.get(`${n}, baseline (direct Apply)`)!.map((s) => s.total);
      const totals = pipe.map((s) => s.total);
      say(
        `${n.padEnd(8)}: pipeline minus baseline: p50 ${signed(p50(totals) - p50(base))} ms, p99 ${signed(p99(totals) - p99(base))} ms; ${verdict(pipe)} (p50 ≤ ${TARGET_P50_MS} ms, p99 ≤ ${TARGET_P99_MS} ms)`,
      );
    }
    say(
      `burst   : ${BURST} AddAddress to vsvr ${ONE_FILER_VSVR} (filer1 only), ${BURST_IN_FLIGHT} in flight: all acknowledged after ${b.acked.toFixed(0)} ms (${((BURST * 1000) / b.acked).toFixed(0)} commits/s), all applied after ${b.applied.toFixed(0)} ms; coalesced into ${b.applies} agent applies (${(BURST / Math.max(1, b.applies)).toFixed(1)} changes per apply) [load ${burstLoad}]`,
    );
    say(`load average at end ${load()}`);
  } finally {
    client.close();
    for (const d of direct) {
      d.close();
    }
    const problems = await cluster.teardown();
    if (problems.length > 0) {
      say(`clean-up problems: ${problems.join('; ')}`);
    }
  }
}

await main();
