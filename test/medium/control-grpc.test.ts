import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { INestApplication } from '@nestjs/common';
import { healthGrpc } from '@vsnet/contracts';
import type { ClusterDocument } from '@vsnet/model';
import { decodeClusterDocument } from '@vsnet/model';
import { createConnection } from 'mysql2/promise';
import { parse } from 'yaml';
import { loadControlConfig } from '../../apps/control/src/config/control-config.js';
import type { ControlConfig } from '../../apps/control/src/config/control-config.js';
import { createControlApp, initialize } from '../../apps/control/src/control-app.js';
import { JsonLogger } from '../../apps/control/src/logging/json-logger.js';
import {
  clusterApiGrpc,
  errorModelGrpc,
  loadClusterApiPackageDefinition,
} from '../../libs/contracts/src/cluster-api.js';
import type {
  ClusterServiceClient,
  ConfigServiceClient,
  Status__Output,
} from '../../libs/contracts/src/cluster-api.js';
import {
  clusterDocumentFromWire,
  clusterDocumentToWire,
} from '../../libs/contracts/src/cluster-api-document.js';
import type { ApplyResponse__Output } from '../../libs/contracts/src/generated/vsnet/v1/ApplyResponse.js';
import type { ExportResponse__Output } from '../../libs/contracts/src/generated/vsnet/v1/ExportResponse.js';
import type { GetClusterResponse__Output } from '../../libs/contracts/src/generated/vsnet/v1/GetClusterResponse.js';
import { dropQueueKeys } from './support/control-service.js';
import { createTestDatabase } from './support/test-database.js';
import type { TestDatabase } from './support/test-database.js';

const REPO = join(import.meta.dirname, '..', '..');
/** Every call gets this deadline: a hung server fails the test instead of stalling it. */
const DEADLINE_MS = 10_000;

/** A TCP port nothing listens on: bound, read, released (Nest does not report the bound one). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return port;
}

function deadline(): grpc.CallOptions {
  return { deadline: Date.now() + DEADLINE_MS };
}

type Invoke<Res> = (
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<Res>,
) => unknown;

/** The bootstrap admin's token of the running service (set by `start`). */
let adminToken = '';

