import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { asciiColumn, asciiKey, ID_COLUMN, NAME_LENGTH } from './columns.js';

/** Someone (a person or an integration) who calls the API. */
@Entity({ name: 'principals' })
@Unique('uq_principals_name', ['name'])
export class PrincipalEntity {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column(asciiColumn(NAME_LENGTH))
  name!: string;

  @Column({ type: 'datetime', precision: 3, name: 'created_at' })
  createdAt!: Date;
}

export type GrantPrivilege = 'network' | 'read';
export type GrantScopeKind = 'cluster' | 'vsvr';

/**
 * A privilege at a scope (§3.1.1): NETWORK or read at cluster scope (`scopeName` ''), or NETWORK
 * on one vsvr (`scopeName` is the vsvr's name).
 */
@Entity({ name: 'principal_grants' })
export class PrincipalGrantEntity {
  @PrimaryColumn({ ...ID_COLUMN, name: 'principal_id' })
  principalId!: number;

  @PrimaryColumn(asciiKey(16))
  privilege!: GrantPrivilege;

  @PrimaryColumn({ ...asciiKey(16), name: 'scope_kind' })
  scopeKind!: GrantScopeKind;

  @PrimaryColumn({ ...asciiKey(NAME_LENGTH), name: 'scope_name' })
  scopeName!: string;
}

/**
 * A bearer token of a principal. Only its SHA-256 is stored: tokens are 256 random bits, so a
 * fast hash is enough (no password stretching needed) and lookup is one unique-key read.
 */
@Entity({ name: 'tokens' })
@Unique('uq_tokens_hash', ['tokenHash'])
@Index('ix_tokens_principal', ['principalId'])
export class TokenEntity {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column({ ...ID_COLUMN, name: 'principal_id' })
  principalId!: number;

  @Column({ type: 'binary', length: 32, name: 'token_hash' })
  tokenHash!: Buffer;

  @Column(asciiColumn(NAME_LENGTH))
  label!: string;

  @Column({ type: 'datetime', precision: 3, name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'datetime', precision: 3, name: 'expires_at', nullable: true })
  expiresAt!: Date | null;

  @Column({ type: 'datetime', precision: 3, name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;
}
