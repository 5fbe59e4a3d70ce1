import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { loadControlConfig } from '../../apps/control/src/config/control-config.js';
import type { ControlConfig } from '../../apps/control/src/config/control-config.js';
import { createControlApp, migrateDatabase } from '../../apps/control/src/control-app.js';
import { JsonLogger } from '../../apps/control/src/logging/json-logger.js';
import { schemaMigrations } from '../../migrations/index.js';
import { dropQueueKeys } from './support/control-service.js';
import { createTestDatabase } from './support/test-database.js';
import type { TestDatabase } from './support/test-database.js';

/** A TCP port nothing listens on: bound, read, released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return port;
}

interface RunningApp {
  readonly app: INestApplication;
  readonly base: string;
  readonly logs: string[];
}

/** Boots the real app module on a free port (port 0), capturing its JSON log lines. */
async function start(config: ControlConfig): Promise<RunningApp> {
  const logs: string[] = [];
  const app = await createControlApp(config, new JsonLogger('info', (line) => logs.push(line)));
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as { address(): AddressInfo };
  const { port } = server.address();
  return { app, base: `http://127.0.0.1:${port}`, logs };
}

/** Every migration's name, in order: what a first migrate applies. */
function migrationNames(config: ControlConfig): string[] {
  return schemaMigrations(config.dbEngine).map((Migration) => new Migration().name ?? '');
}

describe('vsnet-control HTTP: health, readiness, metrics', () => {
  let db: TestDatabase;
  let healthy: RunningApp;
  let noDatabase: RunningApp;

  beforeAll(async () => {
    db = await createTestDatabase('http');
    const config = loadControlConfig({ VSNET_MYSQL_URL: db.url, VSNET_QUEUE_PREFIX: db.name });
    expect(await migrateDatabase(config)).toEqual(migrationNames(config));
    healthy = await start(config);
    noDatabase = await start({
      ...config,
      mysqlUrl: `mysql://root@127.0.0.1:${await closedPort()}/vsnet`,
    });
  });

  afterAll(async () => {
    await healthy?.app.close();
    await noDatabase?.app.close();
    await db?.drop();
    await dropQueueKeys('redis://127.0.0.1:6379', db?.name ?? '');
  });

  it('answers /healthz while the process is up', async () => {
    const res = await fetch(`${healthy.base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('is ready when the database and Redis answer', async () => {
    const res = await fetch(`${healthy.base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      checks: { database: { ok: true }, redis: { ok: true } },
      failed: [],
    });
  });

  it('is unready, naming the database, when MySQL cannot be reached', async () => {
    const res = await fetch(`${noDatabase.base}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as {
      status: string;
      failed: string[];
      checks: { database: { ok: boolean; error?: string }; redis: { ok: boolean } };
    };
    expect(body.status).toBe('unready');
    expect(body.failed).toEqual(['database']);
    expect(body.checks.database.ok).toBe(false);
    expect(body.checks.database.error).toEqual(expect.any(String));
    expect(body.checks.redis.ok).toBe(true);
  });

  it('serves Prometheus metrics with vsnet_up and the default process metrics', async () => {
    const res = await fetch(`${healthy.base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^vsnet_up 1$/m);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('logs JSON lines', () => {
    expect(healthy.logs.length).toBeGreaterThan(0);
    for (const line of healthy.logs) {
      expect(JSON.parse(line)).toEqual(
        expect.objectContaining({ time: expect.any(String), level: expect.any(String) }),
      );
    }
  });
});
