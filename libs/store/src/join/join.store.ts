import { randomBytes } from 'node:crypto';
import { EditRefusal, OBJECT_NAME_PATTERN } from '@vsnet/model';
import { IsNull } from 'typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { secretMatches, tokenHash } from '../auth/bearer-token.js';
import type { AuditedCaller, ClusterChange } from '../cluster-state/cluster-state.types.js';
import { AuditEntity } from '../entities/audit.entity.js';
import { ClusterEntity } from '../entities/cluster.entity.js';
import { JoinTokenEntity } from '../entities/pipeline.entity.js';
import { inTransaction } from '../transaction.js';
import { joinTokenIdOf, newJoinSecret } from './join-token.js';

/** A join token's lifetime when the request asks for none (proto: `ttl_seconds` 0). */
export const DEFAULT_JOIN_TTL_SECONDS = 3600;
/** The longest a join token may live: it is a bootstrap secret, not a credential to keep. */
export const MAX_JOIN_TTL_SECONDS = 7 * 24 * 3600;
/** The one cluster row (ClusterStateStore keeps the head in id 1). */
const CLUSTER_ROW_ID = 1;

/** Why a join secret was not accepted. */
export type JoinRejection = 'malformed' | 'unknown' | 'used' | 'expired' | 'other-filer';

/** A join secret that does not authenticate a join; the message is the caller's one sentence. */
export class JoinTokenRejected extends Error {
  override readonly name = 'JoinTokenRejected';

  constructor(
    readonly why: JoinRejection,
    message: string,
  ) {
    super(message);
  }
}

/** A join token as the API reports it (never its secret, which is shown once at creation). */
export interface JoinTokenView {
  readonly id: string;
  /** The filer it may join as; '' for any. */
  readonly filer: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** What a successful join records besides the cluster edit. */
export interface JoinRecord {
  /** The filer's name as the cluster stores it. */
  readonly filer: string;
  /** `host:port` the control service dials the filer's agent at. */
  readonly agentAddress: string;
  /** Audit summary of the filer after the join (the edit's own when it registered the filer). */
  readonly summary: string;
}

/**
 * Join tokens (FilerService CreateJoinToken / JoinFiler): one-time secrets an agent presents to
 * register its filer. Only their SHA-256 is stored (join-token.ts). Minting writes an audit row
 * and leaves the cluster generation alone; using one up happens inside the join's cluster edit
 * ({@link useUp}), so the token, the filer and the agent's address change together or not at all.
 * A join refused after its secret matched spends the token anyway ({@link spend}), so one token
 * buys one attempt, not unlimited probing of the cluster's filers and MACs.
 */
export class JoinStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Mints a token for `filer` ('' for any name) valid `ttlSeconds` (0: an hour). Refused: a
   * filer name that is not one, a lifetime above {@link MAX_JOIN_TTL_SECONDS} (INVALID_ARGUMENT).
   */
  async create(
    filer: string,
    ttlSeconds: number,
    caller: AuditedCaller,
    now = new Date(),
  ): Promise<{ token: JoinTokenView; secret: string; generation: string }> {
    const name = filer.trim();
    if (name !== '' && !OBJECT_NAME_PATTERN.test(name)) {
      throw EditRefusal.field(
        'invalid-argument',
        'filer',
        `"${filer}" is not a filer name; use a letter then up to 62 letters, digits, "_" or "-", or leave it empty for a token any filer may use`,
        'name.invalid',
      );
    }
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 0 || ttlSeconds > MAX_JOIN_TTL_SECONDS) {
      throw EditRefusal.field(
        'invalid-argument',
        'ttlSeconds',
        `${ttlSeconds} seconds is too long for a join token; give at most ${MAX_JOIN_TTL_SECONDS} (7 days), or 0 for an hour`,
      );
    }
    const lifetime = ttlSeconds === 0 ? DEFAULT_JOIN_TTL_SECONDS : ttlSeconds;
    const expiresAt = new Date(now.getTime() + lifetime * 1000);
    return inTransaction(this.dataSource, async (manager) => {
      // The secret embeds the row's id, so the row is made first with a placeholder hash.
      const inserted = await manager.insert(JoinTokenEntity, {
        tokenHash: randomBytes(32),
        filer: name,
        createdAt: now,
        expiresAt,
        usedAt: null,
        usedBy: null,
      });
      const id = Number((inserted.identifiers[0] as { id: number }).id);
      const { secret, hash } = newJoinSecret(id);
      await manager.update(JoinTokenEntity, { id }, { tokenHash: hash });
      const scope = name === '' ? 'any filer' : `filer ${name}`;
      await manager.insert(AuditEntity, {
        at: now,
        principal: caller.principal,
        rpc: caller.rpc,
        target: `join-token ${id}`,
        beforeSummary: '',
        afterSummary: `joins ${scope}, expires ${expiresAt.toISOString()}`,
        peer: caller.peer,
        generation: null,
      });
      const head = await manager.findOne(ClusterEntity, {
        select: { id: true, generation: true },
        where: { id: CLUSTER_ROW_ID },
      });
      return {
        token: { id: String(id), filer: name, createdAt: now, expiresAt },
        secret,
        generation: head?.generation ?? '0',
      };
    });
  }

  /**
   * The token behind `secret` when it may join `filer` now; throws {@link JoinTokenRejected}
   * otherwise. Reads only: the join checks again, under lock, in {@link useUp}.
   */
  async check(secret: string, filer: string, now = new Date()): Promise<JoinTokenView> {
    return checked(await this.find(this.dataSource.manager, secret, false), secret, filer, now);
  }

  /**
   * Spends the token behind `secret` for a join that was refused after the secret matched, in a
   * transaction of its own (the join's rolled back): `used_by` stays NULL, which is how a later
   * attempt learns that the token went to a refused join. A token used or spent already, or a
   * secret that is not a token's, changes nothing.
   */
  async spend(secret: string, now = new Date()): Promise<void> {
    const id = joinTokenIdOf(secret);
    if (id === undefined) {
      return;
    }
    await this.dataSource.manager.update(
      JoinTokenEntity,
      { id, tokenHash: tokenHash(secret), usedAt: IsNull() },
      { usedAt: now, usedBy: null },
    );
  }

  /**
   * Uses `secret` up for `join`, in the join's cluster edit transaction (`manager`): locks the
   * token row and checks it again (two agents racing with one token: the second is refused),
   * marks it used, records the agent's address in `filer_state`, and writes the join's audit
   * row when the edit wrote none (the filer existed, so the edit changed nothing).
   */
  async useUp(
    manager: EntityManager,
    secret: string,
    join: JoinRecord,
    caller: AuditedCaller,
    written: { readonly changes: readonly ClusterChange[] },
    now = new Date(),
  ): Promise<JoinTokenView> {
    const token = checked(await this.find(manager, secret, true), secret, join.filer, now);
    await manager.update(
      JoinTokenEntity,
      { id: Number(token.id) },
      { usedAt: now, usedBy: join.filer },
    );
    // The pipeline's commit made the filer's row (desired generation and hash); this records
    // where its agent listens and that it has work pending (a filer without an agent is
    // `unreachable`), making the row if there is none yet, so the address is kept either way.
    // What the previous agent reported applied says nothing about the new one: observed goes
    // back to nothing, so the resync loop sees the filer behind and sends its spec even when
    // the push after the join is lost.
    await manager.query(
      `INSERT INTO filer_state
         (filer, desired_generation, desired_hash, observed_generation, observed_hash, state,
          error, agent_address, updated_at)
       VALUES (?, 0, '', 0, '', 'pending', NULL, ?, ?)
       ON DUPLICATE KEY UPDATE agent_address = VALUES(agent_address), state = 'pending',
         observed_generation = 0, observed_hash = '', error = NULL,
         updated_at = VALUES(updated_at)`,
      [join.filer, join.agentAddress, now],
    );
    if (written.changes.length === 0) {
      await manager.insert(AuditEntity, {
        at: now,
        principal: caller.principal,
        rpc: caller.rpc,
        target: `filer ${join.filer}`,
        beforeSummary: '',
        afterSummary: join.summary,
        peer: caller.peer,
        generation: null,
      });
    }
    return token;
  }

  private async find(
    manager: EntityManager,
    secret: string,
    lock: boolean,
  ): Promise<JoinTokenEntity | null> {
    const id = joinTokenIdOf(secret);
    if (id === undefined) {
      return null;
    }
    const query = manager
      .createQueryBuilder(JoinTokenEntity, 'token')
      .where('token.id = :id', { id });
    return (lock ? query.setLock('pessimistic_write') : query).getOne();
  }
}

