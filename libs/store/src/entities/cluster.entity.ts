import { Column, Entity, PrimaryColumn } from 'typeorm';
import { asciiColumn, NAME_LENGTH } from './columns.js';

/** The one cluster this database describes: always the row with id 1. */
@Entity({ name: 'cluster' })
export class ClusterEntity {
  @PrimaryColumn({ type: 'tinyint', unsigned: true })
  id!: number;

  @Column(asciiColumn(NAME_LENGTH))
  name!: string;

  /** Lower-case `aa:bb:cc:dd:ee:ff`; the seed of every DHCP identifier. */
  @Column({ ...asciiColumn(17), name: 'cluster_mac' })
  clusterMac!: string;

  @Column({ ...asciiColumn(NAME_LENGTH, true), name: 'default_routing_policy' })
  defaultRoutingPolicy!: string | null;

  /** `internal` when vs_mgmt's filer runs the DHCP server; NULL: external (the default). */
  @Column({ ...asciiColumn(8, true), name: 'dhcp' })
  dhcp!: string | null;

  /** Bumped by every committed change. BIGINT: TypeORM 1.x returns it as a decimal string. */
  @Column({ type: 'bigint', unsigned: true })
  generation!: string;

  @Column({ type: 'datetime', precision: 3, name: 'updated_at' })
  updatedAt!: Date;
}
