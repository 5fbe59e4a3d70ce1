import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIpBatch } from './ip-batch.js';

/** A line of the agent's own `ip -batch` (`netns add …`, `netns exec NS sysctl …`). */
export interface RootStep {
  readonly kind: 'root';
  readonly line: string;
}

/** An `ip -force -batch` inside a namespace ('' is the agent's own). */
export interface NamespaceStep {
  readonly kind: 'namespace';
  readonly netns: string;
  readonly ipv6?: boolean;
  readonly lines: readonly string[];
}

export type Step = RootStep | NamespaceStep;

export interface StepResult {
  /** Errors by line of a namespace step (1-based). */
  readonly failures: ReadonlyMap<number, string>;
  /** The whole step failed: a root line's error, or a namespace batch that could not run. */
  readonly fatal?: string;
}

/** The outer batch gets `timeoutMs` for itself and for every this many namespaces it visits. */
const NAMESPACES_PER_TIMEOUT = 10;

/**
 * Runs steps in order with as few processes as possible: one `ip -force -batch -` in the
 * agent's namespace runs the root lines and, for each namespace step, `netns exec NS ip -force
 * -batch <file>`. Forking from `ip` costs a fraction of forking from Node (LAB.md: ~2.6 ms per
 * `ip` process, more from a large Node process), which is what an apply over 100 namespaces
 * is made of. Steps that all run in one namespace run directly (`ip -n NS -batch -`, one
 * process), with no files; a step in the agent's own namespace ('') cannot be a batch line and
 * runs on its own.
 */
export async function runSteps(steps: readonly Step[], timeoutMs: number): Promise<StepResult[]> {
  const results: StepResult[] = [];
  let group: Step[] = [];
  const flush = async (): Promise<void> => {
    results.push(...(await runGroup(group, timeoutMs)));
    group = [];
  };
  for (const step of steps) {
    if (step.kind === 'namespace' && step.netns === '') {
      await flush();
      results.push(await direct(step, timeoutMs));
    } else {
      group.push(step);
    }
  }
  await flush();
  return results;
}

async function direct(step: NamespaceStep, timeoutMs: number): Promise<StepResult> {
  const batch = await runIpBatch(
    { netns: step.netns, ipv6: step.ipv6 ?? false },
    step.lines,
    timeoutMs,
  );
  return { failures: batch.failures, ...(batch.fatal !== undefined ? { fatal: batch.fatal } : {}) };
}

/**
 * Steps that all run in one namespace (a failover's removals, then its links, addresses and
 * routes) as one `ip -n NS -batch -`: one process instead of an outer batch, its files and
 * one `netns exec` per step. Each step gets its own lines' failures back.
 */
async function directAll(
  steps: readonly NamespaceStep[],
  timeoutMs: number,
): Promise<StepResult[]> {
  const [first] = steps;
  if (first === undefined) {
    return [];
  }
  const merged = await direct({ ...first, lines: steps.flatMap((s) => s.lines) }, timeoutMs);
  let offset = 0;
  return steps.map((step) => {
    const failures = new Map<number, string>();
    for (const [line, message] of merged.failures) {
      if (line > offset && line <= offset + step.lines.length) {
        failures.set(line - offset, message);
      }
    }
    offset += step.lines.length;
    return { failures, ...(merged.fatal !== undefined ? { fatal: merged.fatal } : {}) };
  });
}

/** The steps, when every one is a batch in the same namespace and family. */
function inOneNamespace(group: readonly Step[]): NamespaceStep[] | undefined {
  const [first] = group;
  const steps = group.filter((s): s is NamespaceStep => s.kind === 'namespace');
  return first?.kind === 'namespace' &&
    steps.length === group.length &&
    steps.every((s) => s.netns === first.netns && (s.ipv6 ?? false) === (first.ipv6 ?? false))
    ? steps
    : undefined;
}

async function runGroup(group: readonly Step[], timeoutMs: number): Promise<StepResult[]> {
  if (group.length === 0) {
    return [];
  }
  const oneNamespace = inOneNamespace(group);
  if (oneNamespace !== undefined) {
    return directAll(oneNamespace, timeoutMs);
  }
  const dir = await mkdtemp(join(tmpdir(), 'vsnet-ip-'));
  try {
    const files = new Map<number, string>();
    const lines = await Promise.all(
      group.map(async (step, i) => {
        if (step.kind === 'root') {
          return step.line;
        }
        const file = join(dir, `${i}.batch`);
        files.set(i, file);
        await writeFile(file, step.lines.join('\n') + '\n');
        return `netns exec ${step.netns} ip${step.ipv6 ? ' -6' : ''} -force -batch ${file}`;
      }),
    );
    const visits = files.size;
    const outer = await runIpBatch(
      { netns: '' },
      lines,
      timeoutMs * (1 + Math.floor(visits / NAMESPACES_PER_TIMEOUT)),
    );
    const byFile = parseFailuresByFile(outer.result.stderr);
    const outerFailures = byFile.get('-') ?? new Map<number, string>();
    return group.map((step, i): StepResult => {
      const own = byFile.get(files.get(i) ?? '') ?? new Map<number, string>();
      const outerError = outerFailures.get(i + 1);
      const fatal =
        outer.fatal ??
        (outerError !== undefined && (step.kind === 'root' || own.size === 0)
          ? outerError
          : undefined);
      return { failures: own, ...(fatal !== undefined ? { fatal } : {}) };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Like parseBatchFailures, for stderr that mixes several batch files: by file, then line. */
export function parseFailuresByFile(stderr: string): Map<string, Map<number, string>> {
  const byFile = new Map<string, Map<number, string>>();
  let pending: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    const failed = /^Command failed (.*):(\d+)$/.exec(line);
    if (failed) {
      const [, file = '', n = '0'] = failed;
      const lines = byFile.get(file) ?? new Map<number, string>();
      lines.set(Number(n), pending.join(' ') || 'failed');
      byFile.set(file, lines);
      pending = [];
    } else if (line !== '') {
      pending.push(line);
    }
  }
  return byFile;
}
