import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { asciiColumn, CIDR_LENGTH, ID_COLUMN, NAME_LENGTH } from './columns.js';

@Entity({ name: 'sites' })
@Unique('uq_sites_name', ['name'])
export class SiteEntity {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column(asciiColumn(NAME_LENGTH))
  name!: string;
}

/** A subnet belongs to one site only: every address resolves to at most one site. */
@Entity({ name: 'site_subnets' })
@Unique('uq_site_subnets_subnet', ['subnet'])
export class SiteSubnetEntity {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column({ ...ID_COLUMN, name: 'site_id' })
  siteId!: number;

  @Column(asciiColumn(CIDR_LENGTH))
  subnet!: string;
}
