import { AddressEntity } from './entities/address.entity.js';
import { AuditEntity } from './entities/audit.entity.js';
import { ClusterEntity } from './entities/cluster.entity.js';
import { FilerEntity } from './entities/filer.entity.js';
import { InterfaceEntity, InterfaceMemberEntity } from './entities/interface.entity.js';
import { MysqlNodeEntity } from './entities/mysql-node.entity.js';
import {
  ChangeTargetEntity,
  FilerStateEntity,
  JoinTokenEntity,
  LeaderLeaseEntity,
} from './entities/pipeline.entity.js';
import { PrincipalEntity, PrincipalGrantEntity, TokenEntity } from './entities/principal.entity.js';
import { RouteEntity, RoutingPolicyEntity } from './entities/routing.entity.js';
import { SiteEntity, SiteSubnetEntity } from './entities/site.entity.js';
import { FailoverGroupEntryEntity, VsvrEntity } from './entities/vsvr.entity.js';
import {
  FailoverEventEntity,
  FilerHealthEntity,
  VsvrPlacementEntity,
} from './entities/failover.entity.js';

/** Every entity of the schema; the migrations in migrations/ create exactly these tables. */
export const STORE_ENTITIES = [
  ClusterEntity,
  FilerEntity,
  InterfaceEntity,
  InterfaceMemberEntity,
  AddressEntity,
  VsvrEntity,
  FailoverGroupEntryEntity,
  RoutingPolicyEntity,
  RouteEntity,
  SiteEntity,
  SiteSubnetEntity,
  MysqlNodeEntity,
  PrincipalEntity,
  PrincipalGrantEntity,
  TokenEntity,
  AuditEntity,
  FilerStateEntity,
  ChangeTargetEntity,
  JoinTokenEntity,
  LeaderLeaseEntity,
  VsvrPlacementEntity,
  FailoverEventEntity,
  FilerHealthEntity,
];
