import type { DataSource, EntityManager } from 'typeorm';
import { In } from 'typeorm';
import { AuditEntity } from '../entities/audit.entity.js';
import type { FilerApplyState } from '../entities/pipeline.entity.js';
import { ChangeTargetEntity, FilerStateEntity } from '../entities/pipeline.entity.js';
import { inTransaction } from '../transaction.js';

/** One filer's compiled spec as the commit sees it: only what decides whether it changed. */
export interface FilerSpecDigest {
  readonly filer: string;
  readonly hash: string;
}

/** What a filer's agent did with the spec of one generation. */
export type ApplyRecord =
  | { readonly ok: true; readonly generation: string; readonly hash: string }
  | {
      readonly ok: false;
      readonly state: Extract<FilerApplyState, 'failed' | 'unreachable'>;
      readonly error: string;
    };

/** A filer's place in the pipeline, as the API shows it. */
export interface FilerStateView {
  readonly filer: string;
  readonly desiredGeneration: string;
  readonly desiredHash: string;
  readonly observedGeneration: string;
  readonly observedHash: string;
  readonly state: FilerApplyState;
  readonly error: string | null;
  readonly agentAddress: string | null;
  readonly updatedAt: Date;
}

/** A committed change: its audit row and the filers whose spec it altered. */
export interface ChangeView {
  readonly generation: string;
  readonly at: Date;
  readonly principal: string;
  readonly rpc: string;
  readonly target: string;
  /** In name order. */
  readonly targets: readonly string[];
}

/** The lease a control instance holds: the fencing epoch every agent command carries. */
export interface HeldLease {
  readonly epoch: string;
}

/** What `error` says of a filer whose agent never joined. */
export function noAgentError(filer: string): string {
  return `no agent has joined as filer ${filer}; start vsnet-agent there with a join token from vsnet filer join-token`;
}

const LEASE_ID = 1;

/**
 * Inside the commit's transaction (under the cluster row's lock): compares each filer's new
 * spec hash with the one stored, and for the filers whose spec changed (new filers included)
 * records the change target and the new desired generation and hash; drops the rows of filers
 * no longer in the cluster. Returns the changed filers, in the order given.
 */
export async function recordSpecChanges(
  manager: EntityManager,
  generation: string,
  specs: readonly FilerSpecDigest[],
  now: Date,
): Promise<string[]> {
  const rows = await manager.find(FilerStateEntity);
  const stored = new Map(rows.map((r) => [r.filer, r]));
  const wanted = new Set(specs.map((s) => s.filer));
  const gone = rows.filter((r) => !wanted.has(r.filer)).map((r) => r.filer);
  if (gone.length > 0) {
    await manager.delete(FilerStateEntity, { filer: In(gone) });
  }
  const changed: string[] = [];
  for (const spec of specs) {
    const row = stored.get(spec.filer);
    if (row?.desiredHash === spec.hash) {
      continue;
    }
    changed.push(spec.filer);
    if (row === undefined) {
      await manager.insert(FilerStateEntity, {
        filer: spec.filer,
        desiredGeneration: generation,
        desiredHash: spec.hash,
        observedGeneration: '0',
        observedHash: '',
        state: 'unreachable',
        error: noAgentError(spec.filer),
        agentAddress: null,
        updatedAt: now,
      });
    } else {
      // A filer without an agent stays unreachable; one with an agent has work pending. The
      // worker's update is guarded by generation, so it cannot overwrite this with older news.
      await manager.update(
        FilerStateEntity,
        { filer: spec.filer },
        {
          desiredGeneration: generation,
          desiredHash: spec.hash,
          ...(row.agentAddress === null
            ? { state: 'unreachable' as const, error: noAgentError(spec.filer) }
            : { state: 'pending' as const }),
          updatedAt: now,
        },
      );
    }
  }
  if (changed.length > 0) {
    await manager.insert(
      ChangeTargetEntity,
      changed.map((filer) => ({ generation, filer })),
    );
  }
  return changed;
}

/**
 * The change pipeline's bookkeeping outside the commit: filer states as agents report, the
 * changes and their targets for ChangeService, and the leader lease.
 */
