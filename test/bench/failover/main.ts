/**
 * Failover benchmark (issue 7): how long a client loses `vs_mgmt`'s address when the filer
 * holding it is lost, under vsnet's default and aggressive heartbeat profiles, side by side with
 * keepalived VRRP at advert 1 s, 0.1 s and 0.01 s run by this script in the same topology
 * (LAB.md "Failover figures"). A client namespace opens a fresh TCP connection every 10 ms
 * (300 ms timeout each); the outage of a trial is the largest gap between successes. Each
 * fault comes at a random phase of the advert or heartbeat interval. Prints figures; never
 * fails on time (STYLE.md rule 18). Needs root; removes everything it made, also on Ctrl-C.
 *
 *   npm run bench:failover -- [--trials 20] [--cases keepalived-1s,vsnet-default,…]
 *
 * VSNET_E2E_KEEP_LOGS=1 keeps the vsnet lab's logs and database (the failover lab's switch).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { labNamespaces, removeStale } from '../../../deploy/lab/src/lab.js';
import { ipJson } from '../../../deploy/lab/src/run.js';
import { ensureKeepalived, startVrrpBench } from './keepalived.js';
import type { CaseResult, Summary, Trial } from './trials.js';
import { summarize, table } from './trials.js';
import { startVsnetBench } from './vsnet.js';

/** The keepalived lab's prefix is `<root><pid>`, so a crashed run's namespaces are found. */
const KEEPALIVED_ROOT = 'vfbk';
/** The failover lab's label (it makes its own prefix, database and folder from it). */
const VSNET_LABEL = 'bench';

const KEEPALIVED_CASES = { 'keepalived-1s': 1, 'keepalived-0.1s': 0.1, 'keepalived-0.01s': 0.01 };
const VSNET_CASES = { 'vsnet-default': 'default', 'vsnet-aggressive': 'aggressive' } as const;
const ALL_CASES = [...Object.keys(KEEPALIVED_CASES), ...Object.keys(VSNET_CASES)];

const USAGE = `usage: npm run bench:failover -- [--trials N] [--cases ${ALL_CASES.join(',')}]`;

const log = (line: string): void => void process.stdout.write(`${line}\n`);

/** Undo steps of whatever runs now, newest first; run by the end, a failure, or Ctrl-C. */
const cleanups: (() => Promise<void>)[] = [];