/** `row` as a view when `secret` is its secret and it may join `filer` at `now`. */
function checked(
  row: JoinTokenEntity | null,
  secret: string,
  filer: string,
  now: Date,
): JoinTokenView {
  const fresh = 'ask an administrator for a new one (vsnet filer join-token)';
  if (joinTokenIdOf(secret) === undefined) {
    throw new JoinTokenRejected(
      'malformed',
      `the join token is not one vsnet issued (vsj_<id>_<secret>); ${fresh}`,
    );
  }
  if (row === null || !secretMatches(secret, row.tokenHash)) {
    throw new JoinTokenRejected('unknown', `the join token is unknown; ${fresh}`);
  }
  if (row.usedAt !== null) {
    // The agent (apps/agent/src/join.ts) reads "used by filer <name> at" to recognize its own
    // join whose answer it lost: keep that wording.
    throw new JoinTokenRejected(
      'used',
      row.usedBy === null
        ? `the join token was spent at ${row.usedAt.toISOString()} by a join that was refused; a join token works once, ${fresh}`
        : `the join token was used by filer ${row.usedBy} at ${row.usedAt.toISOString()}; a join token works once, ${fresh}`,
    );
  }
  if (row.expiresAt.getTime() <= now.getTime()) {
    throw new JoinTokenRejected(
      'expired',
      `the join token expired at ${row.expiresAt.toISOString()}; ${fresh}`,
    );
  }
  if (row.filer !== '' && row.filer.toLowerCase() !== filer.trim().toLowerCase()) {
    throw new JoinTokenRejected(
      'other-filer',
      `the join token was minted for filer ${row.filer}, not "${filer}", and is spent now; ${fresh}`,
    );
  }
  return {
    id: String(row.id),
    filer: row.filer,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
  };
}
