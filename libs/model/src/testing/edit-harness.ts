import { analyzeCluster } from '../analyze.js';
import { decodeClusterDocument } from '../decode.js';
import type { ClusterDocument } from '../document-types.js';
import { EditRefusal } from '../edits/edit-refusal.js';
import type { PlannedEdit } from '../edits/planned-edit.js';
import { encodeClusterDocument } from '../encode.js';

/**
 * Runs an edit the way ClusterStateStore.edit does, without a database: the edit, then the
 * whole-cluster validation (an error refuses it), then the document as it would be stored.
 */
export function commitEdit<T>(
  current: ClusterDocument | undefined,
  edit: (current: ClusterDocument | undefined) => PlannedEdit<T>,
): { document: ClusterDocument; result: T } {
  const planned = edit(current === undefined ? undefined : structuredClone(current));
  const decoded = decodeClusterDocument(planned.document);
  const problems = [...decoded.problems, ...analyzeCluster(decoded.cluster).problems];
  if (problems.some((p) => p.severity === 'error')) {
    throw EditRefusal.fromProblems(problems);
  }
  return { document: encodeClusterDocument(decoded.cluster), result: planned.result };
}

/** The refusal `work` throws; fails the test when it throws something else or nothing. */
export function refusalOf(work: () => unknown): EditRefusal {
  try {
    work();
  } catch (error) {
    if (error instanceof EditRefusal) {
      return error;
    }
    throw error;
  }
  throw new Error('expected an EditRefusal, but the edit was made');
}
