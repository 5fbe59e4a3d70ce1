import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createConnection } from 'mysql2/promise';
import { labNamespaces, removeStale } from '../../deploy/lab/src/lab.js';
import { dropQueueKeys, freePort } from '../medium/support/control-service.js';

// `npm start` as a newcomer runs it (issue 5 item 4), as processes: the built start script with
// a prefix, ports, data folder and database of its own; its printed token and server work with
// bin/vsnet; as root, a vsvr of the example cluster answers ping from the lab's client
// namespace; Ctrl-C (SIGINT) leaves no namespace of its prefix and none of its processes.

const REPO = join(import.meta.dirname, '..', '..');
const START = join(REPO, 'dist', 'deploy', 'local', 'src', 'start.js');
const AS_ROOT = process.getuid?.() === 0;
const PREFIX = `st${process.pid % 100_000}`;
const DATABASE = `vsnet_start_${process.pid}_${randomBytes(3).toString('hex')}`;
const MYSQL_SERVER = (process.env['VSNET_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/x').replace(
  /\/[^/]*$/,
  '',
);
/** The example cluster's `sales` (deploy/examples/local-cluster.yaml), seen from cdata0. */
const SALES = '198.18.10.21';
const READY_TIMEOUT_MS = 120_000;

let dataDir = '';
let grpcPort = 0;
let start: ChildProcess | undefined;
let output = '';
let exited: Promise<number | null> = Promise.resolve(null);

function printed(pattern: RegExp): string {
  const found = pattern.exec(output)?.[1];
  if (found === undefined) {
    throw new Error(`npm start did not print ${pattern}:\n${output}`);
  }
  return found;
}

/** The pids the start script printed for the control replicas and the agents. */
function startedPids(): number[] {
  return [...output.matchAll(/\(pid (\d+)[,)]/g)].map((m) => Number(m[1]));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) {
      throw new Error(`${what} did not happen in ${ms} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function vsnet(args: string[], token: string, server: string) {
  return spawnSync(join(REPO, 'bin', 'vsnet'), args, {
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/root',
      VSNET_SERVER: server,
      VSNET_TOKEN: token,
      XDG_CONFIG_HOME: join(REPO, 'test', 'medium', 'support', 'no-config'),
    },
  });
}

beforeAll(async () => {
  if (AS_ROOT) {
    await removeStale(PREFIX);
  }
  dataDir = await mkdtemp(join(tmpdir(), 'vsnet-npm-start-'));
  grpcPort = await freePort();
  const httpPort = await freePort();
  const child = spawn(process.execPath, [START], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      VSNET_LOCAL_DIR: dataDir,
      VSNET_LOCAL_DATABASE: DATABASE,
      VSNET_LAB_PREFIX: PREFIX,
      // Its own reconcile queue in Redis, removed afterwards.
      VSNET_QUEUE_PREFIX: DATABASE,
      VSNET_GRPC_PORT: String(grpcPort),
      VSNET_HTTP_PORT: String(httpPort),
    },
  });
  start = child;
  exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(
    'the ready line',
    () => /^vsnet start: ready/m.test(output) || gone,
    READY_TIMEOUT_MS,
  );
  if (gone) {
    throw new Error(`npm start exited before it was ready:\n${output}`);
  }
}, READY_TIMEOUT_MS + 10_000);

afterAll(async () => {
  if (start?.exitCode === null && start.signalCode === null && start.pid !== undefined) {
    process.kill(start.pid, 'SIGKILL');
    await exited;
  }
  if (AS_ROOT) {
    await removeStale(PREFIX);
  }
  const connection = await createConnection({ uri: MYSQL_SERVER });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  } finally {
    await connection.end();
  }
  await dropQueueKeys(process.env['VSNET_REDIS_URL'] ?? 'redis://127.0.0.1:6379', DATABASE);
  if (dataDir !== '') {
    await rm(dataDir, { recursive: true, force: true });
  }
}, 60_000);

describe('npm start', () => {
  it('prints a server and token that bin/vsnet works with', () => {
    const server = printed(/^ {2}export VSNET_SERVER=(\S+)$/m);
    const token = printed(/^ {2}export VSNET_TOKEN=(\S+)$/m);
    expect(server).toBe(`127.0.0.1:${grpcPort}`);
    const listed = vsnet(['vsvr', 'list'], token, server);
    expect(listed.stderr).toBe('');
    expect(listed.status).toBe(0);
    for (const vsvr of ['sales', 'eng', 'legacy', 'web']) {
      expect(listed.stdout).toMatch(new RegExp(`^${vsvr}\\b`, 'm'));
    }
  });

  it(
    AS_ROOT
      ? 'builds a lab whose client namespace reaches a vsvr of the example cluster'
      : 'says that without root it runs the agents with the dry-run driver',
    async () => {
      if (!AS_ROOT) {
        expect(output).toMatch(/^vsnet start: not root: .*dry-run driver/m);
        return;
      }
      expect(output).toMatch(/^vsnet start: every filer applied the cluster/m);
      const client = `${PREFIX}-cdata0`;
      expect(output).toContain(`ip netns exec ${client} ping -c1 ${SALES}`);
      let answered = false;
      const deadline = Date.now() + 30_000;
      while (!answered && Date.now() < deadline) {
        const ping = spawnSync('ip', ['netns', 'exec', client, 'ping', '-c1', '-W1', SALES], {
          encoding: 'utf8',
          timeout: 5_000,
        });
        answered = ping.status === 0;
        if (!answered) {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      expect({ answered, output }).toEqual({ answered: true, output });
    },
    40_000,
  );

  it('tears everything down on SIGINT: no namespace of its prefix, none of its processes', async () => {
    const pids = startedPids();
    expect(pids.length).toBe(5); // two vsnet-control replicas and three agents
    start?.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toMatch(/^vsnet start: stopped$/m);
    await waitFor('every started process gone', () => pids.every((pid) => !alive(pid)), 5_000);
    if (AS_ROOT) {
      expect(await labNamespaces(PREFIX)).toEqual([]);
    }
  }, 60_000);
});
