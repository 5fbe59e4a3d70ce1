import { NODE_SPEC_OPTIONS } from '@vsnet/dhcp';
import type { Cluster, ClusterAnalysis, ClusterDocument, Problem } from '@vsnet/model';
import {
  analyzeCluster,
  compileNodeSpecs,
  decodeClusterDocument,
  EditRefusal,
  encodeClusterDocument,
} from '@vsnet/model';
import type { DataSource, EntityManager } from 'typeorm';
import { dropGrantsOfRemovedVsvrs } from '../auth/auth.store.js';
import { AuditEntity } from '../entities/audit.entity.js';
import { ClusterEntity } from '../entities/cluster.entity.js';
import { recordSpecChanges } from '../pipeline/pipeline.store.js';
import { inTransaction } from '../transaction.js';
import { diffClusterDocuments } from './cluster-diff.js';
import { clusterHead, clusterToRows, rowsToDocument } from './cluster-rows.mapper.js';
import { readDesiredState, replaceDesiredState } from './cluster-rows.repository.js';
import type {
  ApplyOptions,
  ApplyResult,
  AuditedCaller,
  ClusterChange,
  ClusterEdit,
  CommitListener,
  CompiledCluster,
  EditResult,
  StoredCluster,
} from './cluster-state.types.js';

/** The one cluster row (ClusterEntity): its lock serializes every change of the desired state. */
const CLUSTER_ROW_ID = 1;
/** Attempts of one apply: a lost race to create the cluster row, or a deadlock, is retried. */
const APPLY_ATTEMPTS = 3;
const RETRIED_ERRORS = new Set(['ER_DUP_ENTRY', 'ER_LOCK_DEADLOCK']);
const AUDIT_TARGET = 'cluster';

/** Thrown when the stored rows do not decode to a valid cluster: the database was changed behind vsnet. */
export class StoredClusterError extends Error {
  override readonly name = 'StoredClusterError';
}

/**
 * The cluster's desired state in the database, read and replaced as a whole: `apply` validates a
 * cluster document with `libs/model`, computes its difference from what is stored and, in one
 * READ COMMITTED transaction holding the cluster row's lock, replaces the rows, bumps the
 * generation and writes the audit row. Concurrent applies serialize on that lock.
 */
