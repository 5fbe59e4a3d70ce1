export type { DbEngine } from './db-engine.js';
export { tableOptions } from './db-engine.js';
export { MIGRATIONS_TABLE, mysqlSocket, storeDataSourceOptions } from './data-source-options.js';
export type { StoreConnection } from './data-source-options.js';
export { applyMigrations } from './migrate.js';
export { ISOLATION_LEVEL, NestedTransactionError, inTransaction } from './transaction.js';
export { STORE_ENTITIES } from './store-entities.js';
export { asciiColumn, CIDR_LENGTH, IFNAME_LENGTH, NAME_LENGTH } from './entities/columns.js';
export { AddressEntity } from './entities/address.entity.js';
export type { AddressOwnerKind } from './entities/address.entity.js';
export { AuditEntity } from './entities/audit.entity.js';
export { ClusterEntity } from './entities/cluster.entity.js';
export { FilerEntity } from './entities/filer.entity.js';
export { InterfaceEntity, InterfaceMemberEntity } from './entities/interface.entity.js';
export type { InterfaceKind } from './entities/interface.entity.js';
export { MysqlNodeEntity } from './entities/mysql-node.entity.js';
export { PrincipalEntity, PrincipalGrantEntity, TokenEntity } from './entities/principal.entity.js';
export type { GrantPrivilege, GrantScopeKind } from './entities/principal.entity.js';
export { RouteEntity, RoutingPolicyEntity } from './entities/routing.entity.js';
export type { RouteOwnerKind } from './entities/routing.entity.js';
export { SiteEntity, SiteSubnetEntity } from './entities/site.entity.js';
export { FailoverGroupEntryEntity, VsvrEntity } from './entities/vsvr.entity.js';
export { ClusterStateStore, StoredClusterError } from './cluster-state/cluster-state.store.js';
export type {
  ApplyOptions,
  ApplyResult,
  AuditedCaller,
  ClusterChange,
  ClusterEdit,
  CommitListener,
  CompiledCluster,
  EditResult,
  PlannedEdit,
  StoredCluster,
} from './cluster-state/cluster-state.types.js';
export { AuthStore, PRINCIPAL_NAME_PATTERN, TOKEN_DESCRIPTION_LENGTH } from './auth/auth.store.js';
export type { Authenticated, PrincipalRole, PrincipalView, TokenView } from './auth/auth.store.js';
export { AuditStore } from './audit/audit.store.js';
export {
  FAILOVER_MOVES_LENGTH,
  FailoverEventEntity,
  FilerHealthEntity,
  VsvrPlacementEntity,
} from './entities/failover.entity.js';
export type {
  PlacementMove,
  PlacementReason,
  PlacementView,
} from './cluster-state/vsvr-placement.js';
export { FAILOVER_EVENTS_KEPT, FailoverStore } from './failover/failover.store.js';
export type {
  FailoverEventInput,
  FailoverEventView,
  FailoverKind,
  FailoverMoveView,
  FilerHealthRow,
  FilerHealthState,
} from './failover/failover.store.js';
export type { AuditQuery, AuditRecord } from './audit/audit.store.js';
export {
  ChangeTargetEntity,
  FilerStateEntity,
  JoinTokenEntity,
  LeaderLeaseEntity,
} from './entities/pipeline.entity.js';
export type { FilerApplyState } from './entities/pipeline.entity.js';
export {
  DEFAULT_JOIN_TTL_SECONDS,
  JoinStore,
  JoinTokenRejected,
  MAX_JOIN_TTL_SECONDS,
} from './join/join.store.js';
export type { JoinRecord, JoinRejection, JoinTokenView } from './join/join.store.js';
export { noAgentError, PipelineStore, recordSpecChanges } from './pipeline/pipeline.store.js';
export type {
  ApplyRecord,
  ChangeView,
  FilerSpecDigest,
  FilerStateView,
  HeldLease,
  RetryBackoff,
} from './pipeline/pipeline.store.js';
