import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as HEALTH_PROTO_PATH } from 'grpc-health-check';
import type { ProtoGrpcType as AgentGrpcType } from './generated/agent.js';
import type { ProtoGrpcType as HealthGrpcType } from './generated/health.js';
import { FILE_DESCRIPTOR_PROTOS_BASE64 } from './generated/descriptors.js';
import { PROTO_LOADER_OPTIONS } from './proto-loader-options.js';

/** The agent API's file, relative to the proto root. */
export const AGENT_PROTO_FILE = 'vsnet/agent/v1/agent.proto';
/** Fully qualified service names, as reflection and health checks spell them. */
export const AGENT_SERVICE_NAME = 'vsnet.agent.v1.Agent';
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

/**
 * The repository's `proto/` folder, found by walking up from this module: it is the same from
 * the TypeScript sources (libs/contracts/src) and from the build (dist/libs/contracts/src).
 */
export function protoRoot(from: string = import.meta.dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, AGENT_PROTO_FILE))) {
      return candidate;
    }
    if (dirname(dir) === dir) {
      throw new Error(
        `cannot find proto/${AGENT_PROTO_FILE} in any folder above ${from}; ` +
          'run vsnet from its installation folder, which holds proto/',
      );
    }
  }
}

/**
 * The agent API and grpc.health.v1 in one package definition, so server reflection describes
 * both (STACK.md trap 13).
 */
export function loadAgentPackageDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync([AGENT_PROTO_FILE, HEALTH_PROTO_PATH], {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: [protoRoot(), dirname(dirname(dirname(HEALTH_PROTO_PATH)))],
  });
}

/** The typed gRPC objects (client constructors, service definitions) of the agent API. */
export function agentGrpc(
  definition: protoLoader.PackageDefinition = loadAgentPackageDefinition(),
): AgentGrpcType['vsnet']['agent']['v1'] {
  // loadPackageDefinition is untyped by design; the generated type describes what it builds.
  const loaded = grpc.loadPackageDefinition(definition) as unknown as AgentGrpcType;
  return loaded.vsnet.agent.v1;
}

/** The typed gRPC objects of grpc.health.v1, loaded with the same options. */
export function healthGrpc(
  definition: protoLoader.PackageDefinition = loadAgentPackageDefinition(),
): HealthGrpcType['grpc']['health']['v1'] {
  const loaded = grpc.loadPackageDefinition(definition) as unknown as HealthGrpcType;
  return loaded.grpc.health.v1;
}

/**
 * What server reflection serves: the protos' file descriptors as buf builds them (see
 * scripts/gen-proto.mjs), under their real file names, so `buf curl` and grpcurl can both list
 * the services and call them. proto-loader's own descriptors list fine but cannot be called.
 */
export function reflectionPackageDefinition(): protoLoader.PackageDefinition {
  // Reflection reads only `fileDescriptorProtos`; the entry poses as an enum definition.
  return {
    'vsnet.reflection.Descriptors': {
      format: 'Protocol Buffer 3 EnumDescriptorProto',
      type: {},
      fileDescriptorProtos: FILE_DESCRIPTOR_PROTOS_BASE64.map((b) => Buffer.from(b, 'base64')),
    },
  };
}
