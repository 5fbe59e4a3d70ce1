import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ClusterDocument } from '@vsnet/model';
import { Redis } from 'ioredis';
import { parse } from 'yaml';
import { clusterApiGrpc } from '../../../libs/contracts/src/cluster-api.js';
import type { ClusterApiServiceName } from '../../../libs/contracts/src/cluster-api.js';
import type { GetFailoverStatusResponse__Output } from '../../../libs/contracts/src/generated/vsnet/v1/GetFailoverStatusResponse.js';
import type { ListFilerStatusResponse__Output } from '../../../libs/contracts/src/generated/vsnet/v1/ListFilerStatusResponse.js';
import type { AgentProcess } from '../../../deploy/lab/src/agent-process.js';
import { repoRoot } from '../../../deploy/lab/src/agent-process.js';
import { bridgeOf, Lab, removeStale } from '../../../deploy/lab/src/lab.js';
import type { LabDescription } from '../../../deploy/lab/src/lab-description.js';
import { ipBatch, ipJson } from '../../../deploy/lab/src/run.js';
import { ControlClient } from '../../../deploy/local/src/control-client.js';
import { giveDocumentMacs } from '../../../deploy/local/src/local-lab.js';
import type { StartedProcess } from '../../../deploy/local/src/services.js';
import { findProgram, startProcess } from '../../../deploy/local/src/services.js';
import type { Probe, Responder } from '../../bench/failover/probe.js';
import { startProbe, startResponder } from '../../bench/failover/probe.js';
import { E2E_PIPELINE_ENV } from '../../e2e/support/e2e-cluster.js';
import type { CliResult, RpcResult } from '../../e2e/support/e2e-cluster.js';
import { createTestDatabase } from '../../medium/support/test-database.js';
import type { TestDatabase } from '../../medium/support/test-database.js';
import { ArpWatch } from './arp-watch.js';

// The failover lab of issue 7 (docs/decisions/0006-failover.md, last section): three filers
// whose eth0 is on a management segment and eth1 on a data segment, with the agents AND the
// two control replicas running INSIDE the filers' namespaces (replica a in filer1, b in
// filer2), talking over an out-of-band address on each eth0 (198.19.255.1N/24). So cutting a
// filer's cables at the switch cuts its heartbeats, its kernel's answers and, when a replica
// runs there, that replica's reach to the agents. The database and a private Redis are
// reached over unix sockets, which no cable cut touches; the tests reach the replicas' API
// over the unix socket each serves (VSNET_GRPC_SOCKET) from the root namespace.

const REPO = repoRoot(import.meta.dirname);
const CONTROL = join(REPO, 'bin', 'vsnet-control');
const VSNET = join(REPO, 'bin', 'vsnet');
/** The cluster the lab applies (vs_mgmt on the management segment, sales and eng on data). */
export const FAILOVER_DOCUMENT = join(REPO, 'deploy', 'examples', 'failover-cluster.yaml');
const MYSQL_SOCKET = '/run/mysqld/mysqld.sock';
const READY_TIMEOUT_MS = 30_000;
const CALL_DEADLINE_MS = 15_000;
const CLI_TIMEOUT_MS = 60_000;

export const FILERS = ['filer1', 'filer2', 'filer3'] as const;
export type Filer = (typeof FILERS)[number];
/** The control replicas and the filer each runs in. */
export const REPLICA_FILER = { a: 'filer1', b: 'filer2' } as const;
export type Replica = keyof typeof REPLICA_FILER;

/** The client namespaces, by segment. */
export const CLIENTS = { mgmt: 'cm', data: 'cd' } as const;
export const VS_MGMT = 'vs_mgmt';
/** vs_mgmt's address in failover-cluster.yaml, on the management segment. */
export const VS_MGMT_ADDRESS = '198.18.0.10';
/** Where the responders listen in every vsvr namespace that carries the probed vsvr. */
export const PROBE_PORT = 7100;
/** The port every agent listens on inside its filer (gRPC over TCP, heartbeats over UDP). */
export const AGENT_PORT = 7401;
/** The port each control replica's API listens on inside its filer. */
const REPLICA_GRPC_PORT = 7400;
const REPLICA_HTTP_PORT = 7480;

