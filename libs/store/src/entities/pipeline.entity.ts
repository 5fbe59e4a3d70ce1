import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { asciiColumn, asciiKey, NAME_LENGTH } from './columns.js';

/**
 * Where a filer's agent stands: `applied`, `pending`, `failed` or `unreachable`; `retiring` for
 * a filer removed from the cluster whose agent has not yet applied the empty spec that clears
 * its vsvrs and addresses (its row goes once it has).
 */
export type FilerApplyState = 'pending' | 'applied' | 'failed' | 'unreachable' | 'retiring';

/** The longest `filer_state.error` kept (characters); longer errors are cut. */
export const FILER_ERROR_LENGTH = 1024;

/**
 * One filer's place in the change pipeline: the generation that last changed its spec (and that
 * spec's hash), what its agent last reported applied, and where the agent listens. A filer is
 * behind while `observedGeneration < desiredGeneration`; the resync loop looks for that, and for
 * work pending, retiring or failed (after its backoff, `nextAttemptAt`).
 */
@Entity({ name: 'filer_state' })
export class FilerStateEntity {
  @PrimaryColumn(asciiKey(NAME_LENGTH))
  filer!: string;

  @Column({ type: 'bigint', unsigned: true, name: 'desired_generation' })
  desiredGeneration!: string;

  @Column({ ...asciiColumn(80), name: 'desired_hash' })
  desiredHash!: string;

  @Column({ type: 'bigint', unsigned: true, name: 'observed_generation' })
  observedGeneration!: string;

  @Column({ ...asciiColumn(80), name: 'observed_hash' })
  observedHash!: string;

  @Column(asciiColumn(16))
  state!: FilerApplyState;

  /** The agent's or the kernel's words for the last failure, cut to {@link FILER_ERROR_LENGTH}. */
  @Column({ type: 'varchar', length: FILER_ERROR_LENGTH, nullable: true })
  error!: string | null;

  /** `host:port` the control service dials; null until an agent joined. */
  @Column({ ...asciiColumn(96, true), name: 'agent_address' })
  agentAddress!: string | null;

  @Column({ type: 'datetime', precision: 3, name: 'updated_at' })
  updatedAt!: Date;

  /** Failed attempts in a row at the current work; 0 after a success or new work. */
  @Column({ type: 'int', unsigned: true, default: 0 })
  attempts!: number;

  /** Before this, the resync loop leaves a failing filer alone (backoff); null: due now. */
  @Column({ type: 'datetime', precision: 3, name: 'next_attempt_at', nullable: true })
  nextAttemptAt!: Date | null;
}

/** A filer whose spec the change that produced `generation` altered. */
@Entity({ name: 'change_targets' })
export class ChangeTargetEntity {
  @PrimaryColumn({ type: 'bigint', unsigned: true })
  generation!: string;

  @PrimaryColumn(asciiKey(NAME_LENGTH))
  filer!: string;
}

/** A one-time secret an agent presents to join the cluster (FilerService/JoinFiler). */
@Entity({ name: 'join_tokens' })
@Unique('uq_join_tokens_hash', ['tokenHash'])
export class JoinTokenEntity {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column({ type: 'binary', length: 32, name: 'token_hash' })
  tokenHash!: Buffer;

  /** The filer the token may join as; '' for any. */
  @Column(asciiColumn(NAME_LENGTH))
  filer!: string;

  @Column({ type: 'datetime', precision: 3, name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'datetime', precision: 3, name: 'expires_at' })
  expiresAt!: Date;

  @Column({ type: 'datetime', precision: 3, name: 'used_at', nullable: true })
  usedAt!: Date | null;

  @Column({ ...asciiColumn(NAME_LENGTH, true), name: 'used_by' })
  usedBy!: string | null;
}

/** The control leader's lease (one row, id 1): its holder, epoch (fencing token) and expiry. */
@Entity({ name: 'leader_lease' })
export class LeaderLeaseEntity {
  @PrimaryColumn({ type: 'tinyint', unsigned: true })
  id!: number;

  @Column(asciiColumn(96))
  holder!: string;

  @Column({ type: 'bigint', unsigned: true })
  epoch!: string;

  @Column({ type: 'datetime', precision: 3, name: 'expires_at' })
  expiresAt!: Date;

  /** The holder's API endpoint (`host:port`): where another replica passes leader-only calls. */
  @Column({ ...asciiColumn(255), default: '' })
  endpoint!: string;
}
