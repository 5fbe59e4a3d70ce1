import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ClusterDocument } from '@vsnet/model';
import { Redis } from 'ioredis';
import { parse } from 'yaml';
import { clusterApiGrpc } from '../../../libs/contracts/src/cluster-api.js';
import type { ClusterApiServiceName } from '../../../libs/contracts/src/cluster-api.js';
import type { ListFilerStatusResponse__Output } from '../../../libs/contracts/src/generated/vsnet/v1/ListFilerStatusResponse.js';
import type { AgentProcess } from '../../../deploy/lab/src/agent-process.js';
import { repoRoot } from '../../../deploy/lab/src/agent-process.js';
import { Lab, labNamespaces, removeStale } from '../../../deploy/lab/src/lab.js';
import { ControlClient } from '../../../deploy/local/src/control-client.js';
import { giveDocumentMacs, LOCAL_CLIENTS, localLab } from '../../../deploy/local/src/local-lab.js';
import type { StartedProcess } from '../../../deploy/local/src/services.js';
import {
  controlReadiness,
  findProgram,
  freePort,
  startProcess,
  startRedisServer,
} from '../../../deploy/local/src/services.js';
import { globalAddresses } from '../../lab/support/netns.js';
import { createTestDatabase } from '../../medium/support/test-database.js';
import type { TestDatabase } from '../../medium/support/test-database.js';

// One end-to-end cluster as processes (issue 5 item 5), built from the blocks `npm start` uses
// (deploy/local): the three-filer lab of deploy/examples/local-cluster.yaml, `bin/vsnet-control
// serve` on free ports with a database and a redis-server of its own, and an agent per filer
// that joins with a join token. Tests drive it only through bin/vsnet and the gRPC API and look
// at what the kernels and a client namespace show. Everything it starts it ends by pid, and
// `teardown` removes its namespaces, database and Redis folder.

const REPO = repoRoot(import.meta.dirname);
const CONTROL = join(REPO, 'bin', 'vsnet-control');
const VSNET = join(REPO, 'bin', 'vsnet');
const DOCUMENT = join(REPO, 'deploy', 'examples', 'local-cluster.yaml');
const READY_TIMEOUT_MS = 30_000;
const CALL_DEADLINE_MS = 15_000;
const CLI_TIMEOUT_MS = 60_000;

/**
 * The pipeline's tuning for the tests: a fast resync and a short lease, so a control service
 * restarted after SIGKILL takes over within a couple of seconds and a lost job costs little.
 */
export const E2E_PIPELINE_ENV: Readonly<Record<string, string>> = {
  VSNET_RESYNC_INTERVAL_MS: '250',
  VSNET_LEADER_LEASE_MS: '1500',
  VSNET_AGENT_DEADLINE_MS: '3000',
};

/** What a `bin/vsnet` run printed and how it exited. */
export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A unary RPC's answer or its error. */
export type RpcResult<Res> =
  | { readonly ok: true; readonly res: Res }
  | { readonly ok: false; readonly err: grpc.ServiceError };

/** The client namespaces of the lab, by segment. */
export const CLIENTS = LOCAL_CLIENTS;

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n', 1)[0] ?? '';
}

/** A private redis-server on a fixed port, which a test may wipe, stop and start again. */
export class PrivateRedis {
  private constructor(
    private readonly binary: string,
    private readonly dir: string,
    readonly port: number,
    private process: StartedProcess,
  ) {}

  static async start(dir: string): Promise<PrivateRedis> {
    const binary = findProgram('redis-server');
    if (binary === undefined) {
      throw new Error('the e2e tests need redis-server: apt-get install redis-server');
    }
    const port = await freePort();
    const { process } = await startRedisServer(binary, dir, join(dir, 'redis.log'), port);
    return new PrivateRedis(binary, dir, port, process);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.process.pid;
  }

  /** FLUSHALL, then SHUTDOWN NOSAVE: the server is gone with everything it held. */
  async wipeAndStop(): Promise<void> {
    const client = new Redis(this.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.flushall();
      await client.call('SHUTDOWN', 'NOSAVE').catch(() => undefined); // the connection drops
    } finally {
      client.disconnect();
    }
    await this.process.exited;
  }

  /** Starts it again on the same port and folder (empty: nothing is persisted). */
  async restart(): Promise<void> {
    const { process } = await startRedisServer(
      this.binary,
      this.dir,
      join(this.dir, 'redis.log'),
      this.port,
    );
    this.process = process;
  }

  /** How many keys it holds (the reconcile queue's, here). */
  async keyCount(): Promise<number> {
    const client = new Redis(this.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      return await client.dbsize();
    } finally {
      client.disconnect();
    }
  }

