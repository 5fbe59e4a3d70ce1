import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { asciiColumn, ID_COLUMN, IFNAME_LENGTH, NAME_LENGTH } from './columns.js';

export type InterfaceKind = 'physical' | 'bond' | 'failover' | 'vlan' | 'alias';

/** One interface of a filer's hierarchy: eth#, bond#, fail#, `<parent>.<tag>`, data#/mgmt#/san#. */
@Entity({ name: 'interfaces' })
@Unique('uq_interfaces_filer_name', ['filerId', 'name'])
export class InterfaceEntity {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column({ ...ID_COLUMN, name: 'filer_id' })
  filerId!: number;

  @Column(asciiColumn(IFNAME_LENGTH))
  name!: string;

  @Column(asciiColumn(16))
  kind!: InterfaceKind;

  @Column(asciiColumn(17, true))
  mac!: string | null;

  @Column({ type: 'smallint', unsigned: true, nullable: true })
  mtu!: number | null;

  /** Bonding mode (802.3ad, balance-xor, …); null for other kinds. */
  @Column(asciiColumn(16, true))
  mode!: string | null;

  /** Name of the preferred member of a failover interface. */
  @Column({ ...asciiColumn(IFNAME_LENGTH, true), name: 'primary_member' })
  primaryMember!: string | null;

  /** Lower interface of a VLAN interface or an alias. */
  @Column({ ...asciiColumn(IFNAME_LENGTH, true), name: 'on_interface' })
  onInterface!: string | null;

  /** Routing policy of a mgmt#/san# alias. */
  @Column({ ...asciiColumn(NAME_LENGTH, true), name: 'routing_policy' })
  routingPolicy!: string | null;
}

/** Member `position` (0-based, in the document's order) of a bond or failover interface. */
@Entity({ name: 'interface_members' })
export class InterfaceMemberEntity {
  @PrimaryColumn({ ...ID_COLUMN, name: 'interface_id' })
  interfaceId!: number;

  @PrimaryColumn({ type: 'tinyint', unsigned: true })
  position!: number;

  @Column({ ...asciiColumn(IFNAME_LENGTH), name: 'member_name' })
  memberName!: string;
}