/** Calls a unary RPC as the admin with a deadline; resolves to the answer or the ServiceError. */
function call<Res>(invoke: Invoke<Res>): Promise<{ res?: Res; err?: grpc.ServiceError }> {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${adminToken}`);
  return new Promise((resolve) => {
    invoke(metadata, deadline(), (err, res) => resolve(err ? { err } : { res }));
  });
}

function seedText(): string {
  return readFileSync(join(REPO, 'deploy/examples/seed-cluster.yaml'), 'utf8');
}

/** The seed as printed: Filer2's san0 reuses vsvr's 10.2.2.3 (the model refuses it). */
function printedSeed(): ClusterDocument {
  return parse(seedText()) as ClusterDocument;
}

/** The seed with Filer2's san0 moved to 10.2.2.4/24, which the model accepts. */
function correctedSeed(): ClusterDocument {
  const text = seedText();
  const corrected = text.replace(
    '{ alias: san0, address: 10.2.2.3/24 }',
    '{ alias: san0, address: 10.2.2.4/24 }',
  );
  expect(corrected).not.toBe(text);
  return parse(corrected) as ClusterDocument;
}

/** The document as the model reads it: the form two documents are compared in. */
function normalized(doc: ClusterDocument): unknown {
  const decoded = decodeClusterDocument(doc);
  expect(decoded.problems.filter((p) => p.severity === 'error')).toEqual([]);
  return decoded.cluster;
}

interface Running {
  readonly app: INestApplication;
  readonly config: ConfigServiceClient;
  readonly cluster: ClusterServiceClient;
  readonly address: string;
  readonly db: TestDatabase;
  readonly logs: string[];
}

async function start(label: string): Promise<Running> {
  const db = await createTestDatabase(label);
  const grpcPort = await freePort();
  const config: ControlConfig = {
    ...loadControlConfig({ VSNET_MYSQL_URL: db.url, VSNET_QUEUE_PREFIX: db.name }),
    grpcPort,
  };
  adminToken = (await initialize(config, 'admin')).secret;
  const logs: string[] = [];
  const app = await createControlApp(config, new JsonLogger('warn', (line) => logs.push(line)));
  await app.startAllMicroservices();
  await app.init();
  const address = `127.0.0.1:${grpcPort}`;
  const api = clusterApiGrpc();
  const credentials = grpc.credentials.createInsecure();
  return {
    app,
    db,
    logs,
    address,
    config: new api.ConfigService(address, credentials),
    cluster: new api.ClusterService(address, credentials),
  };
}

async function stop(running: Running | undefined): Promise<void> {
  running?.config.close();
  running?.cluster.close();
  await running?.app.close();
  await running?.db.drop();
  await dropQueueKeys('redis://127.0.0.1:6379', running?.db.name ?? '');
}

function apply(r: Running, document: ClusterDocument, dryRun = false) {
  return call<ApplyResponse__Output>((m, o, cb) =>
    r.config.apply({ document: clusterDocumentToWire(document), dryRun }, m, o, cb),
  );
}

function exportCluster(r: Running) {
  return call<ExportResponse__Output>((m, o, cb) => r.config.export({}, m, o, cb));
}

function getCluster(r: Running) {
  return call<GetClusterResponse__Output>((m, o, cb) => r.cluster.getCluster({}, m, o, cb));
}

/** Lists the services through grpc.reflection.v1 (what grpcurl and buf curl use). */
async function reflectedServices(address: string): Promise<string[]> {
  const root = join(
    dirname(createRequire(import.meta.url).resolve('@grpc/reflection/package.json')),
    'build/proto',
  );
  const definition = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', {
    includeDirs: [root],
    keepCase: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: typeof grpc.Client } } };
  };
  const client = new loaded.grpc.reflection.v1.ServerReflection(
    address,
    grpc.credentials.createInsecure(),
  ) as grpc.Client & {
    ServerReflectionInfo(opts: grpc.CallOptions): grpc.ClientDuplexStream<unknown, unknown>;
  };
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const stream = client.ServerReflectionInfo(deadline());
      stream.on('data', (message: { list_services_response?: { service: { name: string }[] } }) => {
        resolve((message.list_services_response?.service ?? []).map((s) => s.name));
        stream.end();
      });
      stream.on('error', reject);
      stream.write({ list_services: '' });
    });
  } finally {
    client.close();
  }
}

describe('vsnet-control gRPC: health, reflection, ConfigService, ClusterService', () => {
  let r: Running;

  beforeAll(async () => {
    r = await start('grpc');
  });

  afterAll(async () => {
    await stop(r);
  });

  it('reports SERVING through grpc.health.v1', async () => {
    const { Health } = healthGrpc();
    const client = new Health(r.address, grpc.credentials.createInsecure());
    try {
      for (const service of ['', 'vsnet.v1.ConfigService']) {
        const answer = await new Promise<string>((resolve, reject) =>
          client.check({ service }, deadline(), (err, res) =>
            err ? reject(err) : resolve(String(res?.status)),
          ),
        );
        expect(answer).toBe('SERVING');
      }
    } finally {
      client.close();
    }
  });

  it('lists vsnet.v1.ConfigService through server reflection, and not the agent API', async () => {
    const services = await reflectedServices(r.address);
    expect(services).not.toContain('vsnet.agent.v1.Agent');
    expect(services).toEqual(
      expect.arrayContaining(['vsnet.v1.ConfigService', 'vsnet.v1.ClusterService']),
    );
  });

  it('answers Export and GetCluster with FAILED_PRECONDITION before any apply', async () => {
    const exported = await exportCluster(r);
    expect(exported.err?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(exported.err?.details).toMatch(/never been applied/);
    expect(exported.err?.details).not.toMatch(/\n/);
    const head = await getCluster(r);
    expect(head.err?.code).toBe(grpc.status.FAILED_PRECONDITION);
  });

  it('applies the corrected seed: changes and generation 1', async () => {
    const { res, err } = await apply(r, correctedSeed());
    expect(err).toBeUndefined();
    expect(res?.generation).toBe('1');
    expect(res?.applied).toBe(true);
    expect(res?.changes.length).toBeGreaterThan(0);
    expect(res?.changes[0]).toEqual(
      expect.objectContaining({ kind: 'CHANGE_KIND_ADDED', path: expect.any(String) }),
    );
  });

  it('exports a document semantically equal to the applied one', async () => {
    const { res, err } = await exportCluster(r);
    expect(err).toBeUndefined();
    expect(res?.generation).toBe('1');
    const exported = clusterDocumentFromWire(res!.document!);
    expect(normalized(exported)).toEqual(normalized(correctedSeed()));
  });

  it('applies the export again with zero changes, still at generation 1', async () => {
    const exported = await exportCluster(r);
    const document = clusterDocumentFromWire(exported.res!.document!);
    const { res, err } = await apply(r, document);
    expect(err).toBeUndefined();
    expect(res?.changes).toEqual([]);
    expect(res?.generation).toBe('1');
    expect(res?.applied).toBe(false);
  });

  it('refuses the seed as printed with INVALID_ARGUMENT and a BadRequest at the document path', async () => {
    const before = await exportCluster(r);
    const { err } = await apply(r, printedSeed());
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/^the document has \d+ problems? and nothing was written/);
    expect(err?.details).toContain('vsvrs[0].addresses[2].address');

    const trailer = err?.metadata.get('grpc-status-details-bin')[0];
    expect(trailer).toBeInstanceOf(Buffer);
    const errors = errorModelGrpc(loadClusterApiPackageDefinition());
    const statusDetails: Status__Output = errors.Status.deserialize(trailer as Buffer);
    expect(statusDetails.code).toBe(grpc.status.INVALID_ARGUMENT);
    const badRequest = statusDetails.details.find((d) =>
      d.type_url.endsWith('/google.rpc.BadRequest'),
    );
    const errorInfo = statusDetails.details.find((d) =>
      d.type_url.endsWith('/google.rpc.ErrorInfo'),
    );
    const violations = errors.BadRequest.deserialize(
      Buffer.from(badRequest!.value),
    ).fieldViolations;
    expect(violations.map((v) => v.field)).toContain('vsvrs[0].addresses[2].address');
    expect(violations[0]?.description).toContain(' — ');
    const info = errors.ErrorInfo.deserialize(Buffer.from(errorInfo!.value));
    expect(info.domain).toBe('vsnet');
    expect(info.reason).toEqual(expect.any(String));
    expect(info.reason).not.toBe('');

    // Nothing was written: same generation, same document.
    const head = await getCluster(r);
    expect(head.err).toBeUndefined();
    expect(head.res?.generation).toBe('1');
    const after = await exportCluster(r);
    expect(after.res).toEqual(before.res);
  });

  it('reports the cluster head through GetCluster', async () => {
    const { res, err } = await getCluster(r);
    expect(err).toBeUndefined();
    expect(res?.generation).toBe('1');
    expect(res?.filerCount).toBe(2);
    expect(res?.vsvrCount).toBeGreaterThan(0);
    expect(res?.cluster?.mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(Number(res?.updatedUnixMs)).toBeGreaterThan(0);
  });

  it('refuses an Apply without a document with INVALID_ARGUMENT naming the field', async () => {
    const { err } = await call<ApplyResponse__Output>((m, o, cb) =>
      r.config.apply({ dryRun: true }, m, o, cb),
    );
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/^document: /);
  });

  // Last: it breaks the database under the running service.
  it('answers an unexpected failure with INTERNAL and a generic message, and logs the error', async () => {
    const conn = await createConnection(r.db.url);
    try {
      await conn.query('RENAME TABLE cluster TO cluster_gone');
    } finally {
      await conn.end();
    }
    const { err } = await exportCluster(r);
    expect(err?.code).toBe(grpc.status.INTERNAL);
    expect(err?.details).toBe('internal error; the service logged the details');
    const logged = r.logs.map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: expect.stringMatching(/^\/vsnet\.v1\.ConfigService\/Export failed: .*cluster/),
      }),
    );
  });
});