  /**
   * The reconcile queue as Redis holds it, for failure messages: its lists and sets with their
   * members, and the deduplication keys with the job each points to.
   */
  async queueDump(): Promise<string> {
    const client = new Redis(this.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      const keys = (await client.keys('*')).sort();
      const lines = await Promise.all(
        keys.map(async (key) => {
          const type = await client.type(key);
          switch (type) {
            case 'list':
              return `${key} list ${JSON.stringify(await client.lrange(key, 0, 20))}`;
            case 'zset':
              return `${key} zset ${JSON.stringify(await client.zrange(key, '0', '20'))}`;
            case 'set':
              return `${key} set ${JSON.stringify(await client.smembers(key))}`;
            case 'string':
              return `${key} = ${String(await client.get(key))} (ttl ${await client.pttl(key)})`;
            case 'hash':
              return key.split(':').length > 3
                ? `${key} hash ${JSON.stringify(await client.hgetall(key)).slice(0, 300)}`
                : `${key} hash`;
            default:
              return `${key} ${type}`;
          }
        }),
      );
      return lines.filter((l) => !/:events |:meta hash|:id =/.test(l)).join('\n');
    } catch (err) {
      return `(Redis did not answer: ${oneLine(err)})`;
    } finally {
      client.disconnect();
    }
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}

/** The lab, the control service, its database and Redis, and one agent per filer. */
export class E2eCluster {
  readonly document: ClusterDocument;
  readonly filers: readonly string[];
  private control: StartedProcess | undefined;
  private readonly agents = new Map<string, AgentProcess>();
  private readonly agentPorts = new Map<string, number>();
  private readonly clients = new Map<string, grpc.Client>();
  private controlClient: ControlClient | undefined;
  private token = '';
  private lab: Lab | undefined;
  private db: TestDatabase | undefined;
  private redisServer: PrivateRedis | undefined;
  private grpcPort = 0;
  private httpPort = 0;

  private constructor(
    /** Lab prefix: every namespace of this cluster starts with `<prefix>-`. */
    readonly prefix: string,
    /** Logs, the agents' state and Redis's folder; removed by teardown. */
    readonly dir: string,
  ) {
    this.document = parse(readFileSync(DOCUMENT, 'utf8')) as ClusterDocument;
    this.filers = this.document.filers.map((f) => f.name);
  }

  /**
   * Builds and starts everything for a test labelled `label` (a few lower-case letters):
   * every filer's agent has joined and applied the example cluster when it resolves. On a
   * failure half-way it tears down what it started and rethrows.
   */
  static async start(label: string): Promise<E2eCluster> {
    const prefix = `e${label}${process.pid % 10_000}`;
    const cluster = new E2eCluster(prefix, mkdtempSync(join(tmpdir(), `vsnet-e2e-${label}-`)));
    try {
      await cluster.boot(label);
      return cluster;
    } catch (err) {
      await cluster.teardown();
      throw err;
    }
  }

  private async boot(label: string): Promise<void> {
    await removeStale(this.prefix);
    this.db = await createTestDatabase(`e2e${label}`);
    this.redisServer = await PrivateRedis.start(this.dir);
    this.grpcPort = await freePort();
    this.httpPort = await freePort();
    const init = spawnSync(process.execPath, [CONTROL, 'init'], {
      env: this.controlEnv(),
      encoding: 'utf8',
      timeout: READY_TIMEOUT_MS,
    });
    const token = /export VSNET_TOKEN=(\S+)/.exec(init.stdout ?? '')?.[1];
    if (init.status !== 0 || token === undefined) {
      throw new Error(`vsnet-control init failed (${init.status}): ${init.stderr}${init.stdout}`);
    }
    this.token = token;
    await this.startControl();
    this.controlClient = new ControlClient(this.server, token);

    const description = localLab(this.prefix);
    this.lab = await Lab.build(description);
    const lab = this.lab;
    await giveDocumentMacs(this.document, description, (f) => lab.filerNamespace(f));
    await this.controlClient.apply(this.document);
    for (const filer of this.filers) {
      this.agentPorts.set(filer, await freePort());
      await this.startAgent(filer, { join: true });
    }
    await this.waitConverged(60_000);
  }