/** The heartbeat profile of decision 0006 the replicas run with. */
export type FailoverProfile = 'default' | 'aggressive';

/** The out-of-band address of a filer's eth0: 198.19.255.11 for filer1, …. */
export function outOfBandAddress(filer: string): string {
  const n = FILERS.indexOf(filer as Filer);
  if (n < 0) {
    throw new RangeError(`the failover lab has no filer ${filer}`);
  }
  return `198.19.255.${11 + n}`;
}

/** The lab: the two segments, the three filers (eth0 mgmt, eth1 data) and a client on each. */
export function failoverLabDescription(prefix: string): LabDescription {
  const ports = [
    { eth: 'eth0', segment: 'mgmt' },
    { eth: 'eth1', segment: 'data' },
  ];
  return {
    prefix,
    segments: ['mgmt', 'data'],
    filers: FILERS.map((name) => ({ name, ports })),
    clients: [
      { name: CLIENTS.mgmt, segment: 'mgmt', addresses: ['198.18.0.100/24'] },
      { name: CLIENTS.data, segment: 'data', addresses: ['198.18.10.100/24'] },
    ],
  };
}

export type FailoverStatus = GetFailoverStatusResponse__Output;
export type FailoverRecord = FailoverStatus['recent'][number];

/** The newest failover of `kind` that left `filer` (FILER_LOST: `filer` is the lost one). */
export function failoverOf(
  status: FailoverStatus,
  filer: string,
  kind = 'FAILOVER_KIND_FILER_LOST',
): FailoverRecord | undefined {
  return status.recent.find((f) => f.kind === kind && f.filer.toLowerCase() === filer);
}

/**
 * Whether the newest failover that left `filer` has committed and the answer's placements
 * already include it (they are read as of `status.generation`).
 */
export function failoverCommitted(status: FailoverStatus, filer: string, kind?: string): boolean {
  const generation = BigInt(failoverOf(status, filer, kind)?.generation ?? '0');
  return generation > 0n && BigInt(status.generation) >= generation;
}

/** The health state the leader gives `filer` (`FILER_HEALTH_STATE_UP`, …). */
export function healthOf(status: FailoverStatus, filer: string): string | undefined {
  return status.filers.find((f) => f.filer.toLowerCase() === filer)?.state;
}

/** Where `vsvr` runs by the committed placement. */
export function placementOf(status: FailoverStatus, vsvr: string): string | undefined {
  return status.vsvrs.find((v) => v.vsvr.toLowerCase() === vsvr)?.filer.toLowerCase();
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n', 1)[0] ?? '';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface IpAddressJson {
  readonly ifname: string;
  readonly flags?: readonly string[];
  readonly operstate?: string;
  readonly addr_info?: readonly { readonly local: string; readonly prefixlen: number }[];
}

/**
 * The profile the failover tests run with: VSNET_LAB_FAILOVER_PROFILE (`default` unless set),
 * so the same tests can be run with the aggressive one.
 */
export function labProfile(env: NodeJS.ProcessEnv = process.env): FailoverProfile {
  const value = env['VSNET_LAB_FAILOVER_PROFILE'] ?? 'default';
  if (value !== 'default' && value !== 'aggressive') {
    throw new Error(`VSNET_LAB_FAILOVER_PROFILE=${value}: use default or aggressive`);
  }
  return value;
}

export interface FailoverLabOptions {
  /** A few lower-case letters naming the test: the lab's prefix and the database's name. */
  readonly label: string;
  /** {@link labProfile} unless said otherwise. */
  readonly profile?: FailoverProfile;
  /** More environment for both replicas (overrides the profile's and the lab's tuning). */
  readonly replicaEnv?: Readonly<Record<string, string>>;
}

/**
 * The failover lab as processes. `start` builds it all and returns once every filer has
 * applied the document; `teardown` ends everything it started, by pid, and removes the
 * namespaces, the database and the folder.
 */
