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
export function reflectionPackageDefinition(
  api: 'agent' | 'cluster',
): protoLoader.PackageDefinition {
  // Each server describes only what it serves: the agent's files, or the cluster API's (with
  // google.rpc and the well-known types); health is in both.
  const other = api === 'agent' ? 'vsnet/v1/' : 'vsnet/agent/';
  const files = FILE_DESCRIPTOR_PROTOS_BASE64.map((b) => Buffer.from(b, 'base64')).filter(
    (d) => !descriptorFileName(d).startsWith(other),
  );
  // Reflection reads only `fileDescriptorProtos`; the entry poses as an enum definition.
  return {
    'vsnet.reflection.Descriptors': {
      format: 'Protocol Buffer 3 EnumDescriptorProto',
      type: {},
      fileDescriptorProtos: files,
    },
  };
}

/** A FileDescriptorProto's `name` (field 1, written first by buf): `vsnet/v1/config.proto`. */
function descriptorFileName(descriptor: Buffer): string {
  if (descriptor[0] !== 0x0a) {
    return '';
  }
  let length = 0;
  let at = 1;
  for (let shift = 0; at < descriptor.length; shift += 7) {
    const b = descriptor[at++] ?? 0;
    length += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) {
      break;
    }
  }
  return descriptor.toString('utf8', at, at + length);
}
