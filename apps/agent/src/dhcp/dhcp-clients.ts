import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import type { FSWatcher } from 'node:fs';
import { watch } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { errorMessage } from '../logger.js';
import { dhclientConfig, clientKey } from './dhclient-config.js';
import type { DhcpClientRequest } from './dhclient-config.js';
import { dhclientScript } from './dhclient-script.js';
import type { Lease } from './lease-report.js';
import { parseLeaseReport, reportFileName, reportFileOf } from './lease-report.js';

/** Where dhclient is: the agent runs it by absolute path (LAB.md). */
export const DHCLIENT = '/usr/sbin/dhclient';

export interface DhcpClientsOptions {
  /** The agent's folder for everything DHCP (script, configurations, lease reports). */
  readonly dir: string;
  /** The namespace the clients run in ('' = the agent's own). */
  readonly namespace: string;
  readonly logger: Logger;
  /** The dhclient binary (tests may point elsewhere). */
  readonly dhclient?: string;
  /** Wait before a client that exited on its own is started again. */
  readonly restartDelayMs?: number;
  /** Grace between SIGTERM and SIGKILL when a client is stopped. */
  readonly stopGraceMs?: number;
}

interface Running {
  readonly request: DhcpClientRequest;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  /** Set when the agent stops it: an exit is then expected, not restarted. */
  stopping: boolean;
  output: string;
}

/**
 * The DHCP clients of this filer: one real `dhclient` (`-4` or `-6`, in the foreground, so its
 * pid is the child's) per device and family, started in the filer's namespace with
 * `ip netns exec`, with a private configuration, lease file, pid file and `-sf` script that
 * only reports leases (dhclient-script.ts). `sync` makes the running set equal to the wanted
 * one; every client is ended by its own pid (SIGTERM, then SIGKILL); `close` ends them all.
 * Listeners hear when any lease changes.
 */
export class DhcpClients {
  private readonly clients = new Map<string, Running>();
  private readonly leases = new Map<string, Lease>();
  private readonly listeners = new Set<() => void>();
  private readonly restarts = new Map<string, NodeJS.Timeout>();
  private watcher: FSWatcher | undefined;
  private closed = false;
  private readonly reportDir: string;
  private readonly scriptPath: string;
  private ready: Promise<void> | undefined;

  constructor(private readonly options: DhcpClientsOptions) {
    this.reportDir = join(options.dir, 'leases');
    this.scriptPath = join(options.dir, 'dhclient-script');
  }

  /** Calls `listener` after any lease appeared, changed or went away. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The lease a device holds for a family, if its client reported one. */
  lease(device: string, family: 4 | 6): Lease | undefined {
    return this.leases.get(clientKey({ device, family }));
  }

  /** The requests of the clients running now. */
  running(): DhcpClientRequest[] {
    return [...this.clients.values()].map((c) => c.request);
  }

  /** Starts the clients wanted and not running, restarts those whose identifier changed, stops the rest. */
  async sync(wanted: readonly DhcpClientRequest[]): Promise<void> {
    if (this.closed) {
      return;
    }
    await this.prepare();
    const byKey = new Map(wanted.map((r) => [clientKey(r), r]));
    const stops: Promise<void>[] = [];
    for (const [key, c] of this.clients) {
      const want = byKey.get(key);
      if (want === undefined || want.identifier !== c.request.identifier) {
        stops.push(this.stopClient(key));
      }
    }
    for (const key of this.restarts.keys()) {
      if (!byKey.has(key)) {
        clearTimeout(this.restarts.get(key));
        this.restarts.delete(key);
      }
    }
    await Promise.all(stops);
    for (const [key, r] of byKey) {
      if (!this.clients.has(key) && !this.restarts.has(key)) {
        await this.startClient(r);
      }
    }
  }

