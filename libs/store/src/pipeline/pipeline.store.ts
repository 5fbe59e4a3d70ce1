import type { DataSource, EntityManager } from 'typeorm';
import { In } from 'typeorm';
import { AuditEntity } from '../entities/audit.entity.js';
import type { FilerApplyState } from '../entities/pipeline.entity.js';
import {
  ChangeTargetEntity,
  FILER_ERROR_LENGTH,
  FilerStateEntity,
  LeaderLeaseEntity,
} from '../entities/pipeline.entity.js';
import { inTransaction } from '../transaction.js';

/** One filer's compiled spec as the commit sees it: only what decides whether it changed. */
export interface FilerSpecDigest {
  readonly filer: string;
  readonly hash: string;
}

/**
 * What a filer's agent at `address` did with the spec of `generation` (the cluster generation
 * the spec was compiled at). Stored only while the filer's agent is still at `address`.
 */
export type ApplyRecord =
  | {
      readonly ok: true;
      readonly address: string;
      readonly generation: string;
      readonly hash: string;
    }
  | {
      readonly ok: false;
      readonly address: string;
      readonly generation: string;
      readonly state: Extract<FilerApplyState, 'failed' | 'unreachable'>;
      readonly error: string;
    };

/**
 * How long a failing filer is left alone before the resync loop tries it again: `firstMs` after
 * the first failure, doubling with each further one, at most `maxMs`.
 */
export interface RetryBackoff {
  readonly firstMs: number;
  readonly maxMs: number;
}

/** One second, doubling, at most 30 s. */
export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { firstMs: 1_000, maxMs: 30_000 };

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

/**
 * `error` cut to what filer_state.error holds, saying how much was left out: a kernel that
 * refuses thousands of items must not make the record itself fail.
 */
export function boundedError(error: string): string {
  if (error.length <= FILER_ERROR_LENGTH) {
    return error;
  }
  // Room for the note: "… (" and " more characters)" and the count's digits.
  const kept = FILER_ERROR_LENGTH - 40;
  return `${error.slice(0, kept)}… (${error.length - kept} more characters)`;
}

const LEASE_ID = 1;
/** The one row of the cluster table (ClusterStateStore's). */
const CLUSTER_ROW_ID = 1;

/**
 * Inside the commit's transaction (under the cluster row's lock): compares each filer's new
 * spec hash with the one stored, and for the filers whose spec changed (new filers included)
 * records the change target and the new desired generation and hash. A filer no longer in the
 * cluster whose agent joined is `retiring` (its spec changed to the empty one, which the
 * reconciler sends to clear its vsvrs and addresses; the row goes once that is applied); one
 * that never had an agent is dropped. Returns the changed filers, retiring ones included.
 */
export async function recordSpecChanges(
  manager: EntityManager,
  generation: string,
  specs: readonly FilerSpecDigest[],
  now: Date,
): Promise<string[]> {
  // Only what the comparison needs: the commit holds the cluster lock while it reads.
  const rows = await manager.find(FilerStateEntity, {
    select: { filer: true, desiredHash: true, agentAddress: true, state: true },
  });
  const stored = new Map(rows.map((r) => [r.filer, r]));
  const wanted = new Set(specs.map((s) => s.filer));
  const gone = rows.filter((r) => !wanted.has(r.filer));
  const dropped = gone.filter((r) => r.agentAddress === null).map((r) => r.filer);
  if (dropped.length > 0) {
    await manager.delete(FilerStateEntity, { filer: In(dropped) });
  }
  const retiring = gone
    .filter((r) => r.agentAddress !== null && r.state !== 'retiring')
    .map((r) => r.filer);
  if (retiring.length > 0) {
    await manager.update(
      FilerStateEntity,
      { filer: In(retiring) },
      {
        desiredGeneration: generation,
        desiredHash: '',
        state: 'retiring',
        error: null,
        ...FRESH_WORK,
        updatedAt: now,
      },
    );
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
        ...FRESH_WORK,
      });
    } else {
      // A filer without an agent stays unreachable; one with an agent has work pending (a
      // retiring filer added back too). The worker's update is guarded by generation, so it
      // cannot overwrite this with older news.
      await manager.update(
        FilerStateEntity,
        { filer: spec.filer },
        {
          desiredGeneration: generation,
          desiredHash: spec.hash,
          ...(row.agentAddress === null
            ? { state: 'unreachable' as const, error: noAgentError(spec.filer) }
            : { state: 'pending' as const, error: null }),
          ...FRESH_WORK,
          updatedAt: now,
        },
      );
    }
  }
  changed.push(...retiring);
  if (changed.length > 0) {
    await manager.insert(
      ChangeTargetEntity,
      changed.map((filer) => ({ generation, filer })),
    );
  }
  return changed;
}

/** New work for a filer: no failures counted against it, due at once. */
const FRESH_WORK = { attempts: 0, nextAttemptAt: null } as const;

