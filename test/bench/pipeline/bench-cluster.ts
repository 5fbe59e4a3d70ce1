import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterDocument } from '@vsnet/model';
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { parse } from 'yaml';
import { ControlClient } from '../../../deploy/local/src/control-client.js';
import { declaredPorts, giveDocumentMacs, localLab } from '../../../deploy/local/src/local-lab.js';
import type { StartedProcess } from '../../../deploy/local/src/services.js';
import {
  controlReadiness,
  findProgram,
  freePort,
  mysqlServerUrl,
  provideMysql,
  provideRedis,
  startProcess,
} from '../../../deploy/local/src/services.js';
import type { AgentProcess } from '../../../deploy/lab/src/agent-process.js';
import { repoRoot, spawnAgent } from '../../../deploy/lab/src/agent-process.js';
import { Lab, removeStale } from '../../../deploy/lab/src/lab.js';
import { ipJson } from '../../../deploy/lab/src/run.js';

const REPO = repoRoot();
/** Lab prefixes, databases and queue prefixes are `<root><pid>`: a crashed run's are found. */
const LAB_ROOT = 'vpb';
const DATABASE_ROOT = 'vsnet_bench_';
const QUEUE_ROOT = 'vsnet-bench-';
const READY_TIMEOUT_MS = 60_000;
const APPLIED_TIMEOUT_MS = 60_000;

/** The vsvr the benchmark adds: it can run on filer1 only, so its changes touch one filer. */
export const ONE_FILER_VSVR = 'one';
/** `sales` of local-cluster.yaml: its failover group is every filer. */
export const ALL_FILERS_VSVR = 'sales';

/** What the benchmark runs on: control as a process, a lab (or dry-run agents) with agents. */
export interface BenchCluster {
  readonly doc: ClusterDocument;
  readonly driver: 'linux' | 'dry-run';
  readonly labPrefix: string | undefined;
  readonly server: string;
  readonly metricsUrl: string;
  readonly token: string;
  readonly control: StartedProcess;
  readonly agents: readonly AgentProcess[];
  /** Undoes everything it started, newest first; safe to call twice. */
  teardown(): Promise<string[]>;
}

