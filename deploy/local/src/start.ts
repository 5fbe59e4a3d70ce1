import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import type { ClusterDocument } from '@vsnet/model';
import { parse } from 'yaml';
import type { AgentProcess } from '../../lab/src/agent-process.js';
import { repoRoot, spawnAgent } from '../../lab/src/agent-process.js';
import { Lab, removeStale } from '../../lab/src/lab.js';
import { ControlClient, isUnimplemented } from './control-client.js';
import {
  declaredPorts,
  firstVsvrAddress,
  giveDocumentMacs,
  LOCAL_CLIENTS,
  localLab,
} from './local-lab.js';
import type { Service, StartedProcess } from './services.js';
import {
  controlReadiness,
  findProgram,
  provideMysql,
  provideRedis,
  StartError,
  startProcess,
} from './services.js';

// `npm start`: vsnet's main job on this machine (issue 5 item 4). MySQL and Redis from the
// environment (or private ones), two control replicas, a three-filer lab with an agent per
// filer that joins with a join token, the example cluster applied and pushed to every filer;
// then it stays up until SIGINT/SIGTERM and removes everything it started, by pid and by name.

const REPO = repoRoot();
const READY_TIMEOUT_MS = 60_000;
const APPLIED_TIMEOUT_MS = 60_000;

/** What `npm start` reads from the environment, each with a default that works on one machine. */
interface Settings {
  readonly dataDir: string;
  readonly database: string;
  readonly prefix: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly mysqlUrl: string;
  readonly redisUrl: string;
  readonly document: string;
}

function setting(name: string, fallback: string): string {
  const value = process.env[name]?.trim() ?? '';
  return value === '' ? fallback : value;
}

function portSetting(name: string, fallback: number): number {
  const value = setting(name, String(fallback));
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65_535) {
    throw new StartError(`${name} must be a port number (1-65535), got "${value}"`);
  }
  return Number(value);
}

function readSettings(): Settings {
  const database = setting('VSNET_LOCAL_DATABASE', 'vsnet_local');
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database)) {
    throw new StartError(
      `VSNET_LOCAL_DATABASE must be a database name (letters, digits, _), got "${database}"`,
    );
  }
  return {
    dataDir: setting('VSNET_LOCAL_DIR', join(REPO, '.vsnet-local')),
    database,
    prefix: setting('VSNET_LAB_PREFIX', 'vsnet'),
    grpcPort: portSetting('VSNET_GRPC_PORT', 7400),
    httpPort: portSetting('VSNET_HTTP_PORT', 7480),
    mysqlUrl: setting('VSNET_MYSQL_URL', 'mysql://root@127.0.0.1:3306/vsnet'),
    redisUrl: setting('VSNET_REDIS_URL', 'redis://127.0.0.1:6379'),
    document: join(REPO, 'deploy', 'examples', 'local-cluster.yaml'),
  };
}

function say(line: string): void {
  process.stdout.write(`vsnet start: ${line}\n`);
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n', 1)[0] ?? '';
}

/** A path as a person in the repository would type it. */
function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r === '' || r.startsWith('..') ? path : r;
}

/** Thrown into the start-up when SIGINT/SIGTERM arrived: stop starting, tear down. */
class Stopping extends Error {}

/** What to undo, newest first, each by what it started. */
class Teardown {
  private readonly steps: { what: string; undo: () => Promise<void> }[] = [];
  stopping = false;

  add(what: string, undo: () => Promise<void>): void {
    this.steps.push({ what, undo });
  }

  check(): void {
    if (this.stopping) {
      throw new Stopping('stopped');
    }
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) {
      try {
        await step.undo();
      } catch (err) {
        say(`could not stop ${step.what}: ${oneLine(err)}`);
      }
    }
    this.steps.length = 0;
  }
}

/** Refuses a second `npm start` on the same data folder; the pid file goes on teardown. */
function lockDataDir(dataDir: string, teardown: Teardown): void {
  const pidFile = join(dataDir, 'start.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    let alive: boolean;
    try {
      process.kill(pid, 0);
      alive = pid !== process.pid;
    } catch {
      alive = false; // a crashed run's leftover: its namespaces are removed below
    }
    if (alive) {
      throw new StartError(
        `npm start already runs on ${shown(dataDir)} (pid ${pid}): stop it with Ctrl-C, or set VSNET_LOCAL_DIR, VSNET_LAB_PREFIX and the ports for a second one`,
      );
    }
  }
  writeFileSync(pidFile, `${process.pid}\n`);
  teardown.add('the pid file', () => Promise.resolve(rmSync(pidFile, { force: true })));
}

