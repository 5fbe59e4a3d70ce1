import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as HEALTH_PROTO_PATH } from 'grpc-health-check';
import type { ProtoGrpcType as AuditGrpcType } from './generated/audit.js';
import type { ProtoGrpcType as AuthGrpcType } from './generated/auth.js';
import type { ProtoGrpcType as ChangeGrpcType } from './generated/change.js';
import type { ProtoGrpcType as ClusterGrpcType } from './generated/cluster.js';
import type { ProtoGrpcType as ConfigGrpcType } from './generated/config.js';
import type { ProtoGrpcType as DhcpGrpcType } from './generated/dhcp.js';
import type { ProtoGrpcType as ErrorDetailsGrpcType } from './generated/error_details.js';
import type { ProtoGrpcType as FailoverGrpcType } from './generated/failover.js';
import type { ProtoGrpcType as FilerGrpcType } from './generated/filer.js';
import type { ProtoGrpcType as InterfaceGrpcType } from './generated/interface.js';
import type { ProtoGrpcType as RoutingGrpcType } from './generated/routing.js';
import type { ProtoGrpcType as SiteGrpcType } from './generated/site.js';
import type { ProtoGrpcType as StatusGrpcType } from './generated/status.js';
import type { ProtoGrpcType as VsvrGrpcType } from './generated/vsvr.js';
import { protoRoot } from './proto-files.js';
import { PROTO_LOADER_OPTIONS } from './proto-loader-options.js';

// The cluster-wide gRPC API (proto/vsnet/v1, docs/api.md): what control serves on :7400 and
// the CLI, EMRS and integrations call.

/** The package of the cluster-wide API; additive changes only within it (docs/api.md). */
export const CLUSTER_API_PACKAGE = 'vsnet.v1';

/** The API's files, relative to the proto root, one per area (document.proto is imported). */
export const CLUSTER_API_PROTO_FILES = [
  'vsnet/v1/cluster.proto',
  'vsnet/v1/filer.proto',
  'vsnet/v1/interface.proto',
  'vsnet/v1/vsvr.proto',
  'vsnet/v1/routing.proto',
  'vsnet/v1/site.proto',
  'vsnet/v1/config.proto',
  'vsnet/v1/audit.proto',
  'vsnet/v1/auth.proto',
  'vsnet/v1/change.proto',
  'vsnet/v1/dhcp.proto',
  'vsnet/v1/failover.proto',
] as const;

/** The google.rpc error model (from the google-proto-files package): Status and its details. */
export const ERROR_MODEL_PROTO_FILES = [
  'google/rpc/status.proto',
  'google/rpc/error_details.proto',
] as const;

/** Every service of the API, by short name, and the RPCs it must offer (the contract's shape). */
export const CLUSTER_API_SERVICES = {
  ClusterService: ['InitCluster', 'GetCluster', 'ChangeClusterMac'],
  FilerService: ['RegisterFiler', 'ListFilers', 'GetFiler', 'CreateJoinToken', 'JoinFiler'],
  InterfaceService: [
    'CreateBond',
    'CreateFailoverInterface',
    'CreateVlan',
    'CreateAlias',
    'DeleteInterface',
    'ListInterfaces',
  ],
  VsvrService: [
    'CreateVsvr',
    'DeleteVsvr',
    'SetFailoverGroup',
    'AddAddress',
    'RemoveAddress',
    'ListVsvrs',
    'GetVsvr',
  ],
  RoutingService: [
    'CreateRoutingPolicy',
    'GetRoutingPolicy',
    'ListRoutingPolicies',
    'UpdateRoutingPolicy',
    'DeleteRoutingPolicy',
    'SetDefaultRoutingPolicy',
    'SetVsvrRoutingPolicy',
    'SetAliasRoutingPolicy',
    'AddVsvrRoute',
    'RemoveVsvrRoute',
    'ListVsvrRoutes',
  ],
  SiteService: ['CreateSite', 'GetSite', 'ListSites', 'UpdateSite', 'DeleteSite'],
  ConfigService: ['Apply', 'Export'],
  AuditService: ['ListAudit'],
  AuthService: ['CreatePrincipal', 'ListPrincipals', 'CreateToken', 'RevokeToken', 'WhoAmI'],
  ChangeService: ['ListChanges', 'GetChange', 'WatchChange', 'ListFilerStatus'],
  DhcpService: ['ExportDhcp'],
  FailoverService: ['GetFailoverStatus', 'MoveVsvr'],
} as const;

export type ClusterApiServiceName = keyof typeof CLUSTER_API_SERVICES;

/** `vsnet.v1.VsvrService`: the fully qualified name reflection, health and audit rows use. */
export function clusterApiServiceName(service: ClusterApiServiceName): string {
  return `${CLUSTER_API_PACKAGE}.${service}`;
}