/** local-cluster.yaml (what `npm start` applies) plus the one-filer vsvr. */
function benchDocument(): ClusterDocument {
  const file = join(REPO, 'deploy', 'examples', 'local-cluster.yaml');
  const doc = parse(readFileSync(file, 'utf8')) as ClusterDocument;
  return {
    ...doc,
    vsvrs: [
      ...(doc.vsvrs ?? []),
      {
        name: ONE_FILER_VSVR,
        failoverGroup: ['filer1'],
        addresses: [{ alias: 'data0', address: '198.18.10.61/24' }],
      },
    ],
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const deadPid = (name: string, root: string): number | undefined => {
  const pid = Number(new RegExp(`^${root}(\\d+)`).exec(name)?.[1] ?? NaN);
  return Number.isInteger(pid) && pid !== process.pid && !alive(pid) ? pid : undefined;
};

/** Removes what crashed runs left: lab namespaces, databases, queue keys of dead pids. */
async function removeLeftovers(mysqlServer: string, redisUrl: string): Promise<string[]> {
  const removed: string[] = [];
  if (process.getuid?.() === 0 && findProgram('ip') !== undefined) {
    const names = (await ipJson<{ name: string }>(['netns', 'list'])).map((n) => n.name);
    const pids = new Set(names.flatMap((n) => deadPid(n, LAB_ROOT) ?? []));
    for (const pid of pids) {
      removed.push(...(await removeStale(`${LAB_ROOT}${pid}`)).removed);
    }
  }
  const connection = await createConnection({ uri: mysqlServer });
  try {
    const [rows] = await connection.query(`SHOW DATABASES LIKE '${DATABASE_ROOT}%'`);
    for (const row of rows as Record<string, string>[]) {
      const name = Object.values(row)[0] ?? '';
      if (deadPid(name, DATABASE_ROOT) !== undefined) {
        await connection.query(`DROP DATABASE \`${name}\``);
        removed.push(`database ${name}`);
      }
    }
  } finally {
    await connection.end();
  }
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const keys = (await scanKeys(redis, `${QUEUE_ROOT}*`)).filter(
      (k) => deadPid(k, QUEUE_ROOT) !== undefined,
    );
    if (keys.length > 0) {
      await redis.del(...keys);
      removed.push(`${keys.length} Redis keys`);
    }
  } finally {
    redis.disconnect();
  }
  return removed;
}

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** Runs `vsnet-control init` on the fresh database: the admin token it prints. */
function initControl(env: NodeJS.ProcessEnv): string {
  const init = spawnSync(process.execPath, [join(REPO, 'bin', 'vsnet-control'), 'init'], {
    env,
    encoding: 'utf8',
    timeout: READY_TIMEOUT_MS,
  });
  const token = /export VSNET_TOKEN=(\S+)/.exec(init.stdout ?? '')?.[1];
  if (init.status !== 0 || token === undefined) {
    throw new Error(`vsnet-control init failed: ${init.stderr || init.stdout || init.error}`);
  }
  return token;
}

/** Waits until every filer's agent has applied the generation its spec last changed in. */
async function everyFilerApplied(client: ControlClient, filers: readonly string[]): Promise<void> {
  const deadline = Date.now() + APPLIED_TIMEOUT_MS;
  let behind: string[] = [];
  while (Date.now() < deadline) {
    const status = await client.filerStatus();
    behind = filers.filter((name) => {
      const s = status.filers.find((f) => f.filer.toLowerCase() === name.toLowerCase());
      return (
        s === undefined ||
        s.state !== 'FILER_PROGRESS_STATE_APPLIED' ||
        BigInt(s.observedGeneration) < BigInt(s.desiredGeneration)
      );
    });
    if (behind.length === 0) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // start-up only, not timed
  }
  throw new Error(`filers ${behind.join(', ')} did not apply the bench cluster in time`);
}

/**
 * Starts what `npm start` starts, with the same building blocks (deploy/local), private to
 * this run: a database and a queue prefix of its own, vsnet-control on free ports, the local
 * lab under prefix `vpb<pid>` with an agent per filer that joins with a join token (dry-run
 * agents without root), and the bench cluster applied and pushed to every filer.
 */
export async function startBenchCluster(log: (line: string) => void): Promise<BenchCluster> {
  const undo: { what: string; run: () => Promise<unknown> }[] = [];
  let tornDown = false;
  const teardown = async (): Promise<string[]> => {
    const problems: string[] = [];
    if (tornDown) {
      return problems;
    }
    tornDown = true;
    for (const step of undo.reverse()) {
      try {
        await step.run();
      } catch (err) {
        problems.push(`${step.what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return problems;
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), 'vsnet-pipeline-bench-'));
    undo.push({
      what: `remove ${dir}`,
      run: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    });
    const database = `${DATABASE_ROOT}${process.pid}`;
    const mysql = await provideMysql(
      process.env['VSNET_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/vsnet',
      database,
      dir,
      dir,
    );
    if (mysql.process) {
      const p = mysql.process;
      undo.push({ what: 'stop the private MariaDB', run: () => p.stop() });
    }
    const mysqlServer = mysqlServerUrl(mysql.url);
    undo.push({
      what: `drop database ${database}`,
      run: async () => {
        const c = await createConnection({ uri: mysqlServer });
        try {
          await c.query(`DROP DATABASE IF EXISTS \`${database}\``);
        } finally {
          await c.end();
        }
      },
    });
    const redis = await provideRedis(
      process.env['VSNET_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      dir,
      dir,
    );
    if (redis.process) {
      const p = redis.process;
      undo.push({ what: 'stop the private redis-server', run: () => p.stop() });
    }
    const queuePrefix = `${QUEUE_ROOT}${process.pid}`;
    undo.push({
      what: `delete Redis keys ${queuePrefix}:*`,
      run: async () => {
        const r = new Redis(redis.url, { maxRetriesPerRequest: 1 });
        try {
          const keys = await scanKeys(r, `${queuePrefix}:*`);
          if (keys.length > 0) {
            await r.del(...keys);
          }
        } finally {
          r.disconnect();
        }
      },
    });
    const leftovers = await removeLeftovers(mysqlServer, redis.url);
    if (leftovers.length > 0) {
      log(`removed what earlier runs left: ${leftovers.join(', ')}`);
    }

    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      VSNET_MYSQL_URL: mysql.url,
      VSNET_REDIS_URL: redis.url,
      VSNET_GRPC_PORT: String(grpcPort),
      VSNET_HTTP_PORT: String(httpPort),
      VSNET_QUEUE_PREFIX: queuePrefix,
    };
    const token = initControl(env);
    const controlLog = join(dir, 'control.log');
    const control = startProcess(
      'vsnet-control',
      process.execPath,
      [join(REPO, 'bin', 'vsnet-control'), 'serve'],
      controlLog,
      env,
    );
    undo.push({ what: `stop vsnet-control (pid ${control.pid})`, run: () => control.stop() });
    const readiness = await controlReadiness(control, httpPort, READY_TIMEOUT_MS);
    if (readiness !== 'ready') {
      throw new Error(
        `vsnet-control ${readiness}:\n${readFileSync(controlLog, 'utf8').slice(-3000)}`,
      );
    }
    const server = `127.0.0.1:${grpcPort}`;
    const client = new ControlClient(server, token);
    undo.push({ what: 'close the control client', run: () => Promise.resolve(client.close()) });
    const doc = benchDocument();
    await client.apply(doc);

    const asRoot = process.getuid?.() === 0 && findProgram('ip') !== undefined;
    const labPrefix = asRoot ? `${LAB_ROOT}${process.pid}` : undefined;
    let lab: Lab | undefined;
    if (labPrefix !== undefined) {
      const description = localLab(labPrefix);
      const built = await Lab.build(description);
      lab = built;
      undo.push({ what: `remove lab ${labPrefix}`, run: () => built.teardown() });
      await giveDocumentMacs(doc, description, (f) => built.filerNamespace(f));
    }
    const agents: AgentProcess[] = [];
    for (const { name: filer } of doc.filers) {
      const { joinToken } = await client.joinToken(filer);
      const joinEnv = { VSNET_AGENT_JOIN_TOKEN: joinToken, VSNET_CONTROL_SERVER: server };
      const stateDir = join(dir, 'agents', filer);
      const agent = lab
        ? await lab.startAgent(filer, { stateDir, env: joinEnv })
        : await spawnAgent({
            filer,
            filerNamespace: '',
            namespacePrefix: `vpb${process.pid}-${filer}-`,
            stateDir,
            driver: 'dry-run',
            env: { ...joinEnv, VSNET_AGENT_JOIN_INTERFACES: declaredPorts(doc, filer) },
          });
      agents.push(agent);
      undo.push({ what: `stop the agent of ${filer} (pid ${agent.pid})`, run: () => agent.stop() });
    }
    await everyFilerApplied(
      client,
      doc.filers.map((f) => f.name),
    );
    return {
      doc,
      driver: lab ? 'linux' : 'dry-run',
      labPrefix,
      server,
      metricsUrl: `http://127.0.0.1:${httpPort}/metrics`,
      token,
      control,
      agents,
      teardown,
    };
  } catch (err) {
    const problems = await teardown();
    if (problems.length > 0) {
      log(`clean-up problems: ${problems.join('; ')}`);
    }
    throw err;
  }
}