export class ClusterStateStore {
  private readonly listeners = new Set<CommitListener>();
  /**
   * The cluster as committed at one generation, read or written by this process. A committed
   * generation's rows never change (every change of them bumps the generation under the
   * cluster row's lock), so a transaction that finds the row at this generation uses it instead
   * of reading and decoding every table again.
   */
  private committed: StoredCluster | undefined;

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Calls `listener` after every committed change with its generation, the filers whose spec
   * it altered (the change pipeline queues their applies) and every filer's compiled spec
   * (the pipeline's reconciler sends them). Called after the commit and never awaited: a
   * listener that fails or is slow does not fail the change, which the pipeline's resync
   * finds anyway. Returns the function that removes the listener.
   */
  onCommitted(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The stored cluster, or `undefined` before the first apply. Call it in a transaction holding
   * the cluster row's lock (as `apply`, `edit` and `export` do, and ConfigApiService.snapshot):
   * every writer holds that lock for its whole transaction, so the head and the rows agree, and
   * what is read may be kept as the cluster committed at that generation.
   */
  async load(manager: EntityManager): Promise<StoredCluster | undefined> {
    const head = await manager.findOne(ClusterEntity, { where: { id: CLUSTER_ROW_ID } });
    return head === null ? undefined : this.loadRows(manager, head);
  }

  /** The stored cluster as the document `apply` accepts unchanged; `undefined` before the first apply. */
  async export(): Promise<ClusterDocument | undefined> {
    const stored = await inTransaction(this.dataSource, async (manager) => {
      const head = await lockClusterRow(manager, 'pessimistic_read');
      return head === null ? undefined : this.loadRows(manager, head);
    });
    return stored === undefined ? undefined : encodeClusterDocument(stored.cluster);
  }

  /**
   * Validates `document` and makes it the stored cluster. A document with an error problem is
   * refused and nothing is written; an empty difference writes nothing and keeps the generation.
   */
  async apply(document: unknown, options: ApplyOptions): Promise<ApplyResult> {
    const decoded = decodeClusterDocument(document);
    const analysis = analyzeCluster(decoded.cluster);
    const problems: Problem[] = [...decoded.problems, ...analysis.problems];
    if (problems.some((p) => p.severity === 'error')) {
      return { ok: false, problems };
    }
    const cluster = decoded.cluster;
    const next = encodeClusterDocument(cluster);
    if (options.dryRun) {
      // Under the row's read lock like every read here: the head and the rows must agree.
      const stored = await inTransaction(this.dataSource, async (manager) => {
        const head = await lockClusterRow(manager, 'pessimistic_read');
        return head === null ? undefined : this.loadRows(manager, head);
      });
      const changes = diffClusterDocuments(documentOf(stored), next);
      return {
        ok: true,
        changes,
        generation: stored?.generation ?? '0',
        warnings: problems,
        filers: [],
      };
    }
    const { changes, generation, filers, compiled } = await this.retrying(() =>
      inTransaction(this.dataSource, async (manager) => {
        const head = await lockClusterRow(manager, 'pessimistic_write');
        const stored = head === null ? undefined : await this.loadRows(manager, head);
        checkExpectedGeneration(stored, options.expectedGeneration);
        const summary = {
          target: AUDIT_TARGET,
          before: JSON.stringify(summarize(stored?.cluster, stored?.generation ?? '0')),
          after: (generation: string, changes: number) =>
            JSON.stringify({ ...summarize(cluster, generation), changes }),
        };
        return this.commit(manager, head, stored, cluster, analysis, next, options, summary);
      }),
    );
    this.announce(generation, filers, compiled);
    return { ok: true, changes, generation, warnings: problems, filers };
  }

  /**
   * Makes one edit of the stored cluster: in one transaction holding the cluster row's write
   * lock, `edit` gets the stored document (`undefined` before the first change) and returns the
   * next one, or throws an {@link EditRefusal}; the whole resulting cluster is validated with
   * the model (an error refuses the edit: {@link EditRefusal.fromProblems}); the difference is
   * written with a generation bump and one audit row. An edit that changes nothing writes
   * nothing. Concurrent edits serialize on the lock, so each sees the one before it.
   * `alongside`, when given, runs in the same transaction after the write (whether or not the
   * edit changed anything) and may throw to roll the whole edit back: JoinFiler uses its token
   * up and records the agent's address that way.
   */
  async edit<T>(
    edit: ClusterEdit<T>,
    caller: AuditedCaller,
    alongside?: (
      manager: EntityManager,
      written: { changes: readonly ClusterChange[]; generation: string },
    ) => Promise<void>,
  ): Promise<EditResult<T>> {
    const { compiled, ...done } = await this.retrying(() =>
      inTransaction(this.dataSource, async (manager) => {
        const head = await lockClusterRow(manager, 'pessimistic_write');
        const stored = head === null ? undefined : await this.loadRows(manager, head);
        checkExpectedGeneration(stored, caller.expectedGeneration);
        const current = documentOf(stored);
        const planned = edit(current, stored?.cluster);
        const decoded = decodeClusterDocument(planned.document);
        const analysis = analyzeCluster(decoded.cluster);
        const problems = [...decoded.problems, ...analysis.problems];
        if (problems.some((p) => p.severity === 'error')) {
          throw EditRefusal.fromProblems(problems);
        }
        const next = encodeClusterDocument(decoded.cluster);
        const summary = {
          target: planned.target,
          before: planned.before,
          after: () => planned.after,
        };
        const written = await this.commit(
          manager,
          head,
          stored,
          decoded.cluster,
          analysis,
          next,
          caller,
          summary,
        );
        await alongside?.(manager, written);
        return { ...written, warnings: problems, result: planned.result };
      }),
    );
    this.announce(done.generation, done.filers, compiled);
    return done;
  }

  /** Tells every listener of a committed change; nothing when the change wrote nothing. */
  private announce(
    generation: string,
    filers: readonly string[],
    compiled: CompiledCluster | undefined,
  ): void {
    if (compiled === undefined) {
      return;
    }
    // Only now, after the transaction committed: a rolled-back generation must never be reused.
    this.committed = { cluster: compiled.cluster, generation };
    for (const listener of this.listeners) {
      try {
        listener(generation, filers, compiled);
      } catch {
        // The change is committed; the pipeline's resync finds its filers without the listener.
      }
    }
  }

  /** Runs `work` again after a lost race to create the cluster row or a deadlock. */
  private async retrying<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (attempt >= APPLY_ATTEMPTS || !RETRIED_ERRORS.has(driverCode(error) ?? '')) {
          throw error;
        }
      }
    }
  }

  /**
   * The write path shared by `apply` and `edit`, inside their transaction and under the lock:
   * the difference from what is stored, and when there is one the rows, the generation, the
   * audit row, and the change's targets: the filers whose compiled spec it altered. Returns
   * the compiled specs too (for the listeners, once committed) when it wrote.
   */
  private async commit(
    manager: EntityManager,
    head: ClusterEntity | null,
    stored: StoredCluster | undefined,
    cluster: Cluster,
    analysis: ClusterAnalysis,
    next: ClusterDocument,
    caller: AuditedCaller,
    summary: {
      target: string;
      before: string;
      after: (generation: string, changes: number) => string;
    },
  ): Promise<{
    changes: ClusterChange[];
    generation: string;
    filers: string[];
    compiled?: CompiledCluster;
  }> {
    const changes = diffClusterDocuments(documentOf(stored), next);
    if (changes.length === 0) {
      return { changes, generation: stored?.generation ?? '0', filers: [] };
    }
    const generation = String(BigInt(stored?.generation ?? '0') + 1n);
    const now = new Date();
    const row = { ...clusterHead(cluster), generation, updatedAt: now };
    if (head === null) {
      // A concurrent first apply makes this fail with ER_DUP_ENTRY; `apply` then retries.
      await manager.insert(ClusterEntity, { id: CLUSTER_ROW_ID, ...row });
    } else {
      await manager.update(ClusterEntity, { id: CLUSTER_ROW_ID }, row);
    }
    await replaceDesiredState(manager, clusterToRows(cluster));
    await dropGrantsOfRemovedVsvrs(
      manager,
      stored?.cluster.vsvrs.map((v) => v.name) ?? [],
      cluster.vsvrs.map((v) => v.name),
      caller,
    );
    await manager.insert(AuditEntity, {
      at: now,
      principal: caller.principal,
      rpc: caller.rpc,
      target: summary.target,
      beforeSummary: summary.before,
      afterSummary: summary.after(generation, changes.length),
      peer: caller.peer,
      generation,
    });
    const specs = compileNodeSpecs(cluster, analysis, NODE_SPEC_OPTIONS);
    const filers = await recordSpecChanges(
      manager,
      generation,
      specs.map((s) => ({ filer: s.filer, hash: s.hash })),
      now,
    );
    const compiled: CompiledCluster = {
      generation,
      cluster,
      specs: new Map(specs.map((s) => [s.filer.toLowerCase(), s])),
    };
    return { changes, generation, filers, compiled };
  }

  private async loadRows(manager: EntityManager, head: ClusterEntity): Promise<StoredCluster> {
    if (this.committed?.generation === head.generation) {
      return this.committed;
    }
    const document = rowsToDocument(head, await readDesiredState(manager));
    const decoded = decodeClusterDocument(document);
    const errors = decoded.problems.filter((p) => p.severity === 'error');
    if (errors.length > 0) {
      throw new StoredClusterError(
        `the stored cluster does not decode: ${errors.map((p) => p.message).join('; ')}`,
      );
    }
    // Read under the cluster row's lock, so these are the rows committed at this generation.
    this.committed = { cluster: decoded.cluster, generation: head.generation };
    return this.committed;
  }
}

async function lockClusterRow(
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

/** Refuses a change when the caller named a generation and the stored one moved on. */
function checkExpectedGeneration(
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

function documentOf(stored: StoredCluster | undefined): ClusterDocument | undefined {
  return stored === undefined ? undefined : encodeClusterDocument(stored.cluster);
}

/** Counts for the audit row: small enough for NDB's inline TEXT part, enough to see the scale. */
function summarize(cluster: Cluster | undefined, generation: string): Record<string, unknown> {
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

function driverCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) {
    return undefined;
  }
  const e = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = e.driverError?.code ?? e.code;
  return typeof code === 'string' ? code : undefined;
}