/** The full method name as gRPC and the audit log spell it: `/vsnet.v1.VsvrService/AddAddress`. */
export function clusterApiMethodPath(service: ClusterApiServiceName, rpc: string): string {
  return `/${clusterApiServiceName(service)}/${rpc}`;
}

/**
 * The RPCs that change something (each answers with the resulting generation and writes one
 * audit row); every other RPC only reads. Apply is one even with `dry_run` for authorization
 * (it needs cluster NETWORK) but writes nothing then.
 */
export const CLUSTER_API_MUTATIONS: ReadonlySet<string> = new Set(
  Object.entries(CLUSTER_API_SERVICES).flatMap(([service, rpcs]) =>
    rpcs
      .filter((rpc) => !/^(Get|List|Watch|Export|WhoAmI$)/.test(rpc))
      .map((rpc) => clusterApiMethodPath(service as ClusterApiServiceName, rpc)),
  ),
);

/**
 * The cluster API, the google.rpc error model and grpc.health.v1 in one package definition, so
 * a server adds every service from it and reflection describes them all, and a client can
 * decode the `grpc-status-details-bin` trailer with the same definitions.
 */
export function loadClusterApiPackageDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(
    [...CLUSTER_API_PROTO_FILES, ...ERROR_MODEL_PROTO_FILES, HEALTH_PROTO_PATH],
    {
      ...PROTO_LOADER_OPTIONS,
      includeDirs: [protoRoot(), dirname(dirname(dirname(HEALTH_PROTO_PATH))), googleProtoRoot()],
    },
  );
}

/** Where npm put Google's published protos (google/rpc/status.proto and the rest). */
function googleProtoRoot(): string {
  return dirname(createRequire(import.meta.url).resolve('google-proto-files/package.json'));
}

type V1<T extends { vsnet: { v1: object } }> = T['vsnet']['v1'];

/** Every service (client constructor + `.service` definition) and message of `vsnet.v1`. */
export type ClusterApiGrpc = V1<ClusterGrpcType> &
  V1<FilerGrpcType> &
  V1<InterfaceGrpcType> &
  V1<VsvrGrpcType> &
  V1<RoutingGrpcType> &
  V1<SiteGrpcType> &
  V1<ConfigGrpcType> &
  V1<AuditGrpcType> &
  V1<AuthGrpcType> &
  V1<ChangeGrpcType> &
  V1<DhcpGrpcType> &
  V1<FailoverGrpcType>;

/** The google.rpc messages (Status, BadRequest, ErrorInfo, …). */
export type ErrorModelGrpc = StatusGrpcType['google']['rpc'] &
  ErrorDetailsGrpcType['google']['rpc'];

/** The typed gRPC objects of the cluster API: `clusterApiGrpc().VsvrService.service`, …. */
export function clusterApiGrpc(
  definition: protoLoader.PackageDefinition = loadClusterApiPackageDefinition(),
): ClusterApiGrpc {
  // loadPackageDefinition is untyped by design; the generated types describe what it builds.
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    vsnet: { v1: ClusterApiGrpc };
  };
  return loaded.vsnet.v1;
}

/** The typed google.rpc message definitions, loaded with the same options. */
export function errorModelGrpc(
  definition: protoLoader.PackageDefinition = loadClusterApiPackageDefinition(),
): ErrorModelGrpc {
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: { rpc: ErrorModelGrpc };
  };
  return loaded.google.rpc;
}

// The API's wire types most callers need (all are in generated/vsnet/v1).
export type { ClusterServiceClient } from './generated/vsnet/v1/ClusterService.js';
export type { FilerServiceClient } from './generated/vsnet/v1/FilerService.js';
export type { InterfaceServiceClient } from './generated/vsnet/v1/InterfaceService.js';
export type { VsvrServiceClient } from './generated/vsnet/v1/VsvrService.js';
export type { RoutingServiceClient } from './generated/vsnet/v1/RoutingService.js';
export type { SiteServiceClient } from './generated/vsnet/v1/SiteService.js';
export type { ConfigServiceClient } from './generated/vsnet/v1/ConfigService.js';
export type { AuditServiceClient } from './generated/vsnet/v1/AuditService.js';
export type { AuthServiceClient } from './generated/vsnet/v1/AuthService.js';
export type { ChangeServiceClient } from './generated/vsnet/v1/ChangeService.js';
export type { DhcpServiceClient } from './generated/vsnet/v1/DhcpService.js';
export type { FailoverServiceClient } from './generated/vsnet/v1/FailoverService.js';
export type {
  ClusterDocument as ClusterDocumentMessage,
  ClusterDocument__Output as ClusterDocumentMessage__Output,
} from './generated/vsnet/v1/ClusterDocument.js';
export type { Role, Role__Output } from './generated/vsnet/v1/Role.js';
export type { BadRequest, BadRequest__Output } from './generated/google/rpc/BadRequest.js';
export type { ErrorInfo, ErrorInfo__Output } from './generated/google/rpc/ErrorInfo.js';
export type { Status, Status__Output } from './generated/google/rpc/Status.js';
