import { analyzeCluster, decodeClusterDocument } from '@vsnet/model';
import type { Cluster, ClusterAnalysis, Problem } from '@vsnet/model';
import type { ClusterFile, SourcePosition } from './cluster-file.js';

/**
 * A problem with the place in the source where a person should look: its line and column
 * in a file; none for the control service's document, which has only the document path.
 */
export interface LocatedProblem extends Problem, Partial<SourcePosition> {}

/** A cluster document decoded and analyzed: what every verb starts from. */
export interface CheckedCluster {
  readonly file: ClusterFile;
  readonly cluster: Cluster;
  readonly analysis: ClusterAnalysis;
  /** Decode and analysis problems together, in source order. */
  readonly problems: readonly LocatedProblem[];
  readonly errorCount: number;
  readonly warningCount: number;
}

/**
 * Decodes and analyzes the document. The analysis runs even when decoding found errors:
 * the decoded cluster is a best effort, and a person fixing a document wants every problem
 * in one pass, not one layer at a time. Problems come in the order the document is written
 * (for the control service's document, the order `vsnet export` prints it in).
 */
export function checkCluster(file: ClusterFile): CheckedCluster {
  const decoded = decodeClusterDocument(file.data);
  const analysis = analyzeCluster(decoded.cluster);
  const problems = [...decoded.problems, ...analysis.problems]
    .map((problem, index) => ({ problem, index, at: file.locate(problem.path) }))
    // Source order reads like a compiler's output; the index keeps the sort stable.
    .sort((a, b) => a.at.line - b.at.line || a.at.column - b.at.column || a.index - b.index)
    .map(({ problem, at }): LocatedProblem => (file.stored ? problem : { ...problem, ...at }));
  const errorCount = problems.filter((p) => p.severity === 'error').length;
  return {
    file,
    cluster: decoded.cluster,
    analysis,
    problems,
    errorCount,
    warningCount: problems.length - errorCount,
  };
}
