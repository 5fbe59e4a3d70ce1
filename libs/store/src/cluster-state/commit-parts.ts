import { NODE_SPEC_OPTIONS } from '@vsnet/dhcp';
import type { Cluster, ClusterAnalysis, ClusterDocument } from '@vsnet/model';
import { compileNodeSpecs, EditRefusal, encodeClusterDocument } from '@vsnet/model';
import type { EntityManager } from 'typeorm';
import { ClusterEntity } from '../entities/cluster.entity.js';
import { recordSpecChanges } from '../pipeline/pipeline.store.js';
import type { CompiledCluster, StoredCluster } from './cluster-state.types.js';

// The parts of a commit of the cluster's desired state that ClusterStateStore's apply, edit
// and place share: the cluster row's lock, the generation check, compiling and recording the
// specs, and what the audit row says.

/** The one cluster row (ClusterEntity): its lock serializes every change of the desired state. */
export const CLUSTER_ROW_ID = 1;
/** `audit.target`'s width (AuditEntity). */
const AUDIT_TARGET_LENGTH = 160;

/** A committed cluster as the commit compiled it, with the analysis it was compiled from. */
export type AnalyzedCluster = CompiledCluster & { readonly analysis: ClusterAnalysis };

/**
 * Compiles every filer's spec of a new generation with its placement, and records the filers
 * whose spec it altered (change_targets, filer_state) for the pipeline: the part of a commit
 * that `apply`, `edit` and `place` share.
 */
export async function compileAndRecord(
  manager: EntityManager,
  generation: string,
  cluster: Cluster,
  analysis: ClusterAnalysis,
  placement: ReadonlyMap<string, string>,
  now: Date,
): Promise<AnalyzedCluster & { readonly filers: string[] }> {
  const specs = compileNodeSpecs(cluster, analysis, { ...NODE_SPEC_OPTIONS, placement });
  const distinct = new Set(cluster.filers.map((f) => f.name.toLowerCase())).size;
  if (specs.length !== distinct) {
    // An analysis of another cluster object compiles nothing: recording that would retire
    // every filer. Refuse the commit instead (the transaction rolls back).
    throw new Error(
      `compiled ${specs.length} node specs for ${distinct} filers: the analysis does not belong to this cluster`,
    );
  }
  const filers = await recordSpecChanges(
    manager,
    generation,
    specs.map((s) => ({ filer: s.filer, hash: s.hash })),
    now,
  );
  return {
    generation,
    cluster,
    specs: new Map(specs.map((s) => [s.filer.toLowerCase(), s])),
    placement,
    analysis,
    filers,
  };
}

export async function lockClusterRow(
  manager: EntityManager,
  mode: 'pessimistic_read' | 'pessimistic_write',
): Promise<ClusterEntity | null> {
  if (mode === 'pessimistic_read') {
    // Written out: TypeORM renders the read lock as FOR SHARE under the 'mysql' flavour, which
    // MariaDB refuses; LOCK IN SHARE MODE is understood by MySQL 8, NDB and MariaDB alike.
    await manager.query('SELECT id FROM cluster WHERE id = ? LOCK IN SHARE MODE', [CLUSTER_ROW_ID]);
    return manager.findOne(ClusterEntity, { where: { id: CLUSTER_ROW_ID } });
  }
  return manager
    .createQueryBuilder(ClusterEntity, 'cluster')
    .setLock(mode)
    .where('cluster.id = :id', { id: CLUSTER_ROW_ID })
    .getOne();
}

/** The audit target of a placement commit: `vsvr/<name>`, or the names of several, cut to fit. */
export function placementTarget(vsvrs: readonly string[]): string {
  const target = `vsvr/${vsvrs.join(',')}`;
  return target.length <= AUDIT_TARGET_LENGTH
    ? target
    : `${target.slice(0, AUDIT_TARGET_LENGTH - 3)}...`;
}

/** Refuses a change when the caller named a generation and the stored one moved on. */
export function checkExpectedGeneration(
  stored: StoredCluster | undefined,
  expected: string | undefined,
): void {
  const current = stored?.generation ?? '0';
  if (expected !== undefined && expected !== current) {
    throw EditRefusal.field(
      'failed-precondition',
      'expectedGeneration',
      `the cluster is at generation ${current}, not ${expected}; read it again and redo the change`,
      'cluster.stale-generation',
    );
  }
}

export function documentOf(stored: StoredCluster | undefined): ClusterDocument | undefined {
  return stored === undefined ? undefined : encodeClusterDocument(stored.cluster);
}

/** Counts for the audit row: small enough for NDB's inline TEXT part, enough to see the scale. */
export function summarize(
  cluster: Cluster | undefined,
  generation: string,
): Record<string, unknown> {
  if (cluster === undefined) {
    return { generation, empty: true };
  }
  const addresses =
    cluster.filers.reduce((n, f) => n + f.addresses.length, 0) +
    cluster.vsvrs.reduce((n, v) => n + v.addresses.length, 0) +
    cluster.mysqlNodes.reduce((n, m) => n + m.addresses.length, 0);
  return {
    generation,
    filers: cluster.filers.length,
    interfaces: cluster.filers.reduce((n, f) => n + f.interfaces.length, 0),
    vsvrs: cluster.vsvrs.length,
    addresses,
    mysqlNodes: cluster.mysqlNodes.length,
    sites: cluster.sites.length,
    routingPolicies: cluster.routingPolicies.length,
  };
}

export function driverCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) {
    return undefined;
  }
  const e = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = e.driverError?.code ?? e.code;
  return typeof code === 'string' ? code : undefined;
}
