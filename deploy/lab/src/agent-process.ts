import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The built agent, relative to the repository root (`npx nest build cli` writes it). */
export const AGENT_MAIN = join('dist', 'apps', 'agent', 'src', 'main.js');

export interface AgentStartOptions {
  /** The filer's name as in the cluster document. */
  readonly filer: string;
  /** The namespace that plays the filer; the agent drives it with `ip -n`. */
  readonly filerNamespace: string;
  /** Prefix of the vsvr namespaces the agent creates. */
  readonly namespacePrefix: string;
  /** Where the agent caches its spec; the same directory after a restart restores it. */
  readonly stateDir: string;
  /** `linux` unless said otherwise. */
  readonly driver?: 'linux' | 'dry-run';
  /** How long to wait for the agent's listen line before killing it. */
  readonly startTimeoutMs?: number;
  /** More environment for the agent (a join token and the control service, for one). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Run the process inside the filer's network namespace, as a real filer's agent runs on its
   * filer: it listens, dials and is cut off on the filer's own network, and drives the
   * namespace it runs in. Otherwise it runs here and drives the filer's namespace by name.
   */
  readonly insideFiler?: boolean;
}

/** A running agent process, started by the lab and ended only by its pid. */
export interface AgentProcess {
  readonly filer: string;
  readonly pid: number;
  /** `host:port` the agent's gRPC server bound. */
  readonly address: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the agent wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: a crash. Resolves once it has exited. */
  kill(): Promise<void>;
}

const DEFAULT_START_TIMEOUT_MS = 15_000;
const DEFAULT_STOP_GRACE_MS = 5_000;

/** The repository root: the nearest directory above this module with nest-cli.json. */
export function repoRoot(from: string = import.meta.dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'nest-cli.json'))) {
    const up = dirname(dir);
    if (up === dir) {
      throw new Error(`no repository root above ${from}`);
    }
    dir = up;
  }
  return dir;
}

/**
 * Spawns `node dist/apps/agent/src/main.js` configured through its environment, and waits for
 * the one JSON line it prints with the address it bound (it listens on 127.0.0.1:0).
 */
export async function spawnAgent(options: AgentStartOptions): Promise<AgentProcess> {
  const root = repoRoot();
  const main = join(root, AGENT_MAIN);
  if (!existsSync(main)) {
    throw new Error(`the agent is not built (${main}): run npx nest build cli`);
  }
  // nsenter enters the network namespace only and execs node (the pid is the agent's own).
  // Not `ip netns exec`: its private mount namespace would hide the vsvr namespaces the agent
  // adds (`ip netns add` mounts them under /run/netns) from everyone else, a restarted agent
  // included. The price: /sys stays the root namespace's (the lab's addresses are IPv4, whose
  // announcements do not read it).
  const inside = options.insideFiler === true;
  const child = spawn(
    inside ? 'nsenter' : process.execPath,
    inside ? [`--net=/run/netns/${options.filerNamespace}`, '--', process.execPath, main] : [main],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        VSNET_FILER: options.filer,
        VSNET_AGENT_LISTEN: '127.0.0.1:0',
        VSNET_AGENT_STATE_DIR: options.stateDir,
        VSNET_AGENT_DRIVER: options.driver ?? 'linux',
        VSNET_AGENT_FILER_NAMESPACE: inside ? '' : options.filerNamespace,
        VSNET_AGENT_NAMESPACE_PREFIX: options.namespacePrefix,
        ...options.env,
      },
    },
  );
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(`could not start the agent of ${options.filer}`);
  }
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const address = await new Promise<string>((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`agent of ${options.filer} printed no listen line in time:\n${output}`));
    }, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      output += d;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const bound = listenAddressIn(line);
        if (bound !== undefined) {
          clearTimeout(timer);
          resolve(bound);
        }
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new Error(
          `agent of ${options.filer} exited (${code ?? signal}) before listening:\n${output}`,
        ),
      );
    });
  });
  return {
    filer: options.filer,
    pid,
    address,
    exited,
    output: () => output,
    stop: (graceMs = DEFAULT_STOP_GRACE_MS) => stopChild(child, exited, graceMs),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(pid, 'SIGKILL');
      }
      await exited;
    },
  };
}

async function stopChild(
  child: ChildProcess,
  exited: Promise<unknown>,
  graceMs: number,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    return;
  }
  const pid = child.pid;
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
}

/**
 * The bound `host:port` if `line` is the agent's start-up line: one JSON object with
 * `"msg": "listening"` and `"address"` (apps/agent/src/agent.ts).
 */
export function listenAddressIn(line: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined; // not one of the agent's JSON log lines: not the one we wait for
  }
  if (typeof parsed !== 'object' || parsed === null) {
    return undefined;
  }
  const { msg, address } = parsed as { msg?: unknown; address?: unknown };
  return msg === 'listening' && typeof address === 'string' ? address : undefined;
}
