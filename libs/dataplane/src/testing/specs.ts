import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ClusterDocument, NodeSpec } from '@vsnet/model';
import { analyzeCluster, compileNodeSpecs, decodeClusterDocument } from '@vsnet/model';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'deploy', 'examples');

/** Compiles a cluster document; throws with the problems when it is not valid. */
export function compileSpecs(doc: unknown): NodeSpec[] {
  const decoded = decodeClusterDocument(doc);
  const analysis = analyzeCluster(decoded.cluster);
  const errors = [...decoded.problems, ...analysis.problems].filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`invalid cluster: ${errors.map((p) => p.message).join('; ')}`);
  }
  return compileNodeSpecs(decoded.cluster, analysis);
}

/** The node specs of deploy/examples/lab-cluster.yaml, by filer name. */
export function labClusterSpecs(): Map<string, NodeSpec> {
  const doc = parse(readFileSync(join(EXAMPLES, 'lab-cluster.yaml'), 'utf8')) as ClusterDocument;
  return new Map(compileSpecs(doc).map((s) => [s.filer, s]));
}
