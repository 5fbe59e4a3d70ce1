/**
 * Benchmark of the agent's own Apply (the part of change → applied that the pipeline bench
 * cannot split): a ReconcilerService on the linux driver, its real fencing and spec cache in a
 * temporary state folder, over a fresh filer namespace with VSVRS vsvrs. Alternately adds and
 * removes one address of one vsvr with ever newer generations, as control does, and prints the
 * p50/p90/p99 of the whole Apply and of its parts (inspect, apply, verify, durable writes).
 * Needs root; never fails on time (STYLE.md rule 18); cleans up everything it started.
 *
 *   npx nest build cli && node dist/test/bench/agent-apply/main.js [changes]
 */
import * as fs from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataplaneDriver } from '@vsnet/dataplane';
import { createLinuxDriver } from '@vsnet/dataplane';
import type { ClusterDocument, NodeSpec } from '@vsnet/model';
import { analyzeCluster, compileNodeSpecs, decodeClusterDocument } from '@vsnet/model';
import { AgentEvents } from '../../../apps/agent/src/agent-events.js';
import type { AtomicFileSystem } from '../../../apps/agent/src/atomic-file.js';
import { FencingStore } from '../../../apps/agent/src/fencing-store.js';
import { Logger } from '../../../apps/agent/src/logger.js';
import { ReconcilerService } from '../../../apps/agent/src/reconciler.service.js';
import { SpecCache } from '../../../apps/agent/src/spec-cache.js';
import {
  deleteNamespaces,
  freshFiler,
  namespacesStartingWith,
  removeStale,
} from '../dataplane/bench-lab.js';

const ROOT = 'vsaab';
const PREFIX = `${ROOT}${process.pid}-`;
const CHANGES = Number(process.argv[2] ?? 200);
const WARMUP = 10;
const VSVRS = 5;

const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
const pct = (xs: readonly number[], p: number): number =>
  sorted(xs)[Math.max(0, Math.ceil(xs.length * p) - 1)] ?? NaN;
const ms = (x: number): string => `${x.toFixed(1).padStart(6)} ms`;

function specOf(extra: boolean): NodeSpec {
  const doc: ClusterDocument = {
    apiVersion: 'vsnet/v1',
    kind: 'Cluster',
    cluster: { name: 'bench', mac: '02:00:5e:10:00:03', defaultRoutingPolicy: 'gw' },
    filers: [
      {
        name: 'filer1',
        interfaces: [
          { name: 'eth0' },
          { name: 'eth1' },
          { name: 'mgmt0', on: 'eth0' },
          { name: 'data0', on: 'eth1' },
        ],
        addresses: [{ alias: 'mgmt0', address: '198.19.0.11/24' }],
      },
    ],
    vsvrs: Array.from({ length: VSVRS }, (_, i) => ({
      name: `v${i}`,
      addresses: [
        { alias: 'data0', address: `198.18.${1 + i}.1/16` },
        { alias: 'data0', address: `2001:db8:0:1::${(i + 1).toString(16)}:1/64` },
        ...(extra && i === 0 ? [{ alias: 'data0', address: '198.18.200.62/16' }] : []),
      ],
    })),
    routingPolicies: [{ name: 'gw', routes: [{ to: 'default', via: '198.18.0.1' }] }],
  };
  const decoded = decodeClusterDocument(doc);
  const analysis = analyzeCluster(decoded.cluster);
  const errors = [...decoded.problems, ...analysis.problems].filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`the bench cluster is not valid: ${errors.map((e) => e.message).join('; ')}`);
  }
  const [spec] = compileNodeSpecs(decoded.cluster, analysis);
  if (spec === undefined) {
    throw new Error('no spec compiled');
  }
  return spec;
}

/** Adds each call's duration to `into[name]`. */
function timedDriver(inner: DataplaneDriver, into: Map<string, number>): DataplaneDriver {
  const add = (name: string, t: number): void => {
    into.set(name, (into.get(name) ?? 0) + performance.now() - t);
  };
  const wrap =
    <A extends unknown[], R>(name: string, f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const t = performance.now();
      try {
        return await f(...a);
      } finally {
        add(name, t);
      }
    };
  return {
    kind: inner.kind,
    inspect: wrap('inspect', () => inner.inspect()),
    plan: (s, o) => inner.plan(s, o),
    apply: wrap('apply', (p) => inner.apply(p)),
    verify: wrap('verify', (s) => inner.verify(s)),
    counters: () => inner.counters(),
  };
}

function timedFiles(into: Map<string, number>): AtomicFileSystem {
  return {
    ...fs,
    open: async (path, flags, mode) => {
      const handle = await fs.open(path, flags, mode);
      if (flags === 'r' || flags === 'w') {
        const sync = handle.sync.bind(handle);
        handle.sync = async () => {
          const t = performance.now();
          await sync();
          into.set('fsync', (into.get('fsync') ?? 0) + performance.now() - t);
          into.set('fsyncs', (into.get('fsyncs') ?? 0) + 1);
        };
      }
      return handle;
    },
  };
}

async function main(): Promise<void> {
  await removeStale(ROOT);
  const { filer } = await freshFiler(PREFIX);
  const stateDir = await mkdtemp(join(tmpdir(), 'vsnet-agent-bench-'));
  try {
    const parts = new Map<string, number>();
    const driver = timedDriver(
      createLinuxDriver({ filerNamespace: filer, namespacePrefix: PREFIX, timeoutMs: 60_000 }),
      parts,
    );
    const files = timedFiles(parts);
    const fencing = await FencingStore.open(stateDir, files);
    const reconciler = new ReconcilerService(
      'filer1',
      driver,
      fencing,
      new SpecCache(fencing),
      new AgentEvents(),
      new Logger(() => undefined),
    );
    const specs = [specOf(true), specOf(false)];
    const rows = new Map<string, number[]>();
    let generation = 0n;
    for (let i = 0; i < WARMUP + CHANGES; i++) {
      parts.clear();
      generation++;
      const t = performance.now();
      const outcome = await reconciler.apply({
        spec: specs[i % 2]!,
        generation,
        epoch: 1n,
        dryRun: false,
      });
      const total = performance.now() - t;
      if (i > 0 && !outcome.changed) {
        throw new Error(`change ${i} changed nothing`);
      }
      if (i >= WARMUP) {
        for (const [k, v] of [['apply (total)', total], ...parts] as [string, number][]) {
          rows.set(k, [...(rows.get(k) ?? []), v]);
        }
      }
    }
    const say = (line: string): void => void process.stdout.write(`${line}\n`);
    say(
      `agent Apply, ${CHANGES} one-address changes (${VSVRS} vsvrs), load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    say(`${''.padEnd(16)}    p50       p90       p99`);
    for (const [k, v] of rows) {
      const f = k === 'fsyncs' ? (x: number): string => x.toFixed(0).padStart(9) : ms;
      say(`${k.padEnd(16)} ${f(pct(v, 0.5))} ${f(pct(v, 0.9))} ${f(pct(v, 0.99))}`);
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
    await deleteNamespaces(await namespacesStartingWith(PREFIX));
  }
}

await main();