async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

interface TokenFile {
  readonly database: string;
  readonly token: string;
}

/**
 * Migrates and initializes the database with `vsnet-control init` and keeps the admin token in
 * the data folder (mode 0600); a database initialized by an earlier run reuses that token.
 */
function adminToken(env: NodeJS.ProcessEnv, identity: string, dataDir: string): string {
  const file = join(dataDir, 'admin-token.json');
  const init = spawnSync(process.execPath, [join(REPO, 'bin', 'vsnet-control'), 'init'], {
    env,
    encoding: 'utf8',
    timeout: READY_TIMEOUT_MS,
  });
  const token = /export VSNET_TOKEN=(\S+)/.exec(init.stdout ?? '')?.[1];
  if (init.status === 0 && token !== undefined) {
    writeFileSync(file, JSON.stringify({ database: identity, token } satisfies TokenFile), {
      mode: 0o600,
    });
    chmodSync(file, 0o600);
    return token;
  }
  if (!/already initialized/.test(init.stderr ?? '')) {
    throw new StartError(
      `vsnet-control init failed: ${oneLine(init.stderr || init.stdout || init.error)}`,
    );
  }
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as TokenFile) : undefined;
  if (kept?.database !== identity) {
    throw new StartError(
      `the database ${identity} is already initialized and its admin token is not in ${shown(file)}: set VSNET_LOCAL_DATABASE to a new name, or drop that database`,
    );
  }
  return kept.token;
}

/** Waits until /readyz answers 200 or the control service exits. */
async function controlReady(control: StartedProcess, httpPort: number, log: string): Promise<void> {
  const readiness = await controlReadiness(control, httpPort, READY_TIMEOUT_MS);
  if (readiness !== 'ready') {
    throw new StartError(
      `vsnet-control ${readiness === 'exited' ? 'exited' : 'was not ready in time'}; see ${shown(log)}`,
    );
  }
}

/**
 * Waits until every filer's agent observed the generation its spec last changed in. Returns
 * what is still missing after the deadline ('' when all applied), or undefined when the
 * control service has no change pipeline.
 */
