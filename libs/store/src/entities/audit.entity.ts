import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { asciiColumn, NAME_LENGTH } from './columns.js';

/**
 * One accepted mutation, written in the same transaction as the change. The principal's name is
 * copied, not referenced, so the record outlives the principal.
 */
@Entity({ name: 'audit' })
@Index('ix_audit_at', ['at'])
@Index('ix_audit_target', ['target'])
@Index('ix_audit_generation', ['generation'])
export class AuditEntity {
  /** BIGINT: TypeORM 1.x returns it as a decimal string. */
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id!: string;

  @Column({ type: 'datetime', precision: 3 })
  at!: Date;

  @Column(asciiColumn(NAME_LENGTH))
  principal!: string;

  /** Full gRPC method name, e.g. `/vsnet.v1.Vsvrs/AddAddress`. */
  @Column(asciiColumn(128))
  rpc!: string;

  /** What the change was about, e.g. `vsvr/vs1` or `filer/filer1/bond0`. */
  @Column(asciiColumn(160))
  target!: string;

  /** JSON summaries of the target before and after; TEXT so the row stays small on NDB. */
  @Column({ type: 'text', name: 'before_summary', nullable: true })
  beforeSummary!: string | null;

  @Column({ type: 'text', name: 'after_summary', nullable: true })
  afterSummary!: string | null;

  /** Caller's address as the transport saw it (`ipv4:198.51.100.7:51234`). */
  @Column(asciiColumn(96))
  peer!: string;

  @Column({ type: 'bigint', unsigned: true, nullable: true })
  generation!: string | null;
}