export class FailoverLab {
  readonly document: ClusterDocument;
  readonly profile: FailoverProfile;
  private lab: Lab | undefined;
  private db: TestDatabase | undefined;
  private redis: StartedProcess | undefined;
  private token = '';
  private readonly replicas = new Map<Replica, StartedProcess & { running: boolean }>();
  private readonly agents = new Map<string, AgentProcess>();
  private readonly clients = new Map<string, grpc.Client>();
  private readonly responders: Responder[] = [];
  private readonly probes: Probe[] = [];
  private readonly watches: ArpWatch[] = [];
  private readonly hogs = new Set<ChildProcess>();

  private constructor(
    /** Every namespace of the lab starts with `<prefix>-`. */
    readonly prefix: string,
    /** Logs, sockets, the agents' state and Redis's folder; removed by teardown. */
    readonly dir: string,
    private readonly options: FailoverLabOptions,
  ) {
    this.document = parse(readFileSync(FAILOVER_DOCUMENT, 'utf8')) as ClusterDocument;
    this.profile = options.profile ?? labProfile();
  }

  /** Builds and starts the lab; on a failure half-way it tears down what it started. */
  static async start(options: FailoverLabOptions): Promise<FailoverLab> {
    const prefix = `fo${options.label}${process.pid % 10_000}`;
    const lab = new FailoverLab(
      prefix,
      mkdtempSync(join(tmpdir(), `vsnet-failover-${options.label}-`)),
      options,
    );
    try {
      await lab.boot();
      return lab;
    } catch (err) {
      await lab.teardown().catch(() => undefined);
      throw err;
    }
  }

  private async boot(): Promise<void> {
    await removeStale(this.prefix);
    const description = failoverLabDescription(this.prefix);
    this.lab = await Lab.build(description);
    const lab = this.lab;
    await Promise.all(
      FILERS.map((f) =>
        ipBatch([`addr add ${outOfBandAddress(f)}/24 dev eth0`], {
          namespace: lab.filerNamespace(f),
        }),
      ),
    );
    await giveDocumentMacs(this.document, description, (f) => lab.filerNamespace(f));
    this.db = await createTestDatabase(`fo${this.options.label}`);
    this.redis = await this.startRedis();
    this.token = this.init();
    await Promise.all((Object.keys(REPLICA_FILER) as Replica[]).map((r) => this.startReplica(r)));
    await this.controlClient((c) => c.apply(this.document));
    await Promise.all(FILERS.map((f) => this.startAgent(f, { join: true })));
    await this.waitConverged(60_000);
  }

  // ---------------------------------------------------------------- the lab's pieces

  /** A redis-server on a unix socket only (port 0: no TCP), no persistence. */
  private async startRedis(): Promise<StartedProcess> {
    const binary = findProgram('redis-server');
    if (binary === undefined) {
      throw new Error('the failover lab needs redis-server: apt-get install redis-server');
    }
    const socket = this.redisSocket;
    const redis = startProcess(
      'redis-server',
      binary,
      [
        '--port',
        '0',
        '--unixsocket',
        socket,
        '--unixsocketperm',
        '700',
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      join(this.dir, 'redis.log'),
    );
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const client = new Redis(socket, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        if ((await client.ping()) === 'PONG') {
          return redis;
        }
      } catch {
        // not up yet
      } finally {
        client.disconnect();
      }
      if (Date.now() > deadline) {
        await redis.stop();
        throw new Error(`redis-server did not answer on ${socket}; see ${this.dir}/redis.log`);
      }
      await sleep(100);
    }
  }

  private get redisSocket(): string {
    return join(this.dir, 'redis.sock');
  }

  /** The unix socket replica `r` serves the API on. */
  replicaSocket(r: Replica): string {
    return join(this.dir, `control-${r}.sock`);
  }

