import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DhcpServerSpec, NodeSpec } from '@vsnet/model';
import type { Logger } from '../logger.js';
import { KeaProcess } from './kea-process.js';

/** What the agent runs for a spec, beside the kernel state: the internal DHCP server. */
export interface NodeServices {
  /** Makes the running services match the spec; throws with one line on what failed. */
  reconcile(spec: NodeSpec): Promise<void>;
  /** Ends every process started; the agent is stopping. */
  stop(): Promise<void>;
}

interface Running {
  /** The namespace as the agent names it (its prefix included). */
  readonly namespace: string;
  readonly hash: string;
  /** The DHCPv6 server runs only while the spec has a kea6 configuration. */
  readonly kea6: boolean;
}

/**
 * The internal DHCP server (ARCHITECTURE.md §7, `cluster.dhcp: internal`): Kea in vs_mgmt's
 * namespace while the spec says this filer hosts it. Level-based like the reconciler: each
 * call compares the spec's server (namespace, configuration hash) with what runs — and whether
 * it still runs — and starts, reloads (`config-reload` on Kea's control socket) or stops.
 * vs_mgmt moving to another namespace or filer is a stop here and a start there.
 */
export class DhcpServerService implements NodeServices {
  private readonly dir: string;
  private readonly kea4: KeaProcess;
  private readonly kea6: KeaProcess;
  private running: Running | undefined;
  private leftoversEnded = false;

  constructor(
    stateDir: string,
    private readonly namespacePrefix: string,
    private readonly logger: Logger,
  ) {
    const dir = join(stateDir, 'dhcp-server');
    this.dir = dir;
    this.kea4 = new KeaProcess(4, dir);
    this.kea6 = new KeaProcess(6, dir);
  }

  async reconcile(spec: NodeSpec): Promise<void> {
    await this.endLeftovers();
    const wanted = spec.dhcpServer;
    if (wanted === undefined) {
      if (this.running !== undefined) {
        this.logger.info('stopping the internal DHCP server: this filer no longer hosts vs_mgmt', {
          namespace: this.running.namespace,
        });
      }
      await this.stop();
      return;
    }
    const namespace = this.namespacePrefix + wanted.namespace;
    const current = this.running;
    const dead =
      current !== undefined &&
      (this.kea4.pid === undefined || (current.kea6 && this.kea6.pid === undefined));
    if (current === undefined || current.namespace !== namespace || dead) {
      if (dead) {
        this.logger.warn('the internal DHCP server had exited; starting it again', { namespace });
      }
      await this.stop();
      await this.start(namespace, wanted);
      return;
    }
    if (current.hash !== wanted.hash || current.kea6 !== (wanted.kea6 !== '')) {
      await this.reload(namespace, wanted);
    }
  }

  async stop(): Promise<void> {
    this.running = undefined;
    await Promise.all([this.kea4.stop(), this.kea6.stop()]);
  }

  private async start(namespace: string, wanted: DhcpServerSpec): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    try {
      await this.kea4.start(namespace, wanted.kea4);
      if (wanted.kea6 !== '') {
        await this.kea6.start(namespace, wanted.kea6);
      }
    } catch (err) {
      await this.stop();
      throw new Error(`the internal DHCP server did not start: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.running = { namespace, hash: wanted.hash, kea6: wanted.kea6 !== '' };
    this.logger.info('internal DHCP server running', {
      namespace,
      kea4Pid: this.kea4.pid,
      kea6Pid: this.kea6.pid,
      hash: wanted.hash,
    });
  }

  /** New configuration, same namespace: Kea reloads; DHCPv6 starts or stops with its text. */
  private async reload(namespace: string, wanted: DhcpServerSpec): Promise<void> {
    try {
      await this.kea4.reload(wanted.kea4);
      if (wanted.kea6 === '') {
        await this.kea6.stop();
      } else if (this.kea6.pid === undefined) {
        await this.kea6.start(namespace, wanted.kea6);
      } else {
        await this.kea6.reload(wanted.kea6);
      }
    } catch (err) {
      // A server left on its old configuration would hand out what the cluster no longer says.
      await this.stop();
      throw new Error(
        `the internal DHCP server could not load its new configuration and was stopped: ${(err as Error).message}`,
        { cause: err },
      );
    }
    this.running = { namespace, hash: wanted.hash, kea6: wanted.kea6 !== '' };
    this.logger.info('internal DHCP server reloaded', { namespace, hash: wanted.hash });
  }

  /** Once per agent: a Kea a crashed agent left behind holds the sockets and the lock. */
  private async endLeftovers(): Promise<void> {
    if (this.leftoversEnded) {
      return;
    }
    this.leftoversEnded = true;
    await Promise.all([this.kea4.endLeftover(), this.kea6.endLeftover()]);
  }
}