export class PipelineStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Every filer's state, in name order. */
  async filerStates(): Promise<FilerStateView[]> {
    const rows = await this.dataSource.manager.find(FilerStateEntity, { order: { filer: 'ASC' } });
    return rows.map(viewOf);
  }

  async filerState(filer: string): Promise<FilerStateView | undefined> {
    const row = await this.dataSource.manager.findOne(FilerStateEntity, { where: { filer } });
    return row === null ? undefined : viewOf(row);
  }

  /** The states of `filers` that have one (a filer removed since has none). */
  async filerStatesOf(filers: readonly string[]): Promise<FilerStateView[]> {
    if (filers.length === 0) {
      return [];
    }
    const rows = await this.dataSource.manager.find(FilerStateEntity, {
      where: { filer: In([...filers]) },
    });
    return rows.map(viewOf);
  }

  /**
   * Filers with an agent that have something to do: behind their desired generation, or whose
   * last apply failed or found the agent unreachable.
   */
  async filersToResync(): Promise<string[]> {
    const rows: { filer: string }[] = await this.dataSource.manager.query(
      `SELECT filer FROM filer_state
        WHERE agent_address IS NOT NULL
          AND (observed_generation < desired_generation OR state IN ('failed', 'unreachable'))
        ORDER BY filer`,
    );
    return rows.map((r) => r.filer);
  }

  /**
   * Stores the outcome of an apply. A success moves the observed generation forward only (a
   * slower, older apply finishing late changes nothing) and leaves the filer `applied` when it
   * reached the desired generation, else `pending` (a newer change is on its way).
   */
  async recordApply(filer: string, record: ApplyRecord): Promise<void> {
    if (record.ok) {
      await this.dataSource.manager.query(
        `UPDATE filer_state
            SET observed_generation = ?, observed_hash = ?,
                state = CASE WHEN desired_generation <= ? THEN 'applied' ELSE 'pending' END,
                error = NULL, updated_at = NOW(3)
          WHERE filer = ? AND observed_generation <= ?`,
        [record.generation, record.hash, record.generation, filer, record.generation],
      );
      return;
    }
    await this.dataSource.manager.update(
      FilerStateEntity,
      { filer },
      { state: record.state, error: record.error, updatedAt: new Date() },
    );
  }

  /**
   * Records where a filer's agent listens (JoinFiler, or a test). The filer must have a row
   * (it is in the cluster); returns whether it had one.
   */
  async setAgentAddress(filer: string, agentAddress: string | null): Promise<boolean> {
    const result = await this.dataSource.manager.update(
      FilerStateEntity,
      { filer },
      agentAddress === null
        ? { agentAddress, state: 'unreachable', error: noAgentError(filer), updatedAt: new Date() }
        : { agentAddress, state: 'pending', error: null, updatedAt: new Date() },
    );
    return (result.affected ?? 0) > 0;
  }

  /** Changes (audit rows with a generation), newest first, older than `beforeGeneration`. */
  async changes(limit: number, beforeGeneration?: string): Promise<ChangeView[]> {
    const builder = this.dataSource.manager
      .createQueryBuilder(AuditEntity, 'a')
      .where('a.generation IS NOT NULL')
      .orderBy('a.generation', 'DESC')
      .limit(limit);
    if (beforeGeneration !== undefined) {
      builder.andWhere('a.generation < :before', { before: beforeGeneration });
    }
    return this.withTargets(await builder.getMany());
  }

  /** The change that produced `generation`, or `undefined`. */
  async change(generation: string): Promise<ChangeView | undefined> {
    const rows = await this.dataSource.manager.find(AuditEntity, { where: { generation } });
    return (await this.withTargets(rows))[0];
  }

  /**
   * Takes or renews the leader lease for `holder` for `ttlMs` (the database's clock decides
   * expiry, so the instances' clocks need not agree). A new holder bumps the epoch. Returns the
   * lease, or `undefined` while another holder's lease runs.
   */
  async acquireLease(holder: string, ttlMs: number): Promise<HeldLease | undefined> {
    const micros = Math.round(ttlMs * 1000);
    return inTransaction(this.dataSource, async (manager) => {
      const rows: { holder: string; epoch: string; expired: number | string }[] =
        await manager.query(
          `SELECT holder, epoch, expires_at < NOW(3) AS expired FROM leader_lease WHERE id = ? FOR UPDATE`,
          [LEASE_ID],
        );
      const row = rows[0];
      if (row === undefined) {
        // Two first claimants race here: the loser's ER_DUP_ENTRY is its "not the leader".
        await manager.query(
          `INSERT INTO leader_lease (id, holder, epoch, expires_at)
           VALUES (?, ?, 1, NOW(3) + INTERVAL ? MICROSECOND)`,
          [LEASE_ID, holder, micros],
        );
        return { epoch: '1' };
      }
      if (row.holder === holder) {
        await manager.query(
          `UPDATE leader_lease SET expires_at = NOW(3) + INTERVAL ? MICROSECOND WHERE id = ?`,
          [micros, LEASE_ID],
        );
        return { epoch: String(row.epoch) };
      }
      if (Number(row.expired) !== 1) {
        return undefined;
      }
      const epoch = String(BigInt(row.epoch) + 1n);
      await manager.query(
        `UPDATE leader_lease SET holder = ?, epoch = ?, expires_at = NOW(3) + INTERVAL ? MICROSECOND
          WHERE id = ?`,
        [holder, epoch, micros, LEASE_ID],
      );
      return { epoch };
    });
  }

  /** Ends `holder`'s lease now, so the next instance need not wait for it to expire. */
  async releaseLease(holder: string): Promise<void> {
    await this.dataSource.manager.query(
      `UPDATE leader_lease SET expires_at = NOW(3) - INTERVAL 1 SECOND WHERE id = ? AND holder = ?`,
      [LEASE_ID, holder],
    );
  }

  private async withTargets(rows: readonly AuditEntity[]): Promise<ChangeView[]> {
    const generations = rows.map((r) => r.generation).filter((g): g is string => g !== null);
    const targets =
      generations.length === 0
        ? []
        : await this.dataSource.manager.find(ChangeTargetEntity, {
            where: { generation: In(generations) },
          });
    const byGeneration = new Map<string, string[]>();
    for (const t of targets) {
      const list = byGeneration.get(String(t.generation)) ?? [];
      list.push(t.filer);
      byGeneration.set(String(t.generation), list);
    }
    return rows.flatMap((r) =>
      r.generation === null
        ? []
        : [
            {
              generation: String(r.generation),
              at: r.at,
              principal: r.principal,
              rpc: r.rpc,
              target: r.target,
              targets: (byGeneration.get(String(r.generation)) ?? []).sort(),
            },
          ],
    );
  }
}

function viewOf(row: FilerStateEntity): FilerStateView {
  return {
    filer: row.filer,
    desiredGeneration: String(row.desiredGeneration),
    desiredHash: row.desiredHash,
    observedGeneration: String(row.observedGeneration),
    observedHash: row.observedHash,
    state: row.state,
    error: row.error,
    agentAddress: row.agentAddress,
    updatedAt: row.updatedAt,
  };
}
