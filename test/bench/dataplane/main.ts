/**
 * Benchmark of the linux dataplane driver: apply from empty a spec of 100 vsvrs × 10
 * addresses (100 namespaces, 1,000 addresses, 200 routes) into a fresh filer namespace, then
 * one-address changes. Baseline: the most direct iproute2 script doing the same kernel work
 * (baseline.ts). Prints figures (median of the rounds; the first round of each side warms
 * caches) and never fails on time (STYLE.md rule 18). Needs root; cleans up everything.
 *
 *   npx nest build cli && node dist/test/bench/dataplane/main.js [rounds]
 */
import { loadavg } from 'node:os';
import type { LinuxDriver } from '@vsnet/dataplane';
import { createLinuxDriver } from '@vsnet/dataplane';
import type { NodeSpec } from '@vsnet/model';
import { removeBaselineScript, writeBaselineScript } from './baseline.js';
import {
  ADDRESSES_PER_VSVR,
  benchSpec,
  deleteNamespaces,
  freshFiler,
  namespacesStartingWith,
  removeStale,
  run,
  VSVRS,
} from './bench-lab.js';

const ROOT = 'vsdpb';
const PREFIX = `${ROOT}${process.pid}-`;
const ROUNDS = Number(process.argv[2] ?? 3);
const CHANGES = 20;
const TIMEOUT_MS = 60_000;

const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const p99 = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.99) - 1] ?? NaN;
const ms = (x: number): string => `${x.toFixed(1)} ms`;

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await f();
  return [performance.now() - t, r];
}

function driverFor(filer: string, reuseReadMs?: number): LinuxDriver {
  return createLinuxDriver({
    filerNamespace: filer,
    namespacePrefix: PREFIX,
    timeoutMs: TIMEOUT_MS,
    ...(reuseReadMs !== undefined ? { reuseReadMs } : {}),
  });
}

/** Reconciles once: inspect, plan, apply; fails (not on time) when an item failed. */
async function reconcile(
  driver: LinuxDriver,
  spec: NodeSpec,
): Promise<{ inspect: number; plan: number; apply: number; operations: number }> {
  const [inspect, observed] = await timed(() => driver.inspect());
  const t = performance.now();
  const plan = driver.plan(spec, observed);
  const planMs = performance.now() - t;
  const [apply, report] = await timed(() => driver.apply(plan));
  const failed = report.items.filter((i) => i.status === 'failed');
  if (failed.length > 0) {
    throw new Error(`apply failed: ${JSON.stringify(failed.slice(0, 3))}`);
  }
  return { inspect, plan: planMs, apply, operations: plan.operations.length };
}

function withExtraAddress(spec: NodeSpec, address: string | undefined): NodeSpec {
  if (address === undefined) {
    return spec;
  }
  return {
    ...spec,
    vsvrs: spec.vsvrs.map((v, i) =>
      i === VSVRS / 2
        ? {
            ...v,
            addresses: [
              ...v.addresses,
              { alias: 'data0', instance: 99, address, mode: 'static', identifier: 'bench' },
            ],
          }
        : v,
    ),
  };
}

async function main(): Promise<void> {
  await removeStale(ROOT);
  const spec = benchSpec();
  const driverRuns: {
    total: number;
    inspect: number;
    plan: number;
    apply: number;
    operations: number;
    announce: number;
  }[] = [];
  const baselineRuns: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { filer } = await freshFiler(PREFIX);
    const { script, dir } = writeBaselineScript(spec, filer, PREFIX);
    let baseline: number;
    try {
      [baseline] = await timed(() => run('sh', [script]));
      baselineRuns.push(baseline);
    } finally {
      removeBaselineScript(dir);
    }
    await freshFiler(PREFIX);
    const driver = driverFor(filer);
    const [total, r] = await timed(() => reconcile(driver, spec));
    const [announce] = await timed(() => driver.announcementsIdle());
    driverRuns.push({ total, ...r, announce });
    const again = driver.plan(spec, await driverFor(filer, 0).inspect());
    if (again.operations.length > 0) {
      throw new Error(`re-plan after apply is not empty: ${again.operations.length} operations`);
    }
    console.log(
      `round ${round + 1}: driver ${ms(total)} (${r.operations} operations), baseline ${ms(baseline)}`,
    );
  }
  const filer = `${PREFIX}filer`;
  const change = async (d: LinuxDriver, n: number): Promise<number[]> => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const target = withExtraAddress(spec, i % 2 === 0 ? '198.18.250.1/16' : undefined);
      const [t, r] = await timed(() => reconcile(d, target));
      if (r.operations !== 1) {
        throw new Error(`a one-address change planned ${r.operations} operations`);
      }
      times.push(t);
      await d.announcementsIdle();
    }
    return times;
  };
  // A driver whose view does not expire during the series (the arping waits between changes
  // would otherwise outlast the default 5 s): what a change costs when nothing forces a read.
  const viewDriver = driverFor(filer, 600_000);
  await viewDriver.inspect();
  const viewed = await change(viewDriver, CHANGES);
  const fullRead = await change(driverFor(filer, 0), 6);
  const ns = `${PREFIX}${spec.vsvrs[VSVRS / 2]?.namespace ?? ''}`;
  const mac = spec.vsvrs[VSVRS / 2]?.interfaces[0]?.mac ?? '';
  const baselineOne: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const line =
      i % 2 === 0
        ? `addr add 198.18.250.1/16 dev data0\nlink set dev data0 address ${mac}\n`
        : 'addr del 198.18.250.1/16 dev data0\n';
    baselineOne.push((await timed(() => run('ip', ['-n', ns, '-batch', '-'], line)))[0]);
  }

  const d = (k: keyof (typeof driverRuns)[number]): number => median(driverRuns.map((x) => x[k]));
  console.log(
    `\nlinux dataplane driver, ${VSVRS} vsvrs × ${ADDRESSES_PER_VSVR} addresses, load average ${loadavg()[0]?.toFixed(2) ?? '?'}, ${ROUNDS} rounds (median)`,
  );
  console.log(
    `  from empty, driver (inspect + plan + apply)   ${ms(d('total'))}  [inspect ${ms(d('inspect'))}, plan ${ms(d('plan'))}, apply ${ms(d('apply'))}; ${d('operations')} operations]`,
  );
  console.log(`  from empty, baseline (sh + ip -batch files)   ${ms(median(baselineRuns))}`);
  console.log(
    `  ratio driver / baseline                        ${(d('total') / median(baselineRuns)).toFixed(2)}   (target ≤ 1.5)`,
  );
  console.log(`  background arping after from-empty (not in apply) ${ms(d('announce'))}`);
  console.log(
    `  one-address change, inspect from the kept view: median ${ms(median(viewed))}, p99 ${ms(p99(viewed))}, max ${ms(Math.max(...viewed))}   (target ≤ 20 ms)`,
  );
  console.log(
    `  one-address change, baseline (one ip -n NS -batch): median ${ms(median(baselineOne))}`,
  );
  console.log(
    `  one-address change with a full read of ${VSVRS + 1} namespaces: median ${ms(median(fullRead))}`,
  );
}

try {
  await main();
} finally {
  await deleteNamespaces(await namespacesStartingWith(PREFIX));
}
