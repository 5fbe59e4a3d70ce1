import { formatPath } from '@vsnet/model';
import type { CheckedCluster, LocatedProblem } from './checked-cluster.js';
import type { ClusterFile } from './cluster-file.js';
import type { Palette } from './output.js';
import { EXIT_INVALID, EXIT_OK } from './cli-io.js';

function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/**
 * Where a problem is: `FILE:LINE:COL` in a file; `(server, generation N)` for the cluster
 * the control service stores, which has no lines (the document path says where instead).
 */
export function problemLocation(file: ClusterFile, problem: LocatedProblem): string {
  if (file.stored !== undefined || problem.line === undefined) {
    return file.name;
  }
  return `${file.name}:${problem.line}:${problem.column ?? 1}`;
}

/**
 * One problem on one line, the way compilers print them, so editors and `grep` can jump
 * to it: `seed.yaml:88:18 error vsvrs[0].addresses[3].address: … — hint: … [address.duplicate]`.
 */
export function formatProblem(
  file: ClusterFile,
  problem: LocatedProblem,
  palette: Palette,
): string {
  const where = palette.bold(problemLocation(file, problem));
  const severity =
    problem.severity === 'error'
      ? palette.bold(palette.red('error'))
      : palette.bold(palette.yellow('warning'));
  const hint = problem.hint === '' ? '' : palette.dim(` — hint: ${problem.hint}`);
  const code = palette.dim(` [${problem.code}]`);
  return `${where} ${severity} ${palette.cyan(formatPath(problem.path))}: ${problem.message}${hint}${code}`;
}

/** `2 errors, 1 warning`; only the counts that are not zero, or `no problems`. */
export function problemCounts(checked: CheckedCluster): string {
  const parts: string[] = [];
  if (checked.errorCount > 0) {
    parts.push(plural(checked.errorCount, 'error'));
  }
  if (checked.warningCount > 0) {
    parts.push(plural(checked.warningCount, 'warning'));
  }
  return parts.length === 0 ? 'no problems' : parts.join(', ');
}

/** How big the cluster is: `2 filers, 3 vsvrs, 22 addresses`. */
export function clusterSize(checked: CheckedCluster): string {
  const { filers, vsvrs, mysqlNodes } = checked.cluster;
  const addresses =
    filers.reduce((n, f) => n + f.addresses.length, 0) +
    vsvrs.reduce((n, v) => n + v.addresses.length, 0) +
    mysqlNodes.reduce((n, m) => n + m.addresses.length, 0);
  return [
    plural(filers.length, 'filer'),
    plural(vsvrs.length, 'vsvr'),
    plural(addresses, 'address', 'addresses'),
  ].join(', ');
}

/** The last line of `validate`: what is wrong, or that the document is valid and how big. */
export function summaryLine(checked: CheckedCluster, palette: Palette): string {
  if (checked.errorCount > 0) {
    return palette.bold(palette.red(problemCounts(checked)));
  }
  const warnings =
    checked.warningCount > 0 ? palette.yellow(`; ${plural(checked.warningCount, 'warning')}`) : '';
  return `${palette.bold(palette.green('valid'))}: ${clusterSize(checked)}${warnings}`;
}

/**
 * For verbs whose output is something other than the problems (plan, addresses): writes
 * the problems to stderr, says what they mean for `consequence`, and returns the exit code.
 */
export function reportProblemsAside(
  checked: CheckedCluster,
  consequence: string,
  stderr: { write(s: string): void },
  palette: Palette,
): number {
  if (checked.problems.length === 0) {
    return EXIT_OK;
  }
  const lines = checked.problems.map((p) => formatProblem(checked.file, p, palette));
  const counts = problemCounts(checked);
  lines.push(
    checked.errorCount > 0
      ? palette.bold(palette.red(`${counts}: ${consequence} until the errors are fixed`))
      : palette.yellow(counts),
  );
  stderr.write(`${lines.join('\n')}\n`);
  return checked.errorCount > 0 ? EXIT_INVALID : EXIT_OK;
}

/**
 * A problem as JSON/YAML output carries it: the model's fields, then the line and column
 * where it was written (left out for the control service's document, which has none).
 */
export function problemRecord(problem: LocatedProblem): Record<string, unknown> {
  return {
    severity: problem.severity,
    code: problem.code,
    path: [...problem.path],
    message: problem.message,
    hint: problem.hint,
    ...(problem.line !== undefined ? { line: problem.line, column: problem.column } : {}),
  };
}
