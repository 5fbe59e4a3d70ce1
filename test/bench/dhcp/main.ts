/**
 * Benchmark of the DHCP exporters on a generated cluster of 1,000 filers, 10,000 vsvrs and
 * 40,000 vsvr addresses (plus the filers' and MySQL roles' own): the time of the plan (grouping,
 * vendor options) and of each format, then `kea-dhcp4 -t` on the Kea configuration. It prints
 * figures and never fails on time (STYLE.md rule 18); the target is at most 1 s per format.
 *
 *   npm run bench:dhcp
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCluster, decodeClusterDocument } from '@vsnet/model';
import { buildDhcpPlan, DHCP_FORMATS, exportDhcp } from '@vsnet/dhcp';
import type { DhcpFormat } from '@vsnet/dhcp';
import { generateClusterDocument } from '../model/generate.js';

const SIZE = { filers: 1_000, vsvrs: 10_000, addresses: 40_000, seed: 20_260_101 };
/** The first run warms the JIT up; the median of the others is printed. */
const RUNS = 5;
const TARGET_MS = 1_000;
const KEA_TIMEOUT_MS = 5 * 60_000;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function timed<T>(work: () => T): { value: T; ms: number } {
  const start = process.hrtime.bigint();
  const value = work();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

function kea4Check(text: string): { accepted: boolean; ms: number; detail: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vsnet-bench-dhcp-'));
  try {
    const file = join(dir, 'kea-dhcp4.conf');
    writeFileSync(file, text);
    const { value: run, ms } = timed(() =>
      spawnSync('kea-dhcp4', ['-t', file], {
        encoding: 'utf8',
        timeout: KEA_TIMEOUT_MS,
        maxBuffer: 512 * 1024 * 1024,
        env: {
          ...process.env,
          PATH: `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin`,
          KEA_PIDFILE_DIR: dir,
          KEA_LOCKFILE_DIR: dir,
        },
      }),
    );
    const lines = `${run.stdout ?? ''}${run.stderr ?? ''}`.split('\n');
    const detail = run.error
      ? `${run.error.message} (install kea-dhcp4-server)`
      : (lines.find((l) => /ERROR|error/.test(l)) ?? '');
    return { accepted: run.status === 0, ms, detail };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the benchmark and prints its figures; returns them for a caller that wants them. */
export function runDhcpBench(print: (line: string) => void = (l) => console.log(l)): void {
  const doc = generateClusterDocument(SIZE);
  const decoded = decodeClusterDocument(doc);
  const analysis = analyzeCluster(decoded.cluster);
  const errors = analysis.problems.filter((p) => p.severity === 'error').length;
  print(
    `vsnet dhcp export benchmark: ${SIZE.filers} filers, ${SIZE.vsvrs} vsvrs, ${SIZE.addresses} vsvr addresses; node ${process.version}; ${RUNS - 1} measured runs after one warm-up; target ≤ ${TARGET_MS} ms per format`,
  );
  if (errors > 0) {
    print(`the generated cluster has ${errors} errors: nothing measured`);
    process.exitCode = 1;
    return;
  }
  const options = { dnsServers: ['192.0.2.53', '2001:db8::53'], domain: 'example.com' };
  const planRuns = Array.from({ length: RUNS }, () =>
    timed(() => buildDhcpPlan(decoded.cluster, analysis, options)),
  );
  const plan = planRuns[0]?.value ?? buildDhcpPlan(decoded.cluster, analysis, options);
  print(
    `plan (subnets, reservations, vendor options): median ${median(planRuns.slice(1).map((r) => r.ms)).toFixed(1)} ms; ${plan.rows.length} addresses in ${plan.subnets4.length} IPv4 + ${plan.subnets6.length} IPv6 subnets, ${plan.filers.reduce((n, f) => n + f.ports.length, 0)} filer ports`,
  );
  const outputs = new Map<DhcpFormat, string>();
  for (const format of DHCP_FORMATS) {
    const filer = format === 'dhclient' ? plan.filers[0]?.filer : undefined;
    const runs = Array.from({ length: RUNS }, () =>
      timed(() => exportDhcp(plan, { format, ...(filer !== undefined ? { filer } : {}) })),
    );
    const text = runs[0]?.value ?? '';
    outputs.set(format, text);
    const ms = median(runs.slice(1).map((r) => r.ms));
    print(
      `  ${format.padEnd(14)} ${ms.toFixed(1).padStart(8)} ms  ${(text.length / 1e6).toFixed(1).padStart(6)} MB  ${ms <= TARGET_MS ? 'within target' : 'OVER TARGET'}${filer !== undefined ? ` (one filer: ${filer})` : ''}`,
    );
  }
  const check = kea4Check(outputs.get('kea4') ?? '');
  print(
    `kea-dhcp4 -t on the kea4 output: ${check.accepted ? 'accepted' : 'REFUSED'} in ${check.ms.toFixed(0)} ms${check.detail !== '' ? `: ${check.detail}` : ''}`,
  );
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1])) {
  runDhcpBench();
}