  /** Ends every client (by pid) and stops watching; leases are forgotten. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.restarts.values()) {
      clearTimeout(t);
    }
    this.restarts.clear();
    await Promise.all([...this.clients.keys()].map((k) => this.stopClient(k)));
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Folder, script, an empty report folder (a report of an earlier run proves nothing), watch. */
  private prepare(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.options.dir, { recursive: true, mode: 0o700 });
      await rm(this.reportDir, { recursive: true, force: true });
      await mkdir(this.reportDir, { recursive: true, mode: 0o700 });
      await writeFile(this.scriptPath, dhclientScript(this.reportDir), { mode: 0o700 });
      await chmod(this.scriptPath, 0o700);
      this.watcher = watch(this.reportDir, () => void this.readReports());
    })();
    return this.ready;
  }

  private files(key: string): { conf: string; lease: string; pid: string } {
    const base = join(this.options.dir, key.replace(' ', '.'));
    return { conf: `${base}.conf`, lease: `${base}.leases`, pid: `${base}.pid` };
  }

  private async startClient(request: DhcpClientRequest): Promise<void> {
    const key = clientKey(request);
    const files = this.files(key);
    await writeFile(files.conf, dhclientConfig(request), { mode: 0o600 });
    const dhclient = this.options.dhclient ?? DHCLIENT;
    const args = [
      '-d',
      `-${request.family}`,
      '-cf',
      files.conf,
      '-lf',
      files.lease,
      '-pf',
      files.pid,
      '-sf',
      this.scriptPath,
      request.device,
    ];
    const ns = this.options.namespace;
    // `ip netns exec` execs dhclient, so the child's pid is dhclient's own.
    const child =
      ns === ''
        ? spawn(dhclient, args, { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn('ip', ['netns', 'exec', ns, dhclient, ...args], {
            stdio: ['ignore', 'pipe', 'pipe'],
          });
    let exit: () => void = () => undefined;
    const running: Running = {
      request,
      child,
      exited: new Promise<void>((resolve) => (exit = resolve)),
      stopping: false,
      output: '',
    };
    const keep = (d: string): void => {
      running.output = (running.output + d).slice(-2_000);
    };
    child.stdout?.setEncoding('utf8').on('data', keep);
    child.stderr?.setEncoding('utf8').on('data', keep);
    child.on('error', (err) => {
      keep(`\n${errorMessage(err)}`);
    });
    child.on('close', (code, signal) => {
      exit();
      if (this.clients.get(key) === running) {
        this.clients.delete(key);
      }
      if (running.stopping || this.closed) {
        return;
      }
      const last = running.output.trim().split('\n').slice(-3).join(' | ');
      const delay = this.options.restartDelayMs ?? 2_000;
      this.options.logger.warn(
        `dhclient for ${key} exited (${code ?? signal}) on its own; starting it again in ${delay} ms: ${last}`,
        { device: request.device, family: request.family },
      );
      this.restarts.set(
        key,
        setTimeout(() => {
          this.restarts.delete(key);
          if (!this.closed) {
            void this.startClient(request).catch((err: unknown) =>
              this.options.logger.error(`restarting dhclient for ${key}: ${errorMessage(err)}`),
            );
          }
        }, delay),
      );
    });
    this.clients.set(key, running);
    this.options.logger.info(`started dhclient for ${key}`, {
      pid: child.pid ?? -1,
      identifier: request.identifier,
      namespace: ns,
    });
  }

  private async stopClient(key: string): Promise<void> {
    const c = this.clients.get(key);
    if (c === undefined) {
      return;
    }
    c.stopping = true;
    this.clients.delete(key);
    if (c.child.exitCode === null && c.child.signalCode === null) {
      c.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const lingered = await Promise.race([
        c.exited.then(() => false),
        new Promise<boolean>(
          (resolve) => (timer = setTimeout(() => resolve(true), this.options.stopGraceMs ?? 2_000)),
        ),
      ]);
      clearTimeout(timer);
      if (lingered) {
        c.child.kill('SIGKILL');
        await c.exited;
      }
    }
    this.options.logger.info(`stopped dhclient for ${key}`, { pid: c.child.pid ?? -1 });
    // The lease is no longer held by anyone the agent runs: it must not be plumbed.
    await rm(join(this.reportDir, reportFileName(c.request.device, c.request.family)), {
      force: true,
    });
    if (this.leases.delete(key)) {
      this.notify();
    }
  }

  /** Re-reads every report; notifies when the leases differ from what was known. */
  private async readReports(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.reportDir);
    } catch {
      return; // closed or removed meanwhile
    }
    const next = new Map<string, Lease>();
    for (const name of names) {
      const of = reportFileOf(name);
      if (of === undefined || !this.clients.has(clientKey(of))) {
        continue;
      }
      const text = await readFile(join(this.reportDir, name), 'utf8').catch(() => '');
      const lease = parseLeaseReport(of.device, of.family, text);
      if (lease !== undefined) {
        next.set(clientKey(of), lease);
      }
    }
    const same =
      next.size === this.leases.size &&
      [...next].every(([k, l]) => JSON.stringify(this.leases.get(k)) === JSON.stringify(l));
    if (same) {
      return;
    }
    this.leases.clear();
    next.forEach((l, k) => this.leases.set(k, l));
    this.options.logger.info('DHCP leases changed', {
      leases: [...next.values()].map((l) => `${l.device} ${l.ip}/${l.prefixLength}`).join(', '),
    });
    this.notify();
  }

  private notify(): void {
    for (const l of [...this.listeners]) {
      l();
    }
  }
}
