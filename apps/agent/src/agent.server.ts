import { lstat, rm } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import type { AgentHandlers } from '@vsnet/contracts';
import { AGENT_SERVICE_NAME, agentGrpc, reflectionPackageDefinition } from '@vsnet/contracts';
import { HealthImplementation } from 'grpc-health-check';

/** How long a stopping server waits for its calls before it closes them. */
export const SHUTDOWN_GRACE_MS = 5_000;

/**
 * The agent's gRPC server: the Agent service, grpc.health.v1 (overall and per service) and
 * server reflection, so `buf curl` and grpcurl can list and call it. Plain grpc-js: the agent
 * sits on the failover path and must start fast (docs/decisions/0004-agent-without-nest.md).
 */
export class AgentServer {
  private readonly server = new grpc.Server({
    // Find dead leaders' streams: ping after 10 s of silence, give up 5 s later.
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
  });
  private readonly health = new HealthImplementation({
    '': 'NOT_SERVING',
    [AGENT_SERVICE_NAME]: 'NOT_SERVING',
  });

  constructor(definition: PackageDefinition, handlers: AgentHandlers) {
    this.server.addService(agentGrpc(definition).Agent.service, handlers);
    this.health.addToServer(this.server);
    new ReflectionService(reflectionPackageDefinition('agent')).addToServer(this.server);
  }

  /**
   * Binds `listen` with `credentials` (plaintext unless given) and starts serving; resolves to
   * the bound address (the real port for :0).
   */
  async listen(
    listen: string,
    credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
  ): Promise<string> {
    if (listen.startsWith('unix:')) {
      await removeStaleSocket(listen.slice('unix:'.length));
    }
    const port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(listen, credentials, (err, bound) =>
        err ? reject(new Error(`cannot listen on ${listen}: ${err.message}`)) : resolve(bound),
      );
    });
    this.setServing(true);
    return listen.startsWith('unix:')
      ? listen
      : `${listen.slice(0, listen.lastIndexOf(':'))}:${port}`;
  }

  setServing(serving: boolean): void {
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    this.health.setStatus('', status);
    this.health.setStatus(AGENT_SERVICE_NAME, status);
  }

  /** Stops taking calls, lets running ones finish for up to `graceMs`, then closes the rest. */
  async shutdown(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    this.setServing(false);
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}

/** A socket file left by an agent that died; anything else at the path is left alone. */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    if ((await lstat(path)).isSocket()) {
      await rm(path, { force: true });
    }
  } catch (err) {
    if (!(typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT')) {
      throw err;
    }
  }
}
