import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterDocument } from '@vsnet/model';
import { parse } from 'yaml';
import {
  clusterDocumentFromWire,
  clusterDocumentToWire,
} from '../../../libs/contracts/src/cluster-api-document.js';
import type { ClusterDocument__Output } from '../../../libs/contracts/src/generated/vsnet/v1/ClusterDocument.js';
import type { RunningControl } from './control-service.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'deploy', 'examples');

/** deploy/examples/lab-cluster.yaml: three filers, six vsvrs, policies, sites, MySQL roles. */
export function labCluster(): ClusterDocument {
  return parse(readFileSync(join(EXAMPLES, 'lab-cluster.yaml'), 'utf8')) as ClusterDocument;
}

/** The seed example with Filer2's san0 moved to 10.2.2.4/24, which the model accepts. */
export function correctedSeed(): ClusterDocument {
  const text = readFileSync(join(EXAMPLES, 'seed-cluster.yaml'), 'utf8');
  const corrected = text.replace(
    '{ alias: san0, address: 10.2.2.3/24 }',
    '{ alias: san0, address: 10.2.2.4/24 }',
  );
  if (corrected === text) {
    throw new Error('seed-cluster.yaml no longer has the duplicate san0 address this expects');
  }
  return parse(corrected) as ClusterDocument;
}

/** Applies `document` as the admin; throws with the server's message when it is refused. */
export async function applyAsAdmin(r: RunningControl, document: ClusterDocument): Promise<string> {
  const { res, err } = await r.call<{ generation: string }>(
    'ConfigService',
    'Apply',
    { document: clusterDocumentToWire(document), dryRun: false },
    r.adminToken,
  );
  if (err !== undefined || res === undefined) {
    throw new Error(`Apply was refused: ${err?.details ?? 'no answer'}`);
  }
  return res.generation;
}

/** The stored cluster as Export gives it, with its generation. */
export async function exportAsAdmin(
  r: RunningControl,
): Promise<{ document: ClusterDocument; generation: string }> {
  const { res, err } = await r.call<{ document: ClusterDocument__Output; generation: string }>(
    'ConfigService',
    'Export',
    {},
    r.adminToken,
  );
  if (err !== undefined || res === undefined) {
    throw new Error(`Export failed: ${err?.details ?? 'no answer'}`);
  }
  return { document: clusterDocumentFromWire(res.document), generation: res.generation };
}
