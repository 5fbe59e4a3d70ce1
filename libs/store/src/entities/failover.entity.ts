import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { asciiColumn, asciiKey, NAME_LENGTH } from './columns.js';

/** Why a vsvr runs away from its home filer: a filer was lost, or someone moved it. */
export type PlacementReason = 'failover' | 'move';

/**
 * Where a vsvr runs when not on its home filer (decision 0006, "Placement"): committed state,
 * not document, changed under the cluster row's lock with a generation bump. No row: home.
 */
@Entity({ name: 'vsvr_placement' })
export class VsvrPlacementEntity {
  /** The vsvr's name as the cluster spells it (names ignore case, so it is unique). */
  @PrimaryColumn(asciiKey(NAME_LENGTH))
  vsvr!: string;

  @Column(asciiColumn(NAME_LENGTH))
  filer!: string;

  @Column(asciiColumn(16))
  reason!: PlacementReason;

  /** The leader epoch that placed it. */
  @Column({ type: 'bigint', unsigned: true })
  epoch!: string;

  /** UTC. */
  @Column({ type: 'datetime', precision: 3 })
  since!: Date;
}

/** The longest `failover_event.moves` kept (characters of JSON); moves past it are dropped. */
export const FAILOVER_MOVES_LENGTH = 60_000;

/** One failover, move or revert, with the per-phase timeline of each vsvr it moved. */
@Entity({ name: 'failover_event' })
export class FailoverEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id!: string;

  /** `filer-lost`, `move` or `revert`. */
  @Column(asciiColumn(16))
  kind!: string;

  @Column(asciiColumn(NAME_LENGTH))
  filer!: string;

  @Column({ type: 'bigint', unsigned: true })
  epoch!: string;

  @Column(asciiColumn(NAME_LENGTH))
  principal!: string;

  /** UTC, when the leader decided. */
  @Column({ type: 'datetime', precision: 3, name: 'detected_at' })
  detectedAt!: Date;

  @Column({ type: 'double', name: 'detection_ms' })
  detectionMs!: number;

  /** The generation that committed the placement; 0 when nothing was committed. */
  @Column({ type: 'bigint', unsigned: true })
  generation!: string;

  /** JSON list of the moves: TEXT, read only by `vsnet failover status` (docs/ndb.md). */
  @Column({ type: 'text' })
  moves!: string;
}

/** Each filer's health as the leader's heartbeats last saw it. */
@Entity({ name: 'filer_health' })
export class FilerHealthEntity {
  @PrimaryColumn(asciiKey(NAME_LENGTH))
  filer!: string;

  /** `up`, `agent-down`, `down`, `recovering` or `unknown`. */
  @Column(asciiColumn(16))
  state!: string;

  /** UTC, since when it is in that state. */
  @Column({ type: 'datetime', precision: 3 })
  since!: Date;

  /** The agent's generation in its last heartbeat answer. */
  @Column({ type: 'bigint', unsigned: true })
  generation!: string;

  @Column({ type: 'tinyint', unsigned: true })
  fenced!: number;

  /** The leader epoch that wrote the row. */
  @Column({ type: 'bigint', unsigned: true })
  epoch!: string;
}
