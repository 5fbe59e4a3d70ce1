import 'reflect-metadata';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { INestApplication } from '@nestjs/common';
import type { PrincipalRole } from '@vsnet/store';
import { AuthStore, storeDataSourceOptions } from '@vsnet/store';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { schemaMigrations } from '../../../migrations/index.js';
import { loadControlConfig } from '../../../apps/control/src/config/control-config.js';
import type { ControlConfig } from '../../../apps/control/src/config/control-config.js';
import { createControlApp, initialize } from '../../../apps/control/src/control-app.js';
import { JsonLogger } from '../../../apps/control/src/logging/json-logger.js';
import {
  clusterApiGrpc,
  errorModelGrpc,
  loadClusterApiPackageDefinition,
} from '../../../libs/contracts/src/cluster-api.js';
import type { ClusterApiServiceName } from '../../../libs/contracts/src/cluster-api.js';
import { createTestDatabase } from './test-database.js';
import type { TestDatabase } from './test-database.js';

// A control service for medium tests: its own migrated database, initialized the way
// `vsnet-control init` does it (principal "admin", cluster NETWORK), serving gRPC on a free
// port of 127.0.0.1, with a generic caller for any vsnet.v1 RPC.

/** Every call gets this deadline: a hung server fails the test instead of stalling it. */
export const DEADLINE_MS = 10_000;

/** A TCP port nothing listens on: bound, read, released (Nest does not report the bound one). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return port;
}

/** The google.rpc.Status of a refusal, decoded from its trailer. */
export interface RefusalDetails {
  readonly reason: string;
  readonly violations: readonly { field: string; description: string }[];
}

/** What one call gave: the answer, or the error with its decoded details. */
export interface CallResult<Res> {
  readonly res?: Res;
  readonly err?: grpc.ServiceError;
  readonly details?: RefusalDetails;
}

export interface RunningControl {
  readonly app: INestApplication;
  readonly address: string;
  readonly db: TestDatabase;
  readonly config: ControlConfig;
  /** The service's log lines (JSON), warnings and up. */
  readonly logs: string[];
  /** The bootstrap admin's bearer secret (cluster NETWORK). */
  readonly adminToken: string;
  /**
   * Calls `service`/`method` (the proto names: `VsvrService`, `AddAddress`) with `token`
   * (`undefined`: no authorization metadata; a string is sent as `Bearer <token>`).
   */
  call<Res = unknown>(
    service: ClusterApiServiceName,
    method: string,
    request: object,
    token?: string,
  ): Promise<CallResult<Res>>;
  /** Creates a principal with `role` (and vsvr scope) straight in the store; returns its token. */
  principal(name: string, role: PrincipalRole, vsvrs?: readonly string[]): Promise<string>;
  stop(): Promise<void>;
}

const errorModel = errorModelGrpc();

function decodeDetails(err: grpc.ServiceError): RefusalDetails | undefined {
  const raw = err.metadata?.get('grpc-status-details-bin')[0];
  if (!(raw instanceof Buffer)) {
    return undefined;
  }
  const status = errorModel.Status.deserialize(raw);
  let reason = '';
  const violations: { field: string; description: string }[] = [];
  for (const any of status.details) {
    const value = any.value;
    if (any.type_url.endsWith('google.rpc.BadRequest')) {
      violations.push(...errorModel.BadRequest.deserialize(value).fieldViolations);
    } else if (any.type_url.endsWith('google.rpc.ErrorInfo')) {
      reason = errorModel.ErrorInfo.deserialize(value).reason;
    }
  }
  return { reason, violations };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** What a test may set of the service it starts. */
export interface ControlOptions {
  /**
   * More VSNET_* variables for the service's configuration. Unless set here,
   * VSNET_QUEUE_PREFIX is the test database's name, so tests never share reconcile jobs.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** How `call` reaches the service (default plaintext; TLS when the env sets VSNET_GRPC_TLS_*). */
  readonly credentials?: grpc.ChannelCredentials;
}

/** Removes what a service's reconcile queue left in Redis under its own prefix. */
export async function dropQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  if (prefix === '') {
    return; // Nothing was started, so nothing to remove (and never every key of the server).
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) {
        await redis.del(...keys);
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Starts a control service on a fresh database; `stop()` closes it and drops the database. */
export async function startControl(
  label: string,
  options: ControlOptions = {},
): Promise<RunningControl> {
  const db = await createTestDatabase(label);
  const grpcPort = await freePort();
  const config: ControlConfig = {
    ...loadControlConfig({ VSNET_QUEUE_PREFIX: db.name, ...options.env, VSNET_MYSQL_URL: db.url }),
    grpcPort,
  };
  const boot = await initialize(config, 'admin');
  const logs: string[] = [];
  const app = await createControlApp(config, new JsonLogger('warn', (line) => logs.push(line)));
  await app.startAllMicroservices();
  await app.init();
  const address = `127.0.0.1:${grpcPort}`;
  const api = clusterApiGrpc(loadClusterApiPackageDefinition());
  const credentials = options.credentials ?? grpc.credentials.createInsecure();
  const clients = new Map<string, grpc.Client>();
  const clientFor = (service: ClusterApiServiceName): grpc.Client => {
    let client = clients.get(service);
    if (client === undefined) {
      const Ctor = (api as unknown as Record<string, typeof grpc.Client>)[service];
      if (Ctor === undefined) {
        throw new Error(`no service ${service} in vsnet.v1`);
      }
      client = new Ctor(address, credentials);
      clients.set(service, client);
    }
    return client;
  };
  const store = new DataSource(
    storeDataSourceOptions({ url: db.url, migrations: schemaMigrations(config.dbEngine) }),
  );
  await store.initialize();
  const auth = new AuthStore(store);
  return {
    app,
    address,
    db,
    config,
    logs,
    adminToken: boot.secret,
    call<Res>(
      service: ClusterApiServiceName,
      method: string,
      request: object,
      token?: string,
    ): Promise<CallResult<Res>> {
      const client = clientFor(service) as unknown as Record<
        string,
        (
          req: object,
          md: grpc.Metadata,
          options: grpc.CallOptions,
          cb: (err: grpc.ServiceError | null, res?: Res) => void,
        ) => void
      >;
      const fn = client[lowerFirst(method)];
      if (fn === undefined) {
        throw new Error(`no RPC ${service}/${method}`);
      }
      const metadata = new grpc.Metadata();
      if (token !== undefined) {
        metadata.set('authorization', `Bearer ${token}`);
      }
      return new Promise((resolve) => {
        fn.call(client, request, metadata, { deadline: Date.now() + DEADLINE_MS }, (err, res) => {
          if (err) {
            const details = decodeDetails(err);
            resolve(details === undefined ? { err } : { err, details });
          } else {
            resolve(res === undefined ? {} : { res });
          }
        });
      });
    },
    async principal(name: string, role: PrincipalRole, vsvrs: readonly string[] = []) {
      const caller = { principal: 'test', rpc: 'test setup', peer: 'local' };
      await auth.createPrincipal(name, role, vsvrs, caller);
      return (await auth.createToken(name, 'test', null, caller)).secret;
    },
    async stop() {
      for (const client of clients.values()) {
        client.close();
      }
      await store.destroy();
      await app.close();
      await db.drop();
      await dropQueueKeys(config.redisUrl, config.pipeline.queuePrefix);
    },
  };
}
