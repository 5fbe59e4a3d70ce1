import type { Cluster, ClusterAnalysis, ClusterDocument, Problem } from '@vsnet/model';
import {
  analyzeCluster,
  decodeClusterDocument,
  EditRefusal,
  encodeClusterDocument,
} from '@vsnet/model';
import type { DataSource, EntityManager } from 'typeorm';
import { dropGrantsOfRemovedVsvrs } from '../auth/auth.store.js';
import { AuditEntity } from '../entities/audit.entity.js';
import { ClusterEntity } from '../entities/cluster.entity.js';
import { inTransaction } from '../transaction.js';
import { diffClusterDocuments } from './cluster-diff.js';
import { clusterHead, clusterToRows, rowsToDocument } from './cluster-rows.mapper.js';
import { readDesiredState, replaceDesiredState } from './cluster-rows.repository.js';
import type { AnalyzedCluster } from './commit-parts.js';
import {
  checkExpectedGeneration,
  CLUSTER_ROW_ID,
  compileAndRecord,
  documentOf,
  driverCode,
  lockClusterRow,
  placementTarget,
  summarize,
} from './commit-parts.js';
import {
  dropPlacement,
  placementOf,
  placementViews,
  planMoves,
  prunePlacement,
  readPlacementRows,
  writePlacement,
} from './vsvr-placement.js';
import type { PlacementMove, PlacementReason, PlacementView } from './vsvr-placement.js';
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
  /** The model's analysis of the cluster committed at one generation (placement reads it). */
  private analyzed: { readonly cluster: Cluster; readonly analysis: ClusterAnalysis } | undefined;

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

  /**
   * Commits where vsvrs run (decision 0006, "Placement"): `filer`, or home for `null`. One
   * transaction holding the cluster row's write lock, like `edit`: an unknown vsvr or filer
   * (NOT_FOUND), a filer that cannot run the vsvr or a stale `expectedGeneration`
   * (FAILED_PRECONDITION) refuse the whole call and change nothing; otherwise the placement
   * rows, a generation bump, one audit row and the filers whose spec changed (the commit
   * listeners get the specs compiled with the new placement, so the pipeline ships them).
   * Moving vsvrs to where they already run changes nothing and returns the current generation.
   */
  async place(
    moves: readonly PlacementMove[],
    caller: AuditedCaller & { readonly reason: PlacementReason; readonly epoch: string },
  ): Promise<{ readonly generation: string; readonly filers: readonly string[] }> {
    const { compiled, ...done } = await this.retrying(() =>
      inTransaction(this.dataSource, async (manager) => {
        const head = await lockClusterRow(manager, 'pessimistic_write');
        await checkLeaderEpoch(manager, caller.epoch);
        const stored = head === null ? undefined : await this.loadRows(manager, head);
        checkExpectedGeneration(stored, caller.expectedGeneration);
        if (stored === undefined) {
          throw EditRefusal.field(
            'not-found',
            moves.length === 1 ? 'vsvr' : 'moves',
            'the cluster has no vsvrs yet; apply a cluster document first',
            'vsvr.unknown',
          );
        }
        const analysis = this.analysisOf(stored);
        const { next, shifts } = planMoves(moves, stored.cluster, analysis, stored.placement);
        if (shifts.length === 0) {
          return { generation: stored.generation, filers: [] as string[], compiled: undefined };
        }
        const generation = String(BigInt(stored.generation) + 1n);
        const now = new Date();
        await manager.update(ClusterEntity, { id: CLUSTER_ROW_ID }, { generation, updatedAt: now });
        await writePlacement(manager, shifts, {
          reason: caller.reason,
          epoch: caller.epoch,
          since: now,
        });
        const side = (key: 'from' | 'to') =>
          JSON.stringify({
            placement: Object.fromEntries(shifts.map((x) => [x.vsvr, x[key]])),
            ...(key === 'to' ? { reason: caller.reason, epoch: caller.epoch } : {}),
          });
        await manager.insert(AuditEntity, {
          at: now,
          principal: caller.principal,
          rpc: caller.rpc,
          target: placementTarget(shifts.map((x) => x.vsvr)),
          beforeSummary: side('from'),
          afterSummary: side('to'),
          peer: caller.peer,
          generation,
        });
        const compiled = await compileAndRecord(
          manager,
          generation,
          stored.cluster,
          analysis,
          next,
          now,
        );
        return { generation, filers: compiled.filers, compiled };
      }),
    );
    this.announce(done.generation, done.filers, compiled);
    return done;
  }

  /**
   * Where every vsvr runs now, in document order, with its home, candidates and failback
   * policy, and the generation that says so; read under the cluster row's read lock. No vsvrs
   * and generation `'0'` before the first change.
   */
  async placements(): Promise<{
    readonly generation: string;
    readonly vsvrs: readonly PlacementView[];
  }> {
    return inTransaction(this.dataSource, async (manager) => {
      const head = await lockClusterRow(manager, 'pessimistic_read');
      if (head === null) {
        return { generation: '0', vsvrs: [] };
      }
      const stored = await this.loadRows(manager, head);
      const rows = await readPlacementRows(manager);
      return {
        generation: stored.generation,
        vsvrs: placementViews(stored.cluster, this.analysisOf(stored), rows),
      };
    });
  }

  /**
   * The model's analysis of a stored cluster, kept for the cluster object last analyzed. Keyed
   * by the object, not the generation: the compiler matches filers by identity with the analysis,
   * so an analysis of another read of the same generation would compile no spec at all.
   */
  private analysisOf(stored: StoredCluster): ClusterAnalysis {
    if (this.analyzed?.cluster !== stored.cluster) {
      this.analyzed = { cluster: stored.cluster, analysis: analyzeCluster(stored.cluster) };
    }
    return this.analyzed.analysis;
  }

  /** Tells every listener of a committed change; nothing when the change wrote nothing. */
  private announce(
    generation: string,
    filers: readonly string[],
    compiled: (CompiledCluster & { readonly analysis: ClusterAnalysis }) | undefined,
  ): void {
    if (compiled === undefined) {
      return;
    }
    // Only now, after the transaction committed: a rolled-back generation must never be reused.
    this.committed = { cluster: compiled.cluster, generation, placement: compiled.placement };
    this.analyzed = { cluster: compiled.cluster, analysis: compiled.analysis };
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
    compiled?: AnalyzedCluster;
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
    // A removed vsvr's placement goes with it, and so does one the change made meaningless.
    const { kept: placement, dropped } = prunePlacement(stored?.placement ?? new Map(), analysis);
    await dropPlacement(manager, dropped);
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
    const compiled = await compileAndRecord(manager, generation, cluster, analysis, placement, now);
    return { changes, generation, filers: compiled.filers, compiled };
  }

  private async loadRows(manager: EntityManager, head: ClusterEntity): Promise<StoredCluster> {
    if (this.committed?.generation === head.generation) {
      return this.committed;
    }
    const placement = placementOf(await readPlacementRows(manager));
    const document = rowsToDocument(head, await readDesiredState(manager));
    const decoded = decodeClusterDocument(document);
    const errors = decoded.problems.filter((p) => p.severity === 'error');
    if (errors.length > 0) {
      throw new StoredClusterError(
        `the stored cluster does not decode: ${errors.map((p) => p.message).join('; ')}`,
      );
    }
    // Read under the cluster row's lock, so these are the rows committed at this generation.
    this.committed = { cluster: decoded.cluster, generation: head.generation, placement };
    return this.committed;
  }
}

/**
 * Fences a placement commit by the leader's epoch: a leader deposed while its commit was on the
 * way (a database that stalled past its lease) must not overwrite what the next leader placed.
 * The lease row is read with a shared lock, so a new leader's takeover of the lease waits for
 * this commit and then reads its placement. No lease row at all: no leader ever ran.
 */
async function checkLeaderEpoch(manager: EntityManager, epoch: string): Promise<void> {
  const rows: { epoch: string | number }[] = await manager.query(
    'SELECT epoch FROM leader_lease WHERE id = 1 LOCK IN SHARE MODE',
  );
  const current = rows[0] === undefined ? undefined : String(rows[0].epoch);
  if (current !== undefined && current !== epoch) {
    throw EditRefusal.field(
      'failed-precondition',
      'epoch',
      `the leadership of epoch ${epoch} has ended (the lease is at epoch ${current}); the new leader decides where vsvrs run`,
      'leader.deposed',
    );
  }
}
