import type { ClusterAnalysis } from '../analyze.js';
import { analyzeCluster } from '../analyze.js';
import type { Cluster } from '../cluster.js';
import { decodeClusterDocument } from '../decode.js';
import type { Problem } from '../problems.js';

/** Decodes and analyzes a document the way every caller does; all problems in one list. */
export function check(doc: unknown): {
  cluster: Cluster;
  analysis: ClusterAnalysis;
  problems: Problem[];
  errors: Problem[];
} {
  const decoded = decodeClusterDocument(doc);
  const analysis = analyzeCluster(decoded.cluster);
  const problems = [...decoded.problems, ...analysis.problems];
  return {
    cluster: decoded.cluster,
    analysis,
    problems,
    errors: problems.filter((p) => p.severity === 'error'),
  };
}
