import type { ClusterDocument } from '../document-types.js';
import { API_VERSION, DOCUMENT_KIND } from '../decode.js';
import { isMulticastMac, isZeroMac, normalizeMac } from '../mac.js';
import { objectNameProblem } from '../names.js';
import { requireCluster } from './document-edit.js';
import { EditRefusal } from './edit-refusal.js';
import type { PlannedEdit } from './planned-edit.js';

// Edits of the cluster's own settings (ClusterService). Refusals name the document paths
// `cluster.name` and `cluster.mac`, as proto/vsnet/v1/cluster.proto promises, since those are
// the fields these requests set.

/** The name a cluster gets when none is given (docs/cluster-document.md). */
export const DEFAULT_CLUSTER_NAME = 'cluster';

export interface InitClusterInput {
  /** Empty: {@link DEFAULT_CLUSTER_NAME}. */
  readonly name: string;
  readonly mac: string;
}

/** The cluster's `cluster:` section as stored. */
export type ClusterSettings = ClusterDocument['cluster'];

/**
 * Creates the cluster: its name and cluster MAC, no filers, no vsvrs. The store gives it
 * generation 1. A cluster that exists is ALREADY_EXISTS: re-initializing would change every
 * DHCP identifier behind the filers' backs.
 */
export function initCluster(
  current: ClusterDocument | undefined,
  input: InitClusterInput,
): PlannedEdit<ClusterSettings> {
  if (current !== undefined) {
    const named = current.cluster.name === undefined ? '' : ` as "${current.cluster.name}"`;
    throw EditRefusal.field(
      'already-exists',
      'cluster',
      `the cluster is already initialized${named}; change its MAC with vsnet cluster set-mac, or edit it with vsnet apply`,
      'cluster.initialized',
    );
  }
  const name = input.name.trim() === '' ? DEFAULT_CLUSTER_NAME : input.name.trim();
  const bad = objectNameProblem('cluster', name);
  if (bad !== undefined) {
    throw EditRefusal.field(
      'invalid-argument',
      'cluster.name',
      `${bad.reason}: ${bad.hint}`,
      'name.invalid',
    );
  }
  const cluster: ClusterSettings = { name, mac: requireClusterMac(input.mac) };
  const document: ClusterDocument = {
    apiVersion: API_VERSION,
    kind: DOCUMENT_KIND,
    cluster,
    filers: [],
  };
  return {
    document,
    target: 'cluster',
    before: '',
    after: describeCluster(cluster),
    result: { ...cluster },
  };
}

/**
 * Sets a new cluster MAC (§5.2.4). Every DHCP identifier is derived from it, so every
 * identifier changes with it; a MAC equal to the current one changes nothing.
 */
export function changeClusterMac(
  current: ClusterDocument | undefined,
  mac: string,
): PlannedEdit<ClusterSettings> {
  const document = requireCluster(current);
  const next = requireClusterMac(mac);
  for (const filer of document.filers) {
    const taken = filer.interfaces.find((i) => i.mac !== undefined && normalizeMac(i.mac) === next);
    if (taken !== undefined) {
      throw EditRefusal.field(
        'invalid-argument',
        'cluster.mac',
        `${next} is the MAC of ${taken.name} on ${filer.name}; the cluster MAC must differ from every interface's MAC, so choose another`,
        'mac.duplicate',
      );
    }
  }
  const before = describeCluster(document.cluster);
  document.cluster = { ...document.cluster, mac: next };
  return {
    document,
    target: 'cluster',
    before,
    after: describeCluster(document.cluster),
    result: { ...document.cluster },
  };
}

/** A unicast MAC in its stored form, or INVALID_ARGUMENT at `cluster.mac`. */
function requireClusterMac(text: string): string {
  const mac = normalizeMac(text);
  if (mac === undefined) {
    throw EditRefusal.field(
      'invalid-argument',
      'cluster.mac',
      `"${text}" is not a MAC address; write six hex pairs, e.g. 00:00:5e:00:53:01`,
      'mac.invalid',
    );
  }
  if (isZeroMac(mac) || isMulticastMac(mac)) {
    throw EditRefusal.field(
      'invalid-argument',
      'cluster.mac',
      `${mac} is ${isZeroMac(mac) ? 'all zeros' : 'a multicast address'}; use a unicast MAC (the low bit of the first octet clear)`,
      'mac.invalid',
    );
  }
  return mac;
}

function describeCluster(c: ClusterSettings): string {
  return `cluster ${c.name ?? DEFAULT_CLUSTER_NAME}, MAC ${c.mac}`;
}
