import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { asciiColumn, CIDR_LENGTH, ID_COLUMN, IFNAME_LENGTH, NAME_LENGTH } from './columns.js';

/** A named, shareable set of routes; `extendsPolicy` names the policy it inherits from. */
@Entity({ name: 'routing_policies' })
@Unique('uq_routing_policies_name', ['name'])
export class RoutingPolicyEntity {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column(asciiColumn(NAME_LENGTH))
  name!: string;

  @Column({ ...asciiColumn(NAME_LENGTH, true), name: 'extends_policy' })
  extendsPolicy!: string | null;
}

/** A route of a routing policy or one written on a vsvr itself. */
export type RouteOwnerKind = 'policy' | 'vsvr';

@Entity({ name: 'routes' })
@Index('ix_routes_owner', ['ownerKind', 'ownerId'])
export class RouteEntity {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column({ ...asciiColumn(8), name: 'owner_kind' })
  ownerKind!: RouteOwnerKind;

  @Column({ ...ID_COLUMN, name: 'owner_id' })
  ownerId!: number;

  /** Destination prefix (`0.0.0.0/0`, `2001:db8::/32`). */
  @Column({ ...asciiColumn(CIDR_LENGTH), name: 'destination' })
  destination!: string;

  @Column(asciiColumn(CIDR_LENGTH, true))
  via!: string | null;

  @Column(asciiColumn(IFNAME_LENGTH, true))
  alias!: string | null;

  @Column({ type: 'int', unsigned: true, nullable: true })
  metric!: number | null;
}