  /** The replicas' environment: the database and Redis over their sockets, the lab's tuning. */
  private replicaEnv(r?: Replica): NodeJS.ProcessEnv {
    if (this.db === undefined) {
      throw new Error('the database comes before the control replicas');
    }
    return {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/root',
      VSNET_MYSQL_URL: `mysql://root@localhost/${this.db.name}?socket=${MYSQL_SOCKET}`,
      VSNET_REDIS_URL: `unix://${this.redisSocket}`,
      VSNET_GRPC_PORT: String(REPLICA_GRPC_PORT),
      VSNET_HTTP_PORT: String(REPLICA_HTTP_PORT),
      ...(r !== undefined
        ? {
            VSNET_GRPC_SOCKET: this.replicaSocket(r),
            // Where the other replica passes calls only the leader serves (MoveVsvr).
            VSNET_CONTROL_ADVERTISE: `${outOfBandAddress(REPLICA_FILER[r])}:${REPLICA_GRPC_PORT}`,
          }
        : {}),
      ...E2E_PIPELINE_ENV,
      VSNET_FAILOVER_PROFILE: this.profile,
      ...this.options.replicaEnv,
    };
  }

  /** `vsnet-control init` (migrations and the first token), from here, over the socket. */
  private init(): string {
    const init = spawnSync(process.execPath, [CONTROL, 'init'], {
      env: this.replicaEnv(),
      encoding: 'utf8',
      timeout: READY_TIMEOUT_MS,
    });
    const token = /export VSNET_TOKEN=(\S+)/.exec(init.stdout ?? '')?.[1];
    if (init.status !== 0 || token === undefined) {
      throw new Error(`vsnet-control init failed (${init.status}): ${init.stderr}${init.stdout}`);
    }
    return token;
  }

  /** Starts replica `r` inside its filer's namespace and waits until its API answers. */
  async startReplica(r: Replica): Promise<void> {
    const ns = this.filerNamespace(REPLICA_FILER[r]);
    // `ip netns exec` execs node: the pid is the replica's (the lease holder names it).
    const replica = Object.assign(
      startProcess(
        `vsnet-control ${r}`,
        'ip',
        ['netns', 'exec', ns, process.execPath, CONTROL, 'serve'],
        join(this.dir, `control-${r}.log`),
        this.replicaEnv(r),
      ),
      { running: true },
    );
    void replica.exited.then(() => {
      replica.running = false;
      this.dropClients();
    });
    this.replicas.set(r, replica);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let last = 'no answer yet';
    while (replica.running && Date.now() < deadline) {
      const client = new ControlClient(`unix://${this.replicaSocket(r)}`, this.token);
      try {
        await client.filerStatus();
        return;
      } catch (err) {
        last = oneLine(err);
      } finally {
        client.close();
      }
      await sleep(200);
    }
    throw new Error(
      `control replica ${r} ${replica.running ? `did not answer (${last})` : 'exited'}:\n${this.replicaLog(r).slice(-3000)}`,
    );
  }

