import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import { analyzeCluster, decodeClusterDocument, formatPath } from '@vsnet/model';
import type { Cluster, ClusterAnalysis } from '@vsnet/model';

/** The Debian package of each validator: a missing binary fails the test and says what to install. */
export const PACKAGE_OF = {
  'kea-dhcp4': 'kea-dhcp4-server',
  'kea-dhcp6': 'kea-dhcp6-server',
  dhcpd: 'isc-dhcp-server',
  dhclient: 'isc-dhcp-client',
  unshare: 'util-linux',
} as const;
export type Validator = keyof typeof PACKAGE_OF;

const SEARCH_PATH = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin'];
const CHECK_TIMEOUT_MS = 120_000;

/** The absolute path of a validator, or an Error naming the package that provides it. */
export function binary(name: Validator): string {
  for (const dir of SEARCH_PATH) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  throw new Error(
    `${name} is not installed, so the generated configuration cannot be checked: apt-get install -y ${PACKAGE_OF[name]}`,
  );
}

export interface CheckResult {
  readonly ok: boolean;
  readonly output: string;
}

/** A temporary directory for one check, removed afterwards whatever happens. */
export function withTempDir<T>(work: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'vsnet-dhcp-'));
  try {
    return work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the real server's own configuration check on `text`. */
export function checkConfig(kind: 'kea4' | 'kea6' | 'dhcpd' | 'dhcpd6', text: string): CheckResult {
  return withTempDir((dir) => {
    const file = join(dir, 'config');
    writeFileSync(file, text);
    const [bin, args] =
      kind === 'kea4'
        ? [binary('kea-dhcp4'), ['-t', file]]
        : kind === 'kea6'
          ? [binary('kea-dhcp6'), ['-t', file]]
          : [
              binary('dhcpd'),
              [
                ...(kind === 'dhcpd6' ? ['-6'] : []),
                '-t',
                '-cf',
                file,
                '-lf',
                join(dir, 'leases'),
                '-pf',
                join(dir, 'pid'),
              ],
            ];
    const run = spawnSync(bin, args, {
      encoding: 'utf8',
      timeout: CHECK_TIMEOUT_MS,
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir, KEA_LOG_FILE_DIR: dir },
    });
    const output = `${run.stdout}${run.stderr}`;
    return { ok: run.status === 0, output: run.error ? `${run.error.message}\n${output}` : output };
  });
}

/**
 * dhclient has no check mode: it parses its configuration, reports each error as
 * `FILE line N: …`, then runs. It runs here in a network namespace of its own (no
 * interfaces, nothing sent) for a moment and is stopped; its parse errors are the result.
 */
export function checkDhclient(text: string): CheckResult {
  return withTempDir((dir) => {
    const file = join(dir, 'dhclient.conf');
    writeFileSync(file, text);
    const run = spawnSync(
      binary('unshare'),
      [
        '--net',
        binary('dhclient'),
        '-cf',
        file,
        '-lf',
        join(dir, 'leases'),
        '-pf',
        join(dir, 'pid'),
        '-sf',
        '/bin/true',
        '-n',
        '-w',
        '-d',
      ],
      { encoding: 'utf8', timeout: 1500, killSignal: 'SIGKILL' },
    );
    const output = `${run.stdout}${run.stderr}`;
    const parsed = output.includes('DHCP Client') || output.includes('Socket/fallback');
    const errors = /line \d+:/.test(output);
    return { ok: parsed && !errors, output };
  });
}

/** A cluster document from a file, decoded and analyzed; throws when it has errors. */
export function loadCluster(text: string): { cluster: Cluster; analysis: ClusterAnalysis } {
  return analyzed(parse(text) as unknown);
}

export function analyzed(data: unknown): { cluster: Cluster; analysis: ClusterAnalysis } {
  const decoded = decodeClusterDocument(data);
  const analysis = analyzeCluster(decoded.cluster);
  const errors = [...decoded.problems, ...analysis.problems].filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    throw new Error(
      `the test cluster has errors: ${errors.map((p) => `${formatPath(p.path)}: ${p.message}`).join('; ')}`,
    );
  }
  return { cluster: decoded.cluster, analysis };
}

const ROOT = new URL('../..', import.meta.url).pathname;

export function exampleText(name: 'lab-cluster.yaml' | 'seed-cluster.yaml'): string {
  return readFileSync(join(ROOT, 'deploy/examples', name), 'utf8');
}

/** The seed as printed has one duplicate address; this is the corrected one (common brief). */
export function correctedSeed(): string {
  const text = exampleText('seed-cluster.yaml');
  const wrong = '{ alias: san0, address: 10.2.2.3/24 }';
  if (!text.includes(wrong)) {
    throw new Error(
      `deploy/examples/seed-cluster.yaml no longer holds "${wrong}"; update the test`,
    );
  }
  return text.replace(wrong, '{ alias: san0, address: 10.2.2.4/24 }');
}
