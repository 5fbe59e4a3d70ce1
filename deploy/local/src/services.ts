import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';

/** A process `npm start` started and alone ends, by its pid. */
export interface StartedProcess {
  readonly name: string;
  readonly pid: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves when it has exited, whoever ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Where a MySQL or Redis server is, and the private process `npm start` runs for it, if any. */
export interface Service {
  readonly url: string;
  /** `host:port`, for people. */
  readonly where: string;
  readonly process?: StartedProcess;
}

/** The one line a person reads when neither the configured server nor a private one works. */
export class StartError extends Error {
  override readonly name = 'StartError';
}

const PROBE_TIMEOUT_MS = 3_000;
const PRIVATE_START_TIMEOUT_MS = 60_000;
const DEFAULT_STOP_GRACE_MS = 10_000;

/** A free TCP port on 127.0.0.1 now (the kernel picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return port;
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n', 1)[0] ?? '';
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

/** Errors that mean "nothing answers there", as opposed to "it answered and said no". */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

function unreachable(err: unknown): boolean {
  const code = errorCode(err);
  return (
    (code !== undefined && UNREACHABLE.has(code)) || /timed? ?out|ECONNREFUSED/i.test(oneLine(err))
  );
}

function hostPort(url: string, defaultPort: number): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port === '' ? defaultPort : u.port}`;
}

/** The MySQL URL without its database: the server and the credentials. */
export function mysqlServerUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '';
  return u.toString().replace(/\/$/, '');
}

/** True when something accepts a TCP connection at the host and port of `url`. */
function tcpAnswers(url: string, defaultPort: number): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({
      host: u.hostname,
      port: u.port === '' ? defaultPort : Number(u.port),
      timeout: PROBE_TIMEOUT_MS,
    });
    const done = (answers: boolean): void => {
      socket.destroy();
      resolve(answers);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** Connects to the server of `url` and creates `database` when missing. Throws as mysql2 does. */
async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const connection = await createConnection({ uri: serverUrl, connectTimeout: PROBE_TIMEOUT_MS });
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
  } finally {
    await connection.end();
  }
}

async function redisAnswers(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: PROBE_TIMEOUT_MS,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const answer = await client.ping();
    if (answer !== 'PONG') {
      throw new Error(`unexpected PING answer ${JSON.stringify(answer)}`);
    }
  } finally {
    client.disconnect();
  }
}

/** Where a program is on PATH (or in the sbin folders Debian keeps daemons in), if anywhere. */
export function findProgram(name: string): string | undefined {
  const dirs = [
    ...(process.env['PATH'] ?? '').split(':'),
    '/usr/sbin',
    '/usr/local/sbin',
    '/sbin',
  ].filter(Boolean);
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

/** Spawns a daemon in the foreground with its output in `logFile`. */
export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): StartedProcess & { readonly child: ChildProcess } {
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', log, log], env });
  const pid = child.pid;
  if (pid === undefined) {
    throw new StartError(`could not start ${name} (${command}); see ${logFile}`);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    name,
    pid,
    child,
    exited,
    stop: async (graceMs = DEFAULT_STOP_GRACE_MS) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      process.kill(pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const lingered = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (lingered) {
        process.kill(pid, 'SIGKILL');
        await exited;
      }
    },
  };
}

/** Polls `check` until it resolves, the process exits, or the time is up. */
async function waitUntil(
  what: string,
  started: StartedProcess,
  check: () => Promise<void>,
  logFile: string,
): Promise<void> {
  const deadline = Date.now() + PRIVATE_START_TIMEOUT_MS;
  let gone = false;
  void started.exited.then(() => (gone = true));
  let last: unknown;
  while (Date.now() < deadline && !gone) {
    try {
      await check();
      return;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await started.stop();
  throw new StartError(
    `${what} did not start (${gone ? 'it exited' : `${oneLine(last)}`}); see ${logFile}`,
  );
}

/**
 * MySQL for `npm start`: the server of `configuredUrl` when it answers, else a private MariaDB
 * in `dataDir/mariadb` on a port of its own when `mariadbd` is installed. Creates `database`.
 */
export async function provideMysql(
  configuredUrl: string,
  database: string,
  dataDir: string,
  logDir: string,
): Promise<Service> {
  const serverUrl = mysqlServerUrl(configuredUrl);
  try {
    await ensureDatabase(serverUrl, database);
    return { url: `${serverUrl}/${database}`, where: hostPort(configuredUrl, 3306) };
  } catch (err) {
    if (!unreachable(err)) {
      throw new StartError(
        `MySQL at ${hostPort(configuredUrl, 3306)} refused: ${oneLine(err)}; set VSNET_MYSQL_URL to a user that may create databases (mysql://user:password@host:port/db)`,
      );
    }
  }
  const mariadbd = findProgram('mariadbd') ?? findProgram('mysqld');
  const installDb = findProgram('mariadb-install-db') ?? findProgram('mysql_install_db');
  if (mariadbd === undefined || installDb === undefined) {
    throw new StartError(
      `MySQL does not answer at ${hostPort(configuredUrl, 3306)} and mariadbd is not installed: install mariadb-server (apt-get install mariadb-server) or set VSNET_MYSQL_URL`,
    );
  }
  const dir = join(dataDir, 'mariadb');
  const logFile = join(logDir, 'mariadb.log');
  const user = userInfo().username;
  if (!existsSync(join(dir, 'mysql'))) {
    mkdirSync(dir, { recursive: true });
    // root with no password, reachable on 127.0.0.1 only: a private server for this machine.
    const made = spawnSync(
      installDb,
      [
        '--no-defaults',
        `--datadir=${dir}`,
        `--user=${user}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
      ],
      { encoding: 'utf8', timeout: PRIVATE_START_TIMEOUT_MS },
    );
    if (made.status !== 0) {
      throw new StartError(
        `could not initialize a private MariaDB in ${dir}: ${oneLine(made.stderr || made.error)}; set VSNET_MYSQL_URL to a running server instead`,
      );
    }
  }
  const port = await freePort();
  const started = startProcess(
    'mariadbd',
    mariadbd,
    [
      '--no-defaults',
      `--datadir=${dir}`,
      `--user=${user}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(dir, 'mariadbd.sock')}`,
      `--pid-file=${join(dir, 'mariadbd.pid')}`,
    ],
    logFile,
  );
  const url = `mysql://root@127.0.0.1:${port}`;
  await waitUntil('the private MariaDB', started, () => ensureDatabase(url, database), logFile);
  return {
    url: `${url}/${database}`,
    where: `127.0.0.1:${port} (private, ${dir})`,
    process: started,
  };
}

/**
 * Redis for `npm start`: `configuredUrl` when it answers, else a private redis-server on a port
 * of its own (no persistence: the pipeline loses nothing a resync cannot rebuild).
 */
export async function provideRedis(
  configuredUrl: string,
  dataDir: string,
  logDir: string,
): Promise<Service> {
  try {
    await redisAnswers(configuredUrl);
    return { url: configuredUrl, where: hostPort(configuredUrl, 6379) };
  } catch (err) {
    // ioredis words a refused connection as "Connection is closed": ask the socket itself.
    if (!unreachable(err) && (await tcpAnswers(configuredUrl, 6379))) {
      throw new StartError(
        `Redis at ${hostPort(configuredUrl, 6379)} refused: ${oneLine(err)}; set VSNET_REDIS_URL (redis://[user:password@]host:port)`,
      );
    }
  }
  const redisServer = findProgram('redis-server');
  if (redisServer === undefined) {
    throw new StartError(
      `Redis does not answer at ${hostPort(configuredUrl, 6379)} and redis-server is not installed: install redis-server (apt-get install redis-server) or set VSNET_REDIS_URL`,
    );
  }
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const { url, process: started } = await startRedisServer(
    redisServer,
    dir,
    join(logDir, 'redis.log'),
    port,
  );
  return { url, where: `127.0.0.1:${port} (private)`, process: started };
}

/**
 * Runs `redis-server` on 127.0.0.1:`port` with `dir` as its folder and no persistence, and
 * waits until it answers PING. The e2e tests also restart one on the same port.
 */
export async function startRedisServer(
  redisServer: string,
  dir: string,
  logFile: string,
  port: number,
): Promise<{ readonly url: string; readonly process: StartedProcess }> {
  const started = startProcess(
    'redis-server',
    redisServer,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ],
    logFile,
  );
  const url = `redis://127.0.0.1:${port}`;
  await waitUntil('the private redis-server', started, () => redisAnswers(url), logFile);
  return { url, process: started };
}

/**
 * Waits until vsnet-control's HTTP /readyz answers 200: 'ready', or 'exited' when the process
 * ended first, or 'timeout'.
 */
export async function controlReadiness(
  control: StartedProcess,
  httpPort: number,
  timeoutMs: number,
): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void control.exited.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    const answer = await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined);
    if (answer?.status === 200) {
      return 'ready';
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return exited ? 'exited' : 'timeout';
}
