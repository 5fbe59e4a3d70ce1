import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeaFiles } from './kea-config.js';
import { localKeaConfig } from './kea-config.js';

/** How long Kea may take to answer on its control socket after it was started. */
const READY_MS = 10_000;
/** How long Kea may take to exit after SIGTERM before it is killed. */
const STOP_MS = 5_000;
/** One control-socket command's deadline. */
const COMMAND_MS = 5_000;
/** Kea's own binaries are in sbin; nothing else is taken from the agent's environment. */
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * One Kea server (kea-dhcp4 or kea-dhcp6) the agent runs inside a network namespace, with its
 * files in `dir`. `ip netns exec` execs Kea, so the child's pid is Kea's own: it is what the
 * agent signals, and only it.
 */
export class KeaProcess {
  readonly files: KeaFiles;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderr = '';

  constructor(
    readonly family: 4 | 6,
    private readonly dir: string,
  ) {
    const base = `kea${family}`;
    this.files = {
      config: join(dir, `${base}.conf`),
      socket: join(dir, `${base}.sock`),
      leases: join(dir, `kea-leases${family}.csv`),
      log: join(dir, `${base}.log`),
    };
  }

  get binary(): string {
    return `kea-dhcp${this.family}`;
  }

  /** Kea's pid while it runs. */
  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null
      ? this.child.pid
      : undefined;
  }

  /** Where Kea writes its pid (KEA_PIDFILE_DIR, then `<config name>.<binary>.pid`). */
  private get pidFile(): string {
    return join(this.dir, `kea${this.family}.${this.binary}.pid`);
  }

  /**
   * Ends a Kea a crashed agent left running with this configuration (its pid file names it,
   * and its command line must be ours), so the new one can take the sockets and the lock.
   */
  async endLeftover(): Promise<void> {
    const text = await readFile(this.pidFile, 'utf8').catch(() => '');
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 1) {
      return;
    }
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(this.binary) || !cmdline.includes(this.files.config)) {
      return;
    }
    await signalUntilGone(pid);
  }

  /** Writes the configuration and starts Kea in `namespace`; resolves once it answers. */
  async start(namespace: string, configText: string): Promise<void> {
    await this.writeConfig(configText);
    await rm(this.files.socket, { force: true });
    this.stderr = '';
    const child = spawn('ip', ['netns', 'exec', namespace, this.binary, '-c', this.files.config], {
      env: { PATH, KEA_PIDFILE_DIR: this.dir, KEA_LOCKFILE_DIR: this.dir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-2_000);
    });
    this.exited = new Promise((resolve) => {
      child.once('close', () => resolve());
      child.once('error', (err) => {
        this.stderr += err.message;
        resolve();
      });
    });
    const deadline = Date.now() + READY_MS;
    while (Date.now() < deadline) {
      if (this.pid === undefined) {
        throw new Error(`${this.binary} exited at start in ${namespace}: ${this.why()}`);
      }
      if (
        await this.command('list-commands').then(
          () => true,
          () => false,
        )
      ) {
        return;
      }
      await sleep(50);
    }
    await this.stop();
    throw new Error(
      `${this.binary} did not answer on ${this.files.socket} within ${READY_MS / 1000} s: ${this.why()}`,
    );
  }

  /** Writes the configuration and has the running Kea load it (`config-reload`). */
  async reload(configText: string): Promise<void> {
    await this.writeConfig(configText);
    const answer = await this.command('config-reload');
    if (answer.result !== 0) {
      throw new Error(
        `${this.binary} refused the new configuration: ${answer.text ?? 'no reason given'}`,
      );
    }
  }

  /** SIGTERM to Kea's pid, SIGKILL if it is still there after a while. */
  async stop(): Promise<void> {
    const child = this.child;
    const pid = this.pid;
    this.child = undefined;
    if (child === undefined || pid === undefined) {
      return;
    }
    child.kill('SIGTERM');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(STOP_MS, false)]);
    if (!stopped) {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  private async writeConfig(text: string): Promise<void> {
    await writeFile(this.files.config, localKeaConfig(text, this.family, this.files), {
      mode: 0o600,
    });
  }

  /** Kea's stderr, or where its log is when it said nothing there. */
  private why(): string {
    const said = this.stderr.trim().split('\n').slice(-3).join(' | ');
    return said !== '' ? said : `see ${this.files.log}`;
  }

  /** One command on Kea's control socket; Kea answers one JSON object and closes. */
  private command(name: string): Promise<{ result: number; text?: string }> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.files.socket);
      let data = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`${name}: no answer on ${this.files.socket} within ${COMMAND_MS} ms`));
      }, COMMAND_MS);
      socket.setEncoding('utf8');
      socket.on('connect', () => socket.end(JSON.stringify({ command: name })));
      socket.on('data', (chunk: string) => {
        data += chunk;
      });
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        try {
          const parsed = JSON.parse(data) as unknown;
          const answer = (Array.isArray(parsed) ? parsed[0] : parsed) as {
            result: number;
            text?: string;
          };
          resolve(answer);
        } catch {
          reject(
            new Error(`${name}: ${this.binary} answered ${JSON.stringify(data.slice(0, 200))}`),
          );
        }
      });
    });
  }
}

/** SIGTERM, then SIGKILL after {@link STOP_MS}, to a pid this agent did not start itself. */
async function signalUntilGone(pid: number): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_MS;
  while (alive() && Date.now() < deadline) {
    await sleep(50);
  }
  if (alive()) {
    process.kill(pid, 'SIGKILL');
  }
}
