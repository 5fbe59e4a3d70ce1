import type { Server } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import type { GrpcOptions } from '@nestjs/microservices';
import { Transport } from '@nestjs/microservices';
import { HEALTH_SERVICE_NAME, reflectionPackageDefinition } from '@vsnet/contracts';
import { HealthImplementation } from 'grpc-health-check';
import {
  CLUSTER_API_PACKAGE,
  CLUSTER_API_SERVICES,
  clusterApiServiceName,
  loadClusterApiPackageDefinition,
} from '../../../../libs/contracts/src/cluster-api.js';
import type { ClusterApiServiceName } from '../../../../libs/contracts/src/cluster-api.js';
import { tlsServerCredentials } from '../../../../libs/contracts/src/tls.js';
import type { TlsIdentity } from '../../../../libs/contracts/src/tls.js';

/** The services grpc.health.v1 answers for: overall (''), every vsnet.v1 service, health. */
function healthServiceNames(): string[] {
  return [
    '',
    HEALTH_SERVICE_NAME,
    ...(Object.keys(CLUSTER_API_SERVICES) as ClusterApiServiceName[]).map(clusterApiServiceName),
  ];
}

/**
 * The gRPC side of vsnet-control (a hybrid app: HTTP stays on VSNET_HTTP_PORT): every
 * vsnet.v1 service from the cluster API's package definition on `host:port`, plus
 * grpc.health.v1 and server reflection added to the same grpc-js server (STACK.md trap 13).
 * Services without handlers answer UNIMPLEMENTED. Health reports SERVING from the moment the
 * server is built: Nest binds right after and offers no later hook. With `tls` (the
 * certificate and key of VSNET_GRPC_TLS_CERT/KEY) the port speaks TLS only.
 */
export function controlGrpcOptions(port: number, host = '0.0.0.0', tls?: TlsIdentity): GrpcOptions {
  const health = new HealthImplementation(
    Object.fromEntries(healthServiceNames().map((name) => [name, 'SERVING'])),
  );
  return {
    transport: Transport.GRPC,
    options: {
      url: `${host}:${port}`,
      package: CLUSTER_API_PACKAGE,
      packageDefinition: loadClusterApiPackageDefinition(),
      gracefulShutdown: false,
      // Nest binds with these; without them it binds in plaintext.
      ...(tls !== undefined ? { credentials: tlsServerCredentials(tls) } : {}),
      onLoadPackageDefinition: (_pkg: unknown, server: Server) => {
        health.addToServer(server);
        new ReflectionService(reflectionPackageDefinition('cluster')).addToServer(server);
      },
    },
  };
}
