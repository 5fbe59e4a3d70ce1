import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { asciiColumn, CIDR_LENGTH, ID_COLUMN, IFNAME_LENGTH } from './columns.js';

/** Who an address belongs to (§5.2.6): a filer (mgmt#/san#), a vsvr (data#) or a MySQL node. */
export type AddressOwnerKind = 'filer' | 'vsvr' | 'mysql_node';

/**
 * One address on an alias. `ip` is unique cluster-wide: two owners can never be given the same
 * address, whatever the race between two requests.
 */
@Entity({ name: 'addresses' })
@Unique('uq_addresses_ip', ['ip'])
@Index('ix_addresses_owner', ['ownerKind', 'ownerId'])
export class AddressEntity {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column({ ...asciiColumn(16), name: 'owner_kind' })
  ownerKind!: AddressOwnerKind;

  /** Id in `filers`, `vsvrs` or `mysql_nodes`, as `ownerKind` says. */
  @Column({ ...ID_COLUMN, name: 'owner_id' })
  ownerId!: number;

  /** Alias name without instance suffix resolution: `data0`, `mgmt1`, `san0`. */
  @Column(asciiColumn(IFNAME_LENGTH))
  alias!: string;

  /** Canonical text of the address, without the prefix length. */
  @Column(asciiColumn(CIDR_LENGTH))
  ip!: string;

  @Column({ type: 'tinyint', unsigned: true, name: 'prefix_length' })
  prefixLength!: number;

  @Column({ type: 'smallint', unsigned: true, nullable: true })
  instance!: number | null;

  @Column(asciiColumn(8))
  mode!: 'static' | 'dhcp';
}