async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    const step = cleanups.pop();
    try {
      await step?.();
    } catch (err) {
      log(`cleanup: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** Namespaces of earlier keepalived runs of this benchmark whose process is gone. */
async function removeLeftovers(): Promise<void> {
  const names = (await ipJson<{ name: string }>(['netns', 'list'])).map((n) => n.name);
  const pids = new Set(
    names.flatMap((n) => {
      const pid = Number(new RegExp(`^${KEEPALIVED_ROOT}(\\d+)-`).exec(n)?.[1] ?? NaN);
      return Number.isInteger(pid) && pid !== process.pid && !alive(pid) ? [pid] : [];
    }),
  );
  for (const pid of pids) {
    const report = await removeStale(`${KEEPALIVED_ROOT}${pid}`);
    log(`removed ${report.removed.length} namespaces of a crashed run (pid ${pid})`);
    if (report.strayPids.length > 0) {
      log(`  its processes still run (stop them by pid): ${report.strayPids.join(' ')}`);
    }
  }
}

/** Lab prefixes this run used: checked for leftovers at the end. */
const prefixes: string[] = [];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function parseOptions(argv: string[]): { trials: number; cases: string[] } {
  const { values } = parseArgs({
    args: argv,
    options: {
      trials: { type: 'string', default: '20' },
      cases: { type: 'string', default: ALL_CASES.join(',') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    log(USAGE);
    process.exit(0);
  }
  const trials = Number(values.trials);
  if (!Number.isInteger(trials) || trials < 1) {
    throw new Error(`--trials must be a positive whole number, not "${values.trials}"\n${USAGE}`);
  }
  const cases = values.cases.split(',').map((c) => c.trim());
  const unknown = cases.filter((c) => !ALL_CASES.includes(c));
  if (unknown.length > 0) {
    throw new Error(`unknown case ${unknown.join(', ')}; the cases are ${ALL_CASES.join(', ')}`);
  }
  return { trials, cases };
}

const describeTrial = (t: Trial): string =>
  `${t.outageMs.toFixed(0)} ms, ${t.failed} failed connects (lost ${t.from})` +
  (t.phases
    ? `; detect ${t.phases.detection.toFixed(0)}, plumbed +${t.phases.plumbed.toFixed(0)}, ` +
      `announced +${t.phases.announced.toFixed(0)}, committed +${t.phases.committed.toFixed(0)}`
    : '') +
  (t.note ? ` [${t.note}]` : '');

/**
 * Runs one case, keeping the trials done so far when it fails: the figures gathered are
 * still printed, with what stopped the case.
 */
async function runCase(
  name: string,
  trials: number,
  work: (onTrial: (t: Trial, i: number) => void) => Promise<unknown>,
): Promise<CaseResult> {
  const done: Trial[] = [];
  try {
    await work((t, i) => {
      done.push(t);
      log(`  ${name} ${i + 1}/${trials}: ${describeTrial(t)}`);
    });
    return { name, trials: done };
  } catch (err) {
    const stopped = err instanceof Error ? err.message : String(err);
    log(`  ${name} stopped after ${done.length} trials: ${stopped}`);
    return { name, trials: done, stopped };
  }
}

async function keepalivedCases(cases: readonly string[], trials: number): Promise<CaseResult[]> {
  const wanted = Object.entries(KEEPALIVED_CASES).filter(([name]) => cases.includes(name));
  if (wanted.length === 0) {
    return [];
  }
  ensureKeepalived(log);
  const results: CaseResult[] = [];
  for (const [name, advertS] of wanted) {
    log(`${name}: keepalived VRRP v3, advert_int ${advertS} s, ${trials} trials`);
    // A lab per case: a case that failed half-way leaves nothing behind for the next.
    const prefix = `${KEEPALIVED_ROOT}${process.pid}`;
    const bench = await startVrrpBench(prefix);
    prefixes.push(prefix);
    cleanups.push(() => bench.teardown());
    results.push(await runCase(name, trials, (onTrial) => bench.run(advertS, trials, onTrial)));
    await cleanups.pop()?.();
  }
  return results;
}

async function vsnetCases(cases: readonly string[], trials: number): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const [name, profile] of Object.entries(VSNET_CASES)) {
    if (!cases.includes(name)) {
      continue;
    }
    log(`${name}: vsnet, ${profile} heartbeat profile, ${trials} trials`);
    const bench = await startVsnetBench(VSNET_LABEL, profile);
    prefixes.push(bench.prefix);
    cleanups.push(() => bench.teardown());
    results.push(await runCase(name, trials, (onTrial) => bench.run(trials, onTrial)));
    await cleanups.pop()?.();
  }
  return results;
}

function targets(summaries: readonly Summary[]): string[] {
  const find = (name: string): Summary | undefined => summaries.find((s) => s.name === name);
  const verdict = (met: boolean): string => (met ? 'met' : 'NOT MET');
  const lines: string[] = [];
  const def = find('vsnet-default');
  const ka01 = find('keepalived-0.1s');
  if (def) {
    lines.push(
      `vsnet default p99 ≤ 150 ms: ${def.p99.toFixed(0)} ms — ${verdict(def.p99 <= 150)}` +
        (ka01 ? ` (keepalived at 0.1 s: p99 ${ka01.p99.toFixed(0)} ms)` : ''),
    );
  }
  const aggressive = find('vsnet-aggressive');
  const ka001 = find('keepalived-0.01s');
  if (aggressive && ka001) {
    lines.push(
      `vsnet aggressive median ≤ keepalived 0.01 s median (${ka001.median.toFixed(0)} ms): ` +
        `${aggressive.median.toFixed(0)} ms — ${verdict(aggressive.median <= ka001.median)}`,
    );
  } else if (aggressive) {
    lines.push('vsnet aggressive vs keepalived 0.01 s: not compared (run keepalived-0.01s too)');
  }
  return lines;
}

async function main(): Promise<void> {
  const { trials, cases } = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) {
    throw new Error('the failover benchmark builds network namespaces: run it as root');
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  await removeLeftovers();
  log(`failover benchmark: ${trials} trials per case; load ${loadavg()[0]?.toFixed(2)}`);
  try {
    const results = [
      ...(await keepalivedCases(cases, trials)),
      ...(await vsnetCases(cases, trials)),
    ];
    const summaries = results.map(summarize);
    log('');
    log('Outage of the address at the client, ms (p99 by nearest rank: the maximum below 100');
    log('trials). vsnet phases, median ms: detect = last heartbeat answer → filer declared down;');
    log('chosen … committed = after that declaration; other = outage − detect − announced (the');
    log("client's last success → the last heartbeat answer, and the announcement → the next");
    log('connection through, at most the probe interval).');
    log(table(summaries));
    for (const line of targets(summaries)) {
      log(line);
    }
    for (const r of results.filter((x) => x.stopped !== undefined)) {
      log(`${r.name} stopped after ${r.trials.length} trials: ${r.stopped}`);
    }
  } finally {
    await cleanUp();
    const left = (await Promise.all(prefixes.map((p) => labNamespaces(p)))).flat();
    if (left.length > 0) {
      log(`namespaces left behind: ${left.join(', ')}`);
    }
  }
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench:failover: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
