import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { asciiColumn, ID_COLUMN, NAME_LENGTH } from './columns.js';

@Entity({ name: 'vsvrs' })
@Unique('uq_vsvrs_name', ['name'])
export class VsvrEntity {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column(asciiColumn(NAME_LENGTH))
  name!: string;

  @Column({ ...asciiColumn(NAME_LENGTH, true), name: 'routing_policy' })
  routingPolicy!: string | null;

  /** `auto`, or NULL for `manual` (the default). */
  @Column({ ...asciiColumn(8, true) })
  failback!: string | null;

  /** Seconds; NULL for the default (60). */
  @Column({ type: 'int', unsigned: true, name: 'failback_hold_down', nullable: true })
  failbackHoldDown!: number | null;
}

/** The filer at `position` (0 = first choice) of a vsvr's failover group. */
@Entity({ name: 'failover_group_entries' })
@Unique('uq_failover_group_entries_vsvr_filer', ['vsvrId', 'filerId'])
export class FailoverGroupEntryEntity {
  @PrimaryColumn({ ...ID_COLUMN, name: 'vsvr_id' })
  vsvrId!: number;

  @PrimaryColumn({ type: 'tinyint', unsigned: true })
  position!: number;

  @Column({ ...ID_COLUMN, name: 'filer_id' })
  filerId!: number;
}