  /** `127.0.0.1:port` of the control service's gRPC API. */
  get server(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  get redis(): PrivateRedis {
    if (this.redisServer === undefined) {
      throw new Error('the cluster has no Redis yet');
    }
    return this.redisServer;
  }

  get controlPid(): number | undefined {
    return this.control?.pid;
  }

  /** The namespace of a client of the lab (`cdata0`, …). */
  clientNamespace(client: string): string {
    if (this.lab === undefined) {
      throw new Error('the cluster has no lab yet');
    }
    return this.lab.clientNamespace(client);
  }

  private controlEnv(): NodeJS.ProcessEnv {
    if (this.db === undefined || this.redisServer === undefined) {
      throw new Error('the database and Redis come before the control service');
    }
    return {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/root',
      VSNET_MYSQL_URL: this.db.url,
      VSNET_REDIS_URL: this.redisServer.url,
      VSNET_GRPC_PORT: String(this.grpcPort),
      VSNET_HTTP_PORT: String(this.httpPort),
      ...E2E_PIPELINE_ENV,
    };
  }

  /** Starts `bin/vsnet-control serve` (again) on the cluster's ports and waits until it is ready. */
  async startControl(): Promise<void> {
    const log = join(this.dir, 'control.log');
    const control = startProcess(
      'vsnet-control',
      process.execPath,
      [CONTROL, 'serve'],
      log,
      this.controlEnv(),
    );
    this.control = control;
    const readiness = await controlReadiness(control, this.httpPort, READY_TIMEOUT_MS);
    if (readiness !== 'ready') {
      throw new Error(`vsnet-control ${readiness}:\n${this.controlLog().slice(-3000)}`);
    }
  }

  /** SIGKILL to the control service: a crash, nothing it held is released. */
  async killControl(): Promise<void> {
    const control = this.control;
    if (control === undefined) {
      return;
    }
    try {
      process.kill(control.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await control.exited;
  }

  /** The control service's log so far (all its runs), for failure messages. */
  controlLog(): string {
    try {
      return readFileSync(join(this.dir, 'control.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /**
   * Starts the agent of `filer` on its fixed port with its state folder. With `join` it joins
   * with a fresh join token; without, it comes back the way a restarted agent does, to be
   * dialed at the address it joined with.
   */
  async startAgent(filer: string, { join: joins }: { readonly join: boolean }): Promise<void> {
    if (this.lab === undefined || this.controlClient === undefined) {
      throw new Error('the lab and the control service come before the agents');
    }
    const env: Record<string, string> = {
      VSNET_AGENT_LISTEN: `127.0.0.1:${this.agentPorts.get(filer) ?? 0}`,
    };
    if (joins) {
      const minted = await this.controlClient.joinToken(filer);
      env['VSNET_AGENT_JOIN_TOKEN'] = minted.joinToken;
      env['VSNET_CONTROL_SERVER'] = this.server;
    }
    const agent = await this.lab.startAgent(filer, {
      stateDir: join(this.dir, 'agents', filer),
      env,
    });
    this.agents.set(filer, agent);
  }

  /** Stops the agent of `filer` (SIGTERM) and waits until it has exited. */
  async stopAgent(filer: string): Promise<void> {
    await this.agents.get(filer)?.stop();
    this.agents.delete(filer);
  }

  /** What the agents printed, for failure messages. */
  agentOutput(filer: string): string {
    return this.agents.get(filer)?.output() ?? '';
  }

  /** Runs `bin/vsnet args…` against the cluster with the admin token, without a config file. */
  vsnet(args: readonly string[]): Promise<CliResult> {
    const child = spawn(process.execPath, [VSNET, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: this.dir,
        XDG_CONFIG_HOME: join(this.dir, 'no-config'),
        VSNET_SERVER: this.server,
        VSNET_TOKEN: this.token,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
    return new Promise((resolve) =>
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      }),
    );
  }

  /** One unary call of the vsnet.v1 API with the admin token. */
  rpc<Res>(
    service: ClusterApiServiceName,
    method: string,
    request: object,
    deadlineMs = CALL_DEADLINE_MS,
  ): Promise<RpcResult<Res>> {
    let client = this.clients.get(service);
    if (client === undefined) {
      const Service = clusterApiGrpc()[service] as unknown as grpc.ServiceClientConstructor;
      // Reconnect quickly: the tests restart the control service and expect calls to get
      // through again within a fraction of a second, not after grpc-js's growing backoff.
      client = new Service(this.server, grpc.credentials.createInsecure(), {
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 500,
      });
      this.clients.set(service, client);
    }
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${this.token}`);
    const fn = (client as unknown as Record<string, grpc.requestCallback<Res> | undefined>)[
      method
    ] as unknown as (
      req: object,
      md: grpc.Metadata,
      opts: grpc.CallOptions,
      cb: (err: grpc.ServiceError | null, res?: Res) => void,
    ) => void;
    if (typeof fn !== 'function') {
      throw new Error(`${service} has no method ${method}`);
    }
    return new Promise((resolve) =>
      fn.call(client, request, metadata, { deadline: Date.now() + deadlineMs }, (err, res) =>
        resolve(
          err !== null || res === undefined
            ? { ok: false, err: err ?? (new Error('empty answer') as grpc.ServiceError) }
            : { ok: true, res },
        ),
      ),
    );
  }

  /** Every filer's desired and observed generation (ChangeService.ListFilerStatus). */
  async filerStatus(): Promise<ListFilerStatusResponse__Output> {
    const r = await this.rpc<ListFilerStatusResponse__Output>(
      'ChangeService',
      'listFilerStatus',
      {},
    );
    if (!r.ok) {
      throw r.err;
    }
    return r.res;
  }

  /**
   * Waits until every filer's agent reports the generation its spec last changed in as
   * applied; throws with what is still behind, the control service's warnings and the queue
   * after `timeoutMs`.
   */
  waitConverged(timeoutMs: number): Promise<void> {
    return this.waitFilers(this.filers, timeoutMs);
  }

  /** {@link waitConverged} for some of the filers. */
  async waitFilers(filerNames: readonly string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let behind = 'no answer yet';
    while (Date.now() < deadline) {
      try {
        const { filers } = await this.filerStatus();
        const lagging = filerNames.flatMap((name) => {
          const s = filers.find((f) => f.filer.toLowerCase() === name.toLowerCase());
          if (s === undefined) {
            return [`${name}: no status`];
          }
          const applied =
            BigInt(s.observedGeneration) >= BigInt(s.desiredGeneration) &&
            s.state === 'FILER_PROGRESS_STATE_APPLIED';
          return applied
            ? []
            : [`${name} ${s.state} ${s.observedGeneration}/${s.desiredGeneration} ${s.error}`];
        });
        if (lagging.length === 0) {
          return;
        }
        behind = lagging.join('; ');
      } catch (err) {
        behind = oneLine(err);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const warnings = this.controlLog()
      .split('\n')
      .filter((line) => !line.includes('"level":"info"'))
      .slice(-20)
      .join('\n');
    throw new Error(
      `the filers did not converge in ${timeoutMs} ms: ${behind}\n` +
        `the control service's last warnings:\n${warnings}\n` +
        `the reconcile queue in Redis:\n${await this.redis.queueDump()}`,
    );
  }

  /**
   * The addresses the kernels hold in the vsvr namespaces, as `filer vsvr dev address/prefix`
   * lines (the agents name them `<prefix>-<filer>-vs-<vsvr>`).
   */
  async kernelVsvrAddresses(): Promise<string[]> {
    const namespaces = await labNamespaces(this.prefix);
    const lines = await Promise.all(
      this.filers.flatMap((filer) => {
        const head = `${this.prefix}-${filer.toLowerCase()}-vs-`;
        return namespaces
          .filter((ns) => ns.startsWith(head))
          .map(async (ns) =>
            (await globalAddresses(ns)).map((a) => `${filer} ${ns.slice(head.length)} ${a}`),
          );
      }),
    );
    return lines.flat().sort();
  }

  /**
   * Ends everything it started, by pid: the agents, the control service and its Redis; then
   * deletes the lab's namespaces, the database and the folder. Safe to call twice.
   */
  async teardown(): Promise<void> {
    const problems: string[] = [];
    const attempt = async (what: string, work: () => Promise<unknown>): Promise<void> => {
      try {
        await work();
      } catch (err) {
        problems.push(`${what}: ${oneLine(err)}`);
      }
    };
    for (const client of this.clients.values()) {
      client.close();
    }
    this.clients.clear();
    this.controlClient?.close();
    this.controlClient = undefined;
    await attempt('agents', () => Promise.all([...this.agents.values()].map((a) => a.stop())));
    for (const [filer, agent] of this.agents) {
      writeFileSync(join(this.dir, `agent-${filer}.log`), agent.output());
    }
    this.agents.clear();
    await attempt('vsnet-control', async () => this.control?.stop());
    await attempt('lab', async () => (this.lab ? this.lab.teardown() : removeStale(this.prefix)));
    await attempt('redis-server', async () => this.redisServer?.stop());
    const keep = process.env['VSNET_E2E_KEEP_LOGS'] === '1';
    await attempt('database', async () => (keep ? undefined : this.db?.drop()));
    if (keep) {
      process.stderr.write(
        `e2e: kept ${this.dir} and the database ${this.db?.name ?? '-'} (VSNET_E2E_KEEP_LOGS=1)\n`,
      );
    } else {
      rmSync(this.dir, { recursive: true, force: true });
    }
    if (problems.length > 0) {
      throw new Error(`teardown of ${this.prefix} left: ${problems.join('; ')}`);
    }
  }
}
