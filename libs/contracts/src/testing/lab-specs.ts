import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import type { NodeSpec } from '@vsnet/model';
import { analyzeCluster, compileNodeSpecs, decodeClusterDocument } from '@vsnet/model';
import { protoRoot } from '../proto-files.js';

/** The repository's lab example, the richest valid cluster we have (bonds, VLANs, failover). */
export const LAB_CLUSTER_FILE = join(dirname(protoRoot()), 'deploy/examples/lab-cluster.yaml');

/** Every filer's spec compiled from deploy/examples/lab-cluster.yaml; throws if it has errors. */
export function labNodeSpecs(): NodeSpec[] {
  const decoded = decodeClusterDocument(parse(readFileSync(LAB_CLUSTER_FILE, 'utf8')));
  const analysis = analyzeCluster(decoded.cluster);
  const errors = [...decoded.problems, ...analysis.problems].filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`${LAB_CLUSTER_FILE} has ${errors.length} errors; fix the example first`);
  }
  return compileNodeSpecs(decoded.cluster, analysis);
}

/** The lab spec of one filer (`filer1`, `filer2`, `filer3`). */
export function labNodeSpec(filer: string): NodeSpec {
  const spec = labNodeSpecs().find((s) => s.filer === filer);
  if (spec === undefined) {
    throw new Error(`${LAB_CLUSTER_FILE} has no filer ${filer}`);
  }
  return spec;
}
