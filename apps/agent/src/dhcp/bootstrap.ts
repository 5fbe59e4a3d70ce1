import type { DataplaneDriver } from '@vsnet/dataplane';
import type { InterfaceDefinitions } from '@vsnet/dhcp';
import { decodeInterfaceDefinitions, portIdentifier } from '@vsnet/dhcp';
import type { AliasSpec, NodeSpec } from '@vsnet/model';
import { filerIdentifier } from '@vsnet/model';
import { discoverInterfaces } from '../join.js';
import type { Logger } from '../logger.js';
import { errorMessage } from '../logger.js';
import type { DhcpClients } from './dhcp-clients.js';
import type { Lease } from './lease-report.js';

export interface BootstrapOptions {
  /** The cluster MAC (§5.2.4), lower case: the first half of every identifier. */
  readonly clusterMac: string;
  readonly driver: DataplaneDriver;
  readonly clients: DhcpClients;
  readonly logger: Logger;
  /** Ends the bootstrap (the agent is stopping); it then rejects. */
  readonly signal?: AbortSignal;
  /**
   * Once one mgmt alias has its address, how long to wait for the others before going on
   * (default 5 s); they keep their clients and are plumbed by the first spec from control.
   */
  readonly othersTimeoutMs?: number;
}

/** What a bootstrap built: the filer's name as the cluster knows it, and the spec it plumbed. */
export interface Bootstrapped {
  readonly filer: string;
  readonly cluster: string;
  readonly spec: NodeSpec;
  /** The port whose DHCP answer carried the definitions. */
  readonly port: string;
}

/** Policy-routing table bases of decision 0003 (mgmtN → 1000000 + N·10000 + tag). */
const TABLE_BASE = { mgmt: 1_000_000, san: 2_000_000 } as const;

function tableOf(alias: AliasSpec): number {
  if (alias.kind === 'data') {
    return 0;
  }
  const instance = Number(/\d+/.exec(alias.name)?.[0] ?? 0);
  return TABLE_BASE[alias.kind] + instance * 10_000 + (alias.tag ?? 0);
}

/**
 * The spec a bootstrap plumbs: the stack of the vendor options (links and aliases), and the
 * mgmt aliases' IPv4 leases as `dhcp` addresses in their alias tables, with the DHCP routers
 * as the tables' default routes. Its hash is empty: it is no generation of the cluster.
 */
export function bootstrapSpec(
  defs: InterfaceDefinitions,
  clusterMac: string,
  leases: readonly Lease[],
): NodeSpec {
  const aliases = new Map(defs.stack.aliases.map((a) => [a.name, a]));
  const owned = leases.flatMap((l) => {
    const alias = aliases.get(l.device);
    return alias === undefined ? [] : [{ lease: l, alias, table: tableOf(alias) }];
  });
  return {
    specVersion: 1,
    cluster: { name: defs.cluster, mac: clusterMac },
    filer: defs.filer,
    links: defs.stack.links,
    aliases: defs.stack.aliases,
    addresses: owned.map(({ lease, alias, table }) => ({
      alias: alias.name,
      address: `${lease.ip}/${lease.prefixLength}`,
      mode: 'dhcp' as const,
      identifier: filerIdentifier(clusterMac, alias.name, defs.filer),
      table,
    })),
    aliasRoutes: owned
      .filter(({ lease }) => lease.routers.length > 0)
      .map(({ lease, alias, table }) => ({
        alias: alias.name,
        table,
        routes: [{ to: '0.0.0.0/0', via: lease.routers[0] ?? '', from: 'dhcp' }],
      })),
    vsvrs: [],
    mysqlNodes: [],
    hash: '',
  };
}

/** Resolves with the first defined `test()`, checked now and at every lease change. */
function whenLeases<T>(
  clients: DhcpClients,
  test: () => T | undefined,
  signal: AbortSignal | undefined,
  timeoutMs?: number,
): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      off();
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(new Error('the agent stopped during the DHCP bootstrap'));
    };
    const check = (): void => {
      const found = test();
      if (found !== undefined) {
        done();
        resolve(found);
      }
    };
    const off = clients.onChange(check);
    if (signal?.aborted === true) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        done();
        resolve(undefined);
      }, timeoutMs);
    }
    check();
  });
}