  /** SIGKILL to replica `r`: a crash, nothing it held is released. */
  async killReplica(r: Replica): Promise<void> {
    const replica = this.replicas.get(r);
    if (replica === undefined) {
      return;
    }
    try {
      process.kill(replica.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await replica.exited;
  }

  /** The pid of replica `r` while it runs. */
  replicaPid(r: Replica): number | undefined {
    const replica = this.replicas.get(r);
    return replica?.running === true ? replica.pid : undefined;
  }

  /** What replica `r` logged so far (all its runs). */
  replicaLog(r: Replica): string {
    try {
      return readFileSync(join(this.dir, `control-${r}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  /**
   * Starts the agent of `filer` inside its namespace on 0.0.0.0:7401, advertising its
   * out-of-band address. With `join` it joins with a fresh join token through a replica's
   * socket; without, it comes back the way a restarted agent does.
   */
  async startAgent(filer: string, { join: joins }: { readonly join: boolean }): Promise<void> {
    const lab = this.requireLab();
    const env: Record<string, string> = {
      VSNET_AGENT_LISTEN: `0.0.0.0:${AGENT_PORT}`,
      VSNET_AGENT_ADVERTISE: `${outOfBandAddress(filer)}:${AGENT_PORT}`,
    };
    if (joins) {
      const minted = await this.controlClient((c) => c.joinToken(filer));
      env['VSNET_AGENT_JOIN_TOKEN'] = minted.joinToken;
      env['VSNET_CONTROL_SERVER'] = `unix://${this.replicaSocket(this.liveReplica())}`;
    }
    const stateDir = join(this.dir, 'agents', filer);
    mkdirSync(stateDir, { recursive: true });
    const agent = await lab.startAgent(filer, { stateDir, env, insideFiler: true });
    this.agents.set(filer, agent);
  }

  /** SIGKILL to the agent of `filer` (its filer and vsvrs go on). */
  async killAgent(filer: string): Promise<void> {
    const agent = this.agents.get(filer);
    if (agent !== undefined) {
      await agent.kill();
      this.saveAgentOutput(filer, agent);
      this.agents.delete(filer);
    }
  }

  agentPid(filer: string): number | undefined {
    return this.agents.get(filer)?.pid;
  }

  /** What the agent of `filer` printed (its current run). */
  agentOutput(filer: string): string {
    return this.agents.get(filer)?.output() ?? '';
  }

  private saveAgentOutput(filer: string, agent: AgentProcess): void {
    writeFileSync(join(this.dir, `agent-${filer}.log`), agent.output(), { flag: 'a' });
  }

  // ---------------------------------------------------------------- the network

  private requireLab(): Lab {
    if (this.lab === undefined) {
      throw new Error('the failover lab is not built');
    }
    return this.lab;
  }

  filerNamespace(filer: string): string {
    return this.requireLab().filerNamespace(filer);
  }

  clientNamespace(client: string): string {
    return this.requireLab().clientNamespace(client);
  }

  get switchNamespace(): string {
    return this.requireLab().switchNamespace;
  }

  /** The namespace the agent of `filer` gives `vsvr`. */
  vsvrNamespace(filer: string, vsvr: string): string {
    return `${this.requireLab().vsvrNamespacePrefix(filer)}vs-${vsvr.toLowerCase()}`;
  }

  /** The switch-side ends of the filer's cables (`f1-eth0`, `f1-eth1` for filer1). */
  switchPorts(filer: string): string[] {
    const n = FILERS.indexOf(filer as Filer) + 1;
    return ['eth0', 'eth1'].map((eth) => `f${n}-${eth}`);
  }

  /** Cuts the filer's cables: its ports on the switch go down. */
  async cutFiler(filer: string): Promise<void> {
    await ipBatch(
      this.switchPorts(filer).map((p) => `link set ${p} down`),
      { namespace: this.switchNamespace },
    );
  }

  /** Plugs the filer's cables back in. */
  async healFiler(filer: string): Promise<void> {
    await ipBatch(
      this.switchPorts(filer).map((p) => `link set ${p} up`),
      { namespace: this.switchNamespace },
    );
  }

  /**
   * The filers whose kernel holds `address` (of `vsvr`) on an interface that is up (admin
   * up: a cut cable does not count as letting go). Two at once is a duplicate address.
   */
  async vsvrHolders(vsvr: string, address: string): Promise<string[]> {
    const held = await Promise.all(
      FILERS.map(async (filer) => {
        const infos = await ipJson<IpAddressJson>([
          '-n',
          this.vsvrNamespace(filer, vsvr),
          'address',
          'show',
        ]).catch(() => [] as IpAddressJson[]); // no such namespace: it holds nothing
        return infos.some(
          (i) =>
            (i.flags ?? []).includes('UP') && (i.addr_info ?? []).some((a) => a.local === address),
        )
          ? [filer]
          : [];
      }),
    );
    return held.flat();
  }

  /** The one filer holding vs_mgmt's address (undefined when none does); throws on two. */
  async vsvrHolder(vsvr = VS_MGMT, address = VS_MGMT_ADDRESS): Promise<string | undefined> {
    const holders = await this.vsvrHolders(vsvr, address);
    if (holders.length > 1) {
      throw new Error(`${address} of ${vsvr} is held by ${holders.join(' and ')} at once`);
    }
    return holders[0];
  }

  /** The filer's own global addresses (its namespace), as `dev address/prefix`. */
  async filerAddresses(filer: string): Promise<string[]> {
    const infos = await ipJson<IpAddressJson>(['-n', this.filerNamespace(filer), 'address']);
    return infos.flatMap((i) =>
      (i.addr_info ?? [])
        .filter((a) => !a.local.startsWith('fe80:') && !a.local.startsWith('127.'))
        .map((a) => `${i.ifname} ${a.local}/${a.prefixlen}`),
    );
  }

  // ---------------------------------------------------------------- what clients see

  /**
   * H5's responder on PROBE_PORT in `vsvr`'s namespace on every filer that has one (the
   * active filer and the pre-staged standbys), so whichever filer holds the address answers.
   */
  async startResponders(vsvr = VS_MGMT): Promise<void> {
    const existing = new Set(
      (await ipJson<{ name: string }>(['netns', 'list'])).map((n) => n.name),
    );
    for (const filer of FILERS) {
      const ns = this.vsvrNamespace(filer, vsvr);
      if (existing.has(ns)) {
        this.responders.push(await startResponder({ namespace: ns, port: PROBE_PORT }));
      }
    }
  }

  /** H5's probe: a fresh TCP connection to `address` every 10 ms from a client namespace. */
  async startProbe(address = VS_MGMT_ADDRESS, client: string = CLIENTS.mgmt): Promise<Probe> {
    const probe = await startProbe({
      namespace: this.clientNamespace(client),
      address,
      port: PROBE_PORT,
    });
    this.probes.push(probe);
    return probe;
  }

  /** Who answers ARP for `address` on the management segment, port by port (every 10 ms). */
  async watchArp(address = VS_MGMT_ADDRESS): Promise<ArpWatch> {
    const watch = await ArpWatch.start({
      switchNs: this.switchNamespace,
      bridge: bridgeOf('mgmt'),
      address,
      sender: '198.18.0.99',
    });
    this.watches.push(watch);
    return watch;
  }

  /** Starts `n` busy loops (one per core saturates the machine); ended by pid at teardown. */
  startCpuHogs(n: number): number[] {
    return Array.from({ length: n }, () => {
      const hog = spawn('/bin/sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
      this.hogs.add(hog);
      void new Promise((resolve) => hog.on('exit', resolve)).then(() => this.hogs.delete(hog));
      return hog.pid ?? -1;
    });
  }

  /** Ends the CPU hogs started so far, by pid. */
  stopCpuHogs(): void {
    for (const hog of this.hogs) {
      if (hog.exitCode === null && hog.signalCode === null) {
        hog.kill('SIGKILL');
      }
    }
    this.hogs.clear();
  }

  // ---------------------------------------------------------------- the API

  /** A replica that still runs, `a` first. */
  liveReplica(): Replica {
    const live = (Object.keys(REPLICA_FILER) as Replica[]).find(
      (r) => this.replicas.get(r)?.running === true,
    );
    if (live === undefined) {
      throw new Error('no control replica runs');
    }
    return live;
  }

  private async controlClient<T>(work: (c: ControlClient) => Promise<T>): Promise<T> {
    const client = new ControlClient(
      `unix://${this.replicaSocket(this.liveReplica())}`,
      this.token,
    );
    try {
      return await work(client);
    } finally {
      client.close();
    }
  }

  /** Closes the API clients (a replica went away: the next call picks a live one). */
  private dropClients(): void {
    for (const client of this.clients.values()) {
      client.close();
    }
    this.clients.clear();
  }

  /** One unary call of the vsnet.v1 API with the admin token, through a live replica. */
  rpc<Res>(
    service: ClusterApiServiceName,
    method: string,
    request: object,
    deadlineMs = CALL_DEADLINE_MS,
  ): Promise<RpcResult<Res>> {
    const replica = this.liveReplica();
    const key = `${replica}/${service}`;
    let client = this.clients.get(key);
    if (client === undefined) {
      const Service = clusterApiGrpc()[service] as unknown as grpc.ServiceClientConstructor;
      client = new Service(
        `unix://${this.replicaSocket(replica)}`,
        grpc.credentials.createInsecure(),
        { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 500 },
      );
      this.clients.set(key, client);
    }
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${this.token}`);
    const fn = (client as unknown as Record<string, unknown>)[method] as
      | ((
          req: object,
          md: grpc.Metadata,
          opts: grpc.CallOptions,
          cb: (err: grpc.ServiceError | null, res?: Res) => void,
        ) => void)
      | undefined;
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

  /** The same call, throwing the gRPC error instead of returning it. */
  async call<Res>(service: ClusterApiServiceName, method: string, request: object): Promise<Res> {
    const r = await this.rpc<Res>(service, method, request);
    if (!r.ok) {
      throw r.err;
    }
    return r.res;
  }

  /** FailoverService.GetFailoverStatus (the last `recent` failovers). */
  failoverStatus(recent = 20): Promise<GetFailoverStatusResponse__Output> {
    return this.call('FailoverService', 'getFailoverStatus', { recent });
  }

  /** Which replica leads now (by the lease holder's pid), and the lease's epoch. */
  async leader(): Promise<{ readonly replica?: Replica; readonly epoch: bigint; holder: string }> {
    const { leader } = await this.failoverStatus(1);
    const holder = leader?.holder ?? '';
    const pid = Number(holder.split('/')[1]);
    const replica = (Object.keys(REPLICA_FILER) as Replica[]).find(
      (r) => this.replicaPid(r) === pid,
    );
    return {
      ...(replica !== undefined ? { replica } : {}),
      epoch: BigInt(leader?.epoch ?? '0'),
      holder,
    };
  }

  /** Waits until replica `r` holds the lease; returns its epoch. */
  async waitLeader(r: Replica, timeoutMs = 15_000): Promise<bigint> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      try {
        const leader = await this.leader();
        if (leader.replica === r) {
          return leader.epoch;
        }
        last = `${leader.holder || 'nobody'} leads (epoch ${leader.epoch})`;
      } catch (err) {
        last = oneLine(err);
      }
      await sleep(100);
    }
    throw new Error(`replica ${r} did not become the leader in ${timeoutMs} ms: ${last}`);
  }

  /**
   * Makes replica `r` the leader: when the other one leads, it is killed (its lease runs out
   * and `r` takes it) and started again, as a follower. Returns the leader's epoch.
   */
  async makeLeader(r: Replica): Promise<bigint> {
    const other: Replica = r === 'a' ? 'b' : 'a';
    const now = await this.waitLeaderAmong();
    if (now === r) {
      return this.waitLeader(r);
    }
    await this.killReplica(other);
    const epoch = await this.waitLeader(r);
    await this.startReplica(other);
    await this.waitConverged(30_000);
    return epoch;
  }

  /** Waits until one of the replicas leads and says which. */
  private async waitLeaderAmong(timeoutMs = 15_000): Promise<Replica> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leader = await this.leader().catch(() => undefined);
      if (leader?.replica !== undefined) {
        return leader.replica;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `no replica leads after ${timeoutMs} ms (${leader?.holder ?? 'no answer'})`,
        );
      }
      await sleep(100);
    }
  }

  /** Runs `bin/vsnet args…` against a live replica's socket with the admin token. */
  vsnet(args: readonly string[]): Promise<CliResult> {
    const child = spawn(process.execPath, [VSNET, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: this.dir,
        XDG_CONFIG_HOME: join(this.dir, 'no-config'),
        VSNET_SERVER: `unix://${this.replicaSocket(this.liveReplica())}`,
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

  /** Every filer's desired and observed generation. */
  filerStatus(): Promise<ListFilerStatusResponse__Output> {
    return this.call('ChangeService', 'listFilerStatus', {});
  }

  /** Waits until `filers` (all by default) report their last spec's generation applied. */
  async waitConverged(timeoutMs: number, filers: readonly string[] = FILERS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let behind = 'no answer yet';
    while (Date.now() < deadline) {
      try {
        const status = await this.filerStatus();
        const lagging = filers.flatMap((name) => {
          const s = status.filers.find((f) => f.filer.toLowerCase() === name);
          const applied =
            s !== undefined &&
            BigInt(s.observedGeneration) >= BigInt(s.desiredGeneration) &&
            s.state === 'FILER_PROGRESS_STATE_APPLIED';
          return applied
            ? []
            : [`${name} ${s?.state} ${s?.observedGeneration}/${s?.desiredGeneration} ${s?.error}`];
        });
        if (lagging.length === 0) {
          return;
        }
        behind = lagging.join('; ');
      } catch (err) {
        behind = oneLine(err);
      }
      await sleep(200);
    }
    throw new Error(
      `the filers did not converge in ${timeoutMs} ms: ${behind}\n${this.warnings().join('\n')}`,
    );
  }

  /**
   * Every change of a filer's health the replicas logged at or after `sinceMs` (epoch ms), as
   * `replica time message` lines (`a 2026-…Z filer filer1: up → agent-down (…)`).
   */
  healthTransitions(sinceMs = 0): string[] {
    return (Object.keys(REPLICA_FILER) as Replica[]).flatMap((r) =>
      this.replicaLog(r)
        .split('\n')
        .flatMap((line) => {
          const msg = /"msg":"(filer \S+: \S+ → [^"]*)"/.exec(line)?.[1];
          const time = /"time":"([^"]+)"/.exec(line)?.[1] ?? '';
          return msg === undefined || Date.parse(time) < sinceMs ? [] : [`${r} ${time} ${msg}`];
        }),
    );
  }

  /** The replicas' log lines above info, for failure messages. */
  warnings(limit = 20): string[] {
    return (Object.keys(REPLICA_FILER) as Replica[]).flatMap((r) =>
      this.replicaLog(r)
        .split('\n')
        .filter((l) => l !== '' && !l.includes('"level":"info"'))
        .slice(-limit)
        .map((l) => `${r}: ${l}`),
    );
  }

  // ---------------------------------------------------------------- teardown

  /**
   * Ends everything it started, by pid (probes, responders, ARP watches, CPU hogs, agents,
   * replicas, Redis), then deletes the namespaces, the database and the folder (kept with
   * VSNET_E2E_KEEP_LOGS=1). Safe to call twice.
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
    this.stopCpuHogs();
    await attempt('probes', () => Promise.all(this.probes.splice(0).map((p) => p.stop())));
    await attempt('ARP watches', () => Promise.all(this.watches.splice(0).map((w) => w.stop())));
    await attempt('responders', () => Promise.all(this.responders.splice(0).map((r) => r.stop())));
    for (const client of this.clients.values()) {
      client.close();
    }
    this.clients.clear();
    await attempt('agents', () =>
      Promise.all(
        [...this.agents].map(async ([filer, agent]) => {
          await agent.stop();
          this.saveAgentOutput(filer, agent);
        }),
      ),
    );
    this.agents.clear();
    await attempt('control replicas', () =>
      Promise.all([...this.replicas.values()].map((r) => r.stop())),
    );
    this.replicas.clear();
    await attempt('lab', async () => (this.lab ? this.lab.teardown() : removeStale(this.prefix)));
    await attempt('redis-server', async () => this.redis?.stop());
    const keep = process.env['VSNET_E2E_KEEP_LOGS'] === '1';
    await attempt('database', async () => (keep ? undefined : this.db?.drop()));
    if (keep) {
      process.stderr.write(
        `failover lab: kept ${this.dir} and the database ${this.db?.name ?? '-'} (VSNET_E2E_KEEP_LOGS=1)\n`,
      );
    } else {
      rmSync(this.dir, { recursive: true, force: true });
    }
    if (problems.length > 0) {
      throw new Error(`teardown of ${this.prefix} left: ${problems.join('; ')}`);
    }
  }
}