/**
 * The change pipeline's bookkeeping outside the commit: filer states as agents report, the
 * changes and their targets for ChangeService, and the leader lease.
 */
export class PipelineStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly backoff: RetryBackoff = DEFAULT_RETRY_BACKOFF,
  ) {}

  /** Every filer's state, in name order. */
  async filerStates(): Promise<FilerStateView[]> {
    const rows = await this.dataSource.manager.find(FilerStateEntity, { order: { filer: 'ASC' } });
    return rows.map(viewOf);
  }

  async filerState(filer: string): Promise<FilerStateView | undefined> {
    const row = await this.dataSource.manager.findOne(FilerStateEntity, { where: { filer } });
    return row === null ? undefined : viewOf(row);
  }

  /**
   * What a reconcile of `filer` starts from, in one read (one consistent view): its state
   * (`undefined` without one); whether it is waiting out its backoff after a failure, so a job
   * for it (one queued twice while an apply was in flight) should not call its agent yet (new
   * work is never waiting: it makes the filer `pending`); and the cluster's generation ('0'
   * before the first change).
   */
  async applyContext(
    filer: string,
  ): Promise<{ state: FilerStateView; backingOff: boolean; generation: string } | undefined> {
    const { entities, raw } = await this.dataSource.manager
      .createQueryBuilder(FilerStateEntity, 'f')
      .addSelect(`(f.state <> 'pending' AND f.next_attempt_at > UTC_TIMESTAMP(3))`, 'backing_off')
      .addSelect(
        `(SELECT CAST(c.generation AS CHAR) FROM cluster c WHERE c.id = ${CLUSTER_ROW_ID})`,
        'cluster_generation',
      )
      .where('f.filer = :filer', { filer })
      .getRawAndEntities<{ backing_off: unknown; cluster_generation: string | null }>();
    const row = entities[0];
    const extra = raw[0];
    if (row === undefined || extra === undefined) {
      return undefined;
    }
    return {
      state: viewOf(row),
      backingOff: Number(extra.backing_off) === 1,
      generation: extra.cluster_generation ?? '0',
    };
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
   * Filers with an agent that have something to do now: work pending (a new spec, a new agent
   * address), behind their desired generation, retiring, or whose last apply failed or found
   * the agent unreachable, unless they are waiting out their backoff after a failure.
   */
  async filersToResync(): Promise<string[]> {
    const rows: { filer: string }[] = await this.dataSource.manager.query(
      `SELECT filer FROM filer_state
        WHERE agent_address IS NOT NULL
          AND (state IN ('pending', 'failed', 'unreachable', 'retiring')
               OR observed_generation < desired_generation)
          AND (state = 'pending' OR next_attempt_at IS NULL OR next_attempt_at <= UTC_TIMESTAMP(3))
        ORDER BY filer`,
    );
    return rows.map((r) => r.filer);
  }

  /**
   * Stores the outcome of an apply, only while the filer's agent is still at the address the
   * apply went to (a re-joined agent's state is its own). A success moves the observed
   * generation forward only (a slower, older apply finishing late changes nothing) and leaves
   * the filer `applied` when it reached the desired generation, else `pending` (a newer change
   * is on its way); a retiring filer stays retiring. A failure is stored only when no apply of
   * this generation or a later one has succeeded since, and sets the backoff: the next attempt
   * waits {@link RetryBackoff} (none when newer work arrived meanwhile). Returns whether it
   * stored anything.
   */
  async recordApply(filer: string, record: ApplyRecord): Promise<boolean> {
    const now = new Date();
    if (record.ok) {
      const result: unknown = await this.dataSource.manager.query(
        `UPDATE filer_state
            SET observed_generation = ?, observed_hash = ?,
                state = CASE WHEN state = 'retiring' THEN 'retiring'
                             WHEN desired_generation <= ? THEN 'applied' ELSE 'pending' END,
                error = NULL, attempts = 0, next_attempt_at = NULL, updated_at = ?
          WHERE filer = ? AND agent_address = ? AND observed_generation <= ?`,
        [
          record.generation,
          record.hash,
          record.generation,
          now,
          filer,
          record.address,
          record.generation,
        ],
      );
      return affectedRows(result) > 0;
    }
    // MySQL assigns left to right: next_attempt_at and attempts read `attempts` and `state`
    // before they change (and MariaDB's SIMULTANEOUS_ASSIGNMENT gives the same result).
    const result: unknown = await this.dataSource.manager.query(
      `UPDATE filer_state
          SET next_attempt_at = CASE
                WHEN desired_generation > ? THEN NULL
                ELSE UTC_TIMESTAMP(3) + INTERVAL ROUND(1000 * LEAST(?, ? * POW(2,
                       LEAST(CASE WHEN state = 'pending' THEN 0 ELSE attempts END, 20)))) MICROSECOND
              END,
              attempts = CASE WHEN state = 'pending' THEN 1 ELSE attempts + 1 END,
              state = CASE WHEN state = 'retiring' THEN 'retiring' ELSE ? END,
              error = ?, updated_at = ?
        WHERE filer = ? AND agent_address = ? AND observed_generation < ?`,
      [
        record.generation,
        this.backoff.maxMs,
        this.backoff.firstMs,
        record.state,
        boundedError(record.error),
        now,
        filer,
        record.address,
        record.generation,
      ],
    );
    return affectedRows(result) > 0;
  }

  /**
   * Drops a retiring filer's row once its agent at `address` applied the empty spec of
   * `generation` (or a later one). Returns whether it did: not when the filer was added back to
   * the cluster, or its agent moved, meanwhile.
   */
  async retired(filer: string, address: string, generation: string): Promise<boolean> {
    const result: unknown = await this.dataSource.manager.query(
      `DELETE FROM filer_state
        WHERE filer = ? AND state = 'retiring' AND agent_address = ? AND desired_generation <= ?`,
      [filer, address, generation],
    );
    return affectedRows(result) > 0;
  }

  /**
   * Records where a filer's agent listens (JoinFiler, or a test). The filer must have a row
   * (it is in the cluster); returns whether it had one. A new address is new work: the filer
   * is pending and due at once.
   */
  async setAgentAddress(filer: string, agentAddress: string | null): Promise<boolean> {
    const result = await this.dataSource.manager.update(
      FilerStateEntity,
      { filer },
      agentAddress === null
        ? {
            agentAddress,
            state: 'unreachable',
            error: noAgentError(filer),
            ...FRESH_WORK,
            updatedAt: new Date(),
          }
        : { agentAddress, state: 'pending', error: null, ...FRESH_WORK, updatedAt: new Date() },
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
   * expiry, so the instances' clocks need not agree; UTC, whatever the session's time zone). A
   * new holder bumps the epoch. `endpoint` (the holder's API `host:port`) is written on every
   * take and renewal, so the row always names where the current leader answers. Returns the
   * lease, or `undefined` while another holder's lease runs.
   */
  async acquireLease(holder: string, ttlMs: number, endpoint = ''): Promise<HeldLease | undefined> {
    const micros = Math.round(ttlMs * 1000);
    return inTransaction(this.dataSource, async (manager) => {
      const rows: { holder: string; epoch: string; expired: number | string }[] =
        await manager.query(
          `SELECT holder, epoch, expires_at < UTC_TIMESTAMP(3) AS expired FROM leader_lease WHERE id = ? FOR UPDATE`,
          [LEASE_ID],
        );
      const row = rows[0];
      if (row === undefined) {
        // Two first claimants race here: the loser's ER_DUP_ENTRY is its "not the leader".
        await manager.query(
          `INSERT INTO leader_lease (id, holder, epoch, expires_at, endpoint)
           VALUES (?, ?, 1, UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND, ?)`,
          [LEASE_ID, holder, micros, endpoint],
        );
        return { epoch: '1' };
      }
      if (row.holder === holder) {
        await manager.query(
          `UPDATE leader_lease SET expires_at = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND, endpoint = ?
            WHERE id = ?`,
          [micros, endpoint, LEASE_ID],
        );
        return { epoch: String(row.epoch) };
      }
      if (Number(row.expired) !== 1) {
        return undefined;
      }
      const epoch = String(BigInt(row.epoch) + 1n);
      await manager.query(
        `UPDATE leader_lease SET holder = ?, epoch = ?, expires_at = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND,
          endpoint = ? WHERE id = ?`,
        [holder, epoch, micros, endpoint, LEASE_ID],
      );
      return { epoch };
    });
  }

  /**
   * The lease as stored: its holder, epoch, endpoint and expiry (ms since the epoch, UTC), also
   * after it ran out (`expiresUnixMs` in the past); `undefined` before anyone ever held it.
   */
  async currentLease(): Promise<
    { holder: string; epoch: string; endpoint: string; expiresUnixMs: number } | undefined
  > {
    const row = await this.dataSource.manager.findOne(LeaderLeaseEntity, {
      where: { id: LEASE_ID },
    });
    return row === null
      ? undefined
      : {
          holder: row.holder,
          epoch: String(row.epoch),
          endpoint: row.endpoint,
          expiresUnixMs: row.expiresAt.getTime(),
        };
  }

  /** Ends `holder`'s lease now, so the next instance need not wait for it to expire. */
  async releaseLease(holder: string): Promise<void> {
    await this.dataSource.manager.query(
      `UPDATE leader_lease SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE id = ? AND holder = ?`,
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

/** Rows an UPDATE run through `query()` changed (mysql2's ResultSetHeader, as TypeORM passes it). */
function affectedRows(result: unknown): number {
  const header = (Array.isArray(result) ? result[0] : result) as { affectedRows?: number } | null;
  return header?.affectedRows ?? 0;
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