async function plumb(driver: DataplaneDriver, spec: NodeSpec): Promise<void> {
  const plan = driver.plan(spec, await driver.inspect());
  const report = plan.operations.length === 0 ? { items: [] } : await driver.apply(plan);
  const failed = report.items.filter((i) => i.status === 'failed');
  const drift = await driver.verify(spec);
  if (failed.length > 0 || drift.length > 0) {
    const first = failed[0] ?? drift[0];
    throw new Error(
      `building the interfaces the DHCP server described failed (${failed.length} item(s) failed, ${drift.length} difference(s); first: ${first?.item ?? ''})`,
    );
  }
}

/**
 * Bootstrap mode (§5.2.6.2): a new filer knows its cluster MAC and its ports' MACs only. It
 * asks DHCPv4 down every physical port (any may carry management) with `<cluster MAC>:<port
 * MAC>`, decodes the interface definitions of option 43 from the first answer that has them,
 * builds that stack with the driver, then runs a DHCPv4 client per mgmt alias with the alias's
 * own identifier and plumbs the leased addresses. The port clients are stopped; the mgmt
 * clients keep running (the first spec from control takes them over). Waits for a server as
 * long as it takes, until `signal` aborts.
 */
export async function bootstrapFromDhcp(options: BootstrapOptions): Promise<Bootstrapped> {
  const { clusterMac, driver, clients, logger, signal } = options;
  const ports = await discoverInterfaces(driver);
  if (ports.length === 0) {
    throw new Error(
      'found no eth# port with a MAC in the filer namespace to ask DHCP on; check VSNET_AGENT_FILER_NAMESPACE',
    );
  }
  logger.info('bootstrap: asking DHCPv4 for the interface definitions on every port', {
    ports: ports.map((p) => p.name).join(','),
    clusterMac,
  });
  await clients.sync(
    ports.map((p) => ({
      device: p.name,
      family: 4 as const,
      identifier: portIdentifier(clusterMac, p.mac),
    })),
  );
  const refused = new Set<string>();
  const found = await whenLeases(
    clients,
    () => {
      for (const p of ports) {
        const lease = clients.lease(p.name, 4);
        if (lease?.vendorOptions === undefined) {
          continue;
        }
        try {
          return { port: p.name, defs: decodeInterfaceDefinitions(lease.vendorOptions) };
        } catch (err) {
          if (!refused.has(p.name)) {
            refused.add(p.name);
            logger.warn(`bootstrap: option 43 on ${p.name} is not usable: ${errorMessage(err)}`);
          }
        }
      }
      return undefined;
    },
    signal,
  );
  if (found === undefined) {
    throw new Error('the DHCP bootstrap ended without interface definitions');
  }
  const { port, defs } = found;
  logger.info('bootstrap: interface definitions received', {
    port,
    cluster: defs.cluster,
    filer: defs.filer,
    links: defs.stack.links.length,
    aliases: defs.stack.aliases.length,
  });
  await clients.sync([]);
  await plumb(driver, bootstrapSpec(defs, clusterMac, []));

  const mgmt = defs.stack.aliases.filter((a) => a.kind === 'mgmt');
  await clients.sync(
    mgmt.map((a) => ({
      device: a.name,
      family: 4 as const,
      identifier: filerIdentifier(clusterMac, a.name, defs.filer),
    })),
  );
  const leased = (): Lease[] =>
    mgmt.flatMap((a) => {
      const l = clients.lease(a.name, 4);
      return l === undefined ? [] : [l];
    });
  // Every mgmt alias leased; or, once one is, whatever came within othersTimeoutMs.
  await whenLeases(clients, () => (leased().length > 0 ? true : undefined), signal);
  await whenLeases(
    clients,
    () => (leased().length === mgmt.length ? true : undefined),
    signal,
    options.othersTimeoutMs ?? 5_000,
  );
  const spec = bootstrapSpec(defs, clusterMac, leased());
  await plumb(driver, spec);
  logger.info('bootstrap: mgmt aliases up', {
    addresses: spec.addresses.map((a) => `${a.alias} ${a.address}`).join(', '),
  });
  return { filer: defs.filer, cluster: defs.cluster, spec, port };
}