async function everyFilerApplied(
  client: ControlClient,
  filers: readonly string[],
  teardown: Teardown,
): Promise<string | undefined> {
  const deadline = Date.now() + APPLIED_TIMEOUT_MS;
  let missing = '';
  while (Date.now() < deadline) {
    teardown.check();
    let status;
    try {
      status = await client.filerStatus();
    } catch (err) {
      if (isUnimplemented(err)) {
        return undefined;
      }
      throw err;
    }
    const behind = filers.flatMap((name) => {
      const s = status.filers.find((f) => f.filer.toLowerCase() === name.toLowerCase());
      if (s === undefined) {
        return [`${name}: no status`];
      }
      const applied =
        BigInt(s.observedGeneration) >= BigInt(s.desiredGeneration) &&
        s.state === 'FILER_PROGRESS_STATE_APPLIED';
      return applied
        ? []
        : [
            `${name}: ${String(s.state).replace('FILER_PROGRESS_STATE_', '').toLowerCase()} at ${s.observedGeneration}/${s.desiredGeneration}${s.error ? ` (${s.error})` : ''}`,
          ];
    });
    if (behind.length === 0) {
      return '';
    }
    missing = behind.join('; ');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return missing;
}

async function start(settings: Settings, teardown: Teardown): Promise<void> {
  const { dataDir, database, prefix, grpcPort, httpPort } = settings;
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  lockDataDir(dataDir, teardown);

  const mysql: Service = await provideMysql(settings.mysqlUrl, database, dataDir, logDir);
  if (mysql.process) {
    const p = mysql.process;
    teardown.add('the private MariaDB', () => p.stop());
  }
  teardown.check();
  const redis: Service = await provideRedis(settings.redisUrl, dataDir, logDir);
  if (redis.process) {
    const p = redis.process;
    teardown.add('the private redis-server', () => p.stop());
  }
  say(`MySQL ${mysql.where}, database ${database}; Redis ${redis.where}`);
  teardown.check();

  // Two control replicas (ARCHITECTURE.md §4): one leads (applies, heartbeats, failovers), the
  // other stands by and takes over when the leader's lease runs out. Both serve the API.
  const replicas = [
    { name: 'a', grpcPort, httpPort },
    { name: 'b', grpcPort: grpcPort + 1, httpPort: httpPort + 1 },
  ];
  for (const port of replicas.flatMap((r) => [r.grpcPort, r.httpPort])) {
    if (!(await portFree(port))) {
      throw new StartError(
        `port ${port} is in use (another vsnet-control?): set VSNET_GRPC_PORT and VSNET_HTTP_PORT to free ports (the second replica takes the next port of each)`,
      );
    }
  }
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    VSNET_MYSQL_URL: mysql.url,
    VSNET_REDIS_URL: redis.url,
  };
  const identity = `${mysql.process ? 'private' : mysql.where}/${database}`;
  const token = adminToken(baseEnv, identity, dataDir);
  let running = replicas.length;
  for (const replica of replicas) {
    const log = join(logDir, `control-${replica.name}.log`);
    const control = startProcess(
      `vsnet-control ${replica.name}`,
      process.execPath,
      [join(REPO, 'bin', 'vsnet-control'), 'serve'],
      log,
      {
        ...baseEnv,
        VSNET_GRPC_PORT: String(replica.grpcPort),
        VSNET_HTTP_PORT: String(replica.httpPort),
        VSNET_CONTROL_ADVERTISE: `127.0.0.1:${replica.grpcPort}`,
      },
    );
    teardown.add(`vsnet-control ${replica.name}`, () => control.stop());
    await controlReady(control, replica.httpPort, log);
    say(
      `vsnet-control ${replica.name} serves on 127.0.0.1:${replica.grpcPort} (pid ${control.pid}, HTTP ${replica.httpPort}); its log: ${shown(log)}`,
    );
    void control.exited.then(({ code, signal }) => {
      if (teardown.stopping) {
        return;
      }
      running--;
      if (running > 0) {
        say(
          `vsnet-control ${replica.name} exited (${code ?? signal}); the other replica goes on (see ${shown(log)})`,
        );
      } else {
        say(`vsnet-control ${replica.name} exited (${code ?? signal}), no replica left; stopping`);
        void stop(teardown, 1);
      }
    });
    teardown.check();
  }
  const server = `127.0.0.1:${grpcPort}`;
  teardown.check();

  const doc = parse(readFileSync(settings.document, 'utf8')) as ClusterDocument;
  const filers = doc.filers.map((f) => f.name);
  const asRoot = process.getuid?.() === 0 && findProgram('ip') !== undefined;
  let lab: Lab | undefined;
  if (asRoot) {
    const stale = await removeStale(prefix);
    if (stale.removed.length > 0) {
      say(`removed ${stale.removed.length} namespaces an earlier run of lab ${prefix} left`);
    }
    const description = localLab(prefix);
    lab = await Lab.build(description);
    const built = lab;
    teardown.add(`lab ${prefix}`, async () => {
      const report = await built.teardown();
      say(
        `removed lab ${prefix} (${report.removed.length} namespaces)${report.strayPids.length > 0 ? `; still running in them: pids ${report.strayPids.join(' ')}` : ''}`,
      );
    });
    await giveDocumentMacs(doc, description, (f) => built.filerNamespace(f));
    say(
      `lab ${prefix} built: filers ${filers.join(', ')}, clients ${Object.values(LOCAL_CLIENTS).join(', ')}`,
    );
  } else {
    say(
      'not root: no lab; the agents run with the dry-run driver (run npm start as root for a lab whose vsvrs answer ping)',
    );
  }
  teardown.check();

  const client = new ControlClient(server, token);
  teardown.add('the control client', () => Promise.resolve(client.close()));
  const applied = await client.apply(doc).catch((err: unknown) => {
    throw new StartError(`applying ${shown(settings.document)} failed: ${oneLine(err)}`);
  });
  say(
    `applied ${shown(settings.document)}: generation ${applied.generation}${applied.applied ? '' : ' (unchanged)'}`,
  );
  teardown.check();

  // Fresh agent state: a spec cached by an earlier run (with its generation and fencing epoch)
  // belongs to another database and lab.
  const agentsDir = join(dataDir, 'agents');
  rmSync(agentsDir, { recursive: true, force: true });
  let joins = true;
  const agents: AgentProcess[] = [];
  for (const filer of filers) {
    let env: Record<string, string> = {};
    if (joins) {
      try {
        const minted = await client.joinToken(filer);
        env = { VSNET_AGENT_JOIN_TOKEN: minted.joinToken, VSNET_CONTROL_SERVER: server };
      } catch (err) {
        if (!isUnimplemented(err)) {
          throw new StartError(`could not mint a join token for ${filer}: ${oneLine(err)}`);
        }
        joins = false;
      }
    }
    const stateDir = join(agentsDir, filer);
    const agent = lab
      ? await lab.startAgent(filer, { stateDir, env })
      : await spawnAgent({
          filer,
          filerNamespace: '',
          namespacePrefix: `${prefix}-${filer.toLowerCase()}-`,
          stateDir,
          driver: 'dry-run',
          env: joins ? { ...env, VSNET_AGENT_JOIN_INTERFACES: declaredPorts(doc, filer) } : env,
        });
    agents.push(agent);
    teardown.add(`the agent of ${filer}`, () => agent.stop());
    void agent.exited.then(({ code, signal }) => {
      if (!teardown.stopping) {
        say(`the agent of ${filer} exited (${code ?? signal}):\n${agent.output().slice(-2000)}`);
      }
    });
  }
  say(`agents started: ${agents.map((a) => `${a.filer} (pid ${a.pid}, ${a.address})`).join(', ')}`);
  if (!joins) {
    say(
      'this vsnet-control has no FilerService.CreateJoinToken yet: the agents cannot join, so nothing reaches them',
    );
  }
  teardown.check();

  const missing = await everyFilerApplied(client, filers, teardown);
  if (missing === undefined) {
    say('this vsnet-control has no ChangeService yet: not waiting for the filers to apply');
  } else if (missing !== '') {
    say(`not every filer applied the cluster in time: ${missing}; see bin/vsnet filer status`);
  } else {
    say(`every filer applied the cluster (${filers.join(', ')})`);
  }

  const target = firstVsvrAddress(doc);
  const clientNs = lab?.clientNamespace(LOCAL_CLIENTS.data0);
  const lines = [
    '',
    'Try, in another terminal in this folder:',
    '',
    `  export VSNET_SERVER=${server}`,
    `  export VSNET_TOKEN=${token}`,
    '  bin/vsnet vsvr list',
    '  bin/vsnet vsvr address add sales data0 198.18.10.22/24 --wait',
    '  bin/vsnet changes',
    '  bin/vsnet filer status',
    '  bin/vsnet failover status     # the leading replica, filer health, where each vsvr runs',
    '  bin/vsnet audit',
    ...(clientNs !== undefined
      ? [
          `  ip netns exec ${clientNs} ping -c1 ${target.address}     # ${target.vsvr}, from a client on data0`,
          `  ip netns exec ${clientNs} ping -c1 198.18.10.22     # after the address add above`,
        ]
      : []),
    '',
    `The cluster: ${shown(settings.document)}. Logs: ${shown(logDir)}/.`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  say('ready; Ctrl-C stops everything it started');
}

let stopped: Promise<never> | undefined;

/** Tears down once, whichever signal or failure came first, then exits with `code`. */
function stop(teardown: Teardown, code: number): Promise<never> {
  stopped ??= (async () => {
    teardown.stopping = true;
    await teardown.run();
    say('stopped');
    process.exit(code);
  })();
  return stopped;
}

async function main(): Promise<void> {
  const teardown = new Teardown();
  let starting: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (teardown.stopping) {
      return;
    }
    say(`${signal}: stopping`);
    teardown.stopping = true;
    // Let the step in progress finish (it registers what it started), then undo everything.
    void (starting ?? Promise.resolve()).catch(() => undefined).then(() => stop(teardown, 0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    starting = start(readSettings(), teardown);
    await starting;
  } catch (err) {
    if (err instanceof Stopping || teardown.stopping) {
      return; // the signal handler tears down
    }
    const line = err instanceof StartError ? err.message : `failed: ${oneLine(err)}`;
    process.stderr.write(`vsnet start: ${line}\n`);
    await stop(teardown, 1);
  }
}

await main();
