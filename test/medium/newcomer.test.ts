import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createConnection } from 'mysql2/promise';
import { dropQueueKeys, freePort } from './support/control-service.js';

// A newcomer's first minutes, as processes built by `npm run build`: `vsnet-control init`
// prints a token once, `vsnet-control serve` starts, `vsnet` works with that token, and the
// server lists its services through reflection (buf curl; grpcurl is not packaged for this
// Debian, and buf comes with npm ci).

const REPO = join(import.meta.dirname, '..', '..');
const SERVER_URL = 'mysql://root@127.0.0.1:3306';
const NAME = `vsnet_newcomer_${process.pid}_${randomBytes(3).toString('hex')}`;

let grpcPort: number;
let httpPort: number;
let server: ChildProcess | undefined;
let token = '';
const serverLog: string[] = [];

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/root',
    VSNET_MYSQL_URL: `${SERVER_URL}/${NAME}`,
    VSNET_GRPC_PORT: String(grpcPort),
    VSNET_HTTP_PORT: String(httpPort),
    VSNET_SERVER: `127.0.0.1:${grpcPort}`,
    // Its own reconcile queue in the shared Redis, removed afterwards.
    VSNET_QUEUE_PREFIX: NAME,
    // No config file of the machine's user may leak into the test.
    XDG_CONFIG_HOME: join(REPO, 'test', 'medium', 'support', 'no-config'),
    ...extra,
  };
}

function run(command: string, args: string[], extra: Record<string, string> = {}) {
  const result = spawnSync(join(REPO, 'bin', command), args, {
    env: env(extra),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function onServer(sql: string): Promise<void> {
  const connection = await createConnection({ uri: SERVER_URL });
  try {
    await connection.query(sql);
  } finally {
    await connection.end();
  }
}

async function ready(): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const answer = await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined);
    if (answer?.status === 200) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`vsnet-control did not become ready:\n${serverLog.join('')}`);
}

beforeAll(async () => {
  grpcPort = await freePort();
  httpPort = await freePort();
});

afterAll(async () => {
  if (server?.pid !== undefined && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  await onServer(`DROP DATABASE IF EXISTS \`${NAME}\``);
  await dropQueueKeys('redis://127.0.0.1:6379', NAME);
});

describe("a newcomer's path", () => {
  it('vsnet-control init creates the database and prints the first token once', () => {
    const first = run('vsnet-control', ['init']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const match = /^ {2}(vsn_\d+_[A-Za-z0-9_-]{43})$/m.exec(first.stdout);
    expect(match).not.toBeNull();
    token = match?.[1] ?? '';
    expect(first.stdout).toContain('created principal "admin" with cluster NETWORK');
    const again = run('vsnet-control', ['init']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already initialized.*vsnet token create/);
    expect(again.stdout).not.toContain('vsn_');
  });

  it('vsnet-control serve starts and becomes ready', async () => {
    server = spawn(join(REPO, 'bin', 'vsnet-control'), ['serve'], {
      env: env({ VSNET_LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (chunk: Buffer) => serverLog.push(chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => serverLog.push(chunk.toString()));
    await ready();
  }, 40_000);

  it('vsnet works with the printed token, and says what to do without one', () => {
    const who = run('vsnet', ['whoami'], { VSNET_TOKEN: token });
    expect(who.stderr).toBe('');
    expect(who.code).toBe(0);
    expect(who.stdout).toMatch(/admin/);
    const applied = run('vsnet', ['apply', '-f', join(REPO, 'deploy/examples/lab-cluster.yaml')], {
      VSNET_TOKEN: token,
    });
    expect(applied.code).toBe(0);
    const listed = run('vsnet', ['vsvr', 'list'], { VSNET_TOKEN: token });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^sales\b/m);
    const anonymous = run('vsnet', ['vsvr', 'list']);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/VSNET_TOKEN/);
    expect(anonymous.stderr.trimEnd().split('\n').length).toBeLessThanOrEqual(2);
  }, 60_000);

  it('lists its services through server reflection (buf curl --list-services)', () => {
    const buf = spawnSync(
      join(REPO, 'node_modules', '.bin', 'buf'),
      [
        'curl',
        '--protocol',
        'grpc',
        '--http2-prior-knowledge',
        '--list-services',
        `http://127.0.0.1:${grpcPort}`,
      ],
      {
        encoding: 'utf8',
        timeout: 60_000,
        env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root' },
      },
    );
    expect(buf.stderr).toBe('');
    const services = buf.stdout.trim().split('\n');
    expect(services).toEqual(
      expect.arrayContaining([
        'vsnet.v1.ClusterService',
        'vsnet.v1.VsvrService',
        'vsnet.v1.ConfigService',
        'vsnet.v1.AuthService',
        'grpc.health.v1.Health',
      ]),
    );
  }, 60_000);
});
