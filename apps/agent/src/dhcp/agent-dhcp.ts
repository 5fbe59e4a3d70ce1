import { join } from 'node:path';
import type { DataplaneDriver } from '@vsnet/dataplane';
import type { AgentConfig } from '../config.js';
import { ConfigError } from '../config.js';
import type { Logger } from '../logger.js';
import type { SpecCache } from '../spec-cache.js';
import { bootstrapFromDhcp } from './bootstrap.js';
import { DhcpClients } from './dhcp-clients.js';
import { DhcpAddressMode } from './dhcp-mode.js';

/** The agent's DHCP side once started: the filer's name, the address mode, and its end. */
export interface AgentDhcp {
  /** VSNET_FILER, or the name the vendor options (or the cached spec) gave in bootstrap mode. */
  readonly filer: string;
  readonly leases: DhcpAddressMode;
  /** Ends every DHCP client the agent runs (the filer's and the vsvrs'), by pid. */
  close(): Promise<void>;
}

/**
 * Sets up the agent's DHCP clients (in `<state dir>/dhcp`, in the filer's namespace; a vsvr's
 * in `<state dir>/dhcp/vsvr/<namespace>`, in the vsvr's namespace) and, in
 * bootstrap mode with no cached spec, builds the filer's interfaces from the DHCP vendor
 * options first (bootstrap.ts). A bootstrap that fails or is aborted ends its clients.
 */
export async function startAgentDhcp(
  config: AgentConfig,
  driver: DataplaneDriver,
  cache: SpecCache,
  logger: Logger,
  signal?: AbortSignal,
  dhclient?: string,
): Promise<AgentDhcp> {
  const clients = new DhcpClients({
    dir: join(config.stateDir, 'dhcp'),
    namespace: config.filerNamespace,
    logger,
    ...(dhclient !== undefined ? { dhclient } : {}),
  });
  let filer = config.filer;
  const bootstrap = config.bootstrap;
  if (bootstrap !== undefined) {
    const cached = await cache.read();
    if (cached !== undefined) {
      filer ||= cached.spec.filer.toLowerCase();
      logger.info('bootstrap mode, but a cached spec exists: starting from it', { filer });
    } else {
      try {
        const built = await bootstrapFromDhcp({
          clusterMac: bootstrap.clusterMac,
          driver,
          clients,
          logger,
          ...(signal !== undefined ? { signal } : {}),
        });
        const learned = built.filer.toLowerCase();
        if (filer !== '' && filer !== learned) {
          throw new ConfigError(
            `VSNET_FILER=${filer}, but the DHCP server describes this filer's ports as filer ${built.filer}; unset VSNET_FILER or correct the cluster document`,
          );
        }
        filer = learned;
      } catch (err) {
        await clients.close();
        throw err;
      }
    }
  }
  // A vsvr's clients run in its namespace, with their files in a folder of their own: report
  // files are named by device, and every vsvr has a data0.
  const leases = new DhcpAddressMode(
    clients,
    (namespace) =>
      new DhcpClients({
        dir: join(config.stateDir, 'dhcp', 'vsvr', namespace),
        namespace: config.namespacePrefix + namespace,
        logger,
        ...(dhclient !== undefined ? { dhclient } : {}),
      }),
  );
  return { filer, leases, close: () => leases.close() };
}
