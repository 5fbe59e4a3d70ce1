import type { RunResult } from '../../../deploy/lab/src/run.js';
import { ipJson, run } from '../../../deploy/lab/src/run.js';

/** Runs a one-shot command inside a namespace (`ip netns exec`), with a timeout. */
export function inNamespace(
  ns: string,
  cmd: string,
  args: readonly string[],
  options: {
    readonly timeoutMs?: number;
    readonly input?: string;
    readonly allowFailure?: boolean;
  } = {},
): Promise<RunResult> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], { timeoutMs: 10_000, ...options });
}

/** One echo request with a one-second wait (IPv4 or IPv6): true when the reply came. */
export async function ping(ns: string, address: string): Promise<boolean> {
  const r = await inNamespace(ns, 'ping', ['-n', '-c1', '-W1', address], {
    timeoutMs: 5_000,
    allowFailure: true,
  });
  return r.code === 0;
}

/** Network namespaces on this machine (names). */
export async function namespaces(): Promise<string[]> {
  return (await ipJson<{ name: string }>(['netns', 'list'])).map((n) => n.name);
}

/** Links of a namespace as `ip -j -d link show` reports them. */
export interface IpLink {
  readonly ifname: string;
  readonly ifindex: number;
  readonly address?: string;
  readonly operstate?: string;
  readonly link?: string;
  readonly linkinfo?: { readonly info_kind?: string };
}

export function links(ns: string): Promise<IpLink[]> {
  return ipJson<IpLink>(['-d', '-n', ns, 'link', 'show']);
}

export interface IpAddressInfo {
  readonly ifname: string;
  readonly addr_info: readonly {
    readonly family: string;
    readonly local: string;
    readonly prefixlen: number;
    readonly scope: string;
  }[];
}

/** Global addresses of a namespace as `dev address/prefix`. */
export async function globalAddresses(ns: string): Promise<string[]> {
  const infos = await ipJson<IpAddressInfo>(['-n', ns, 'address', 'show']);
  return infos.flatMap((i) =>
    i.addr_info
      .filter((a) => a.scope === 'global')
      .map((a) => `${i.ifname} ${a.local}/${a.prefixlen}`),
  );
}

export interface IpRoute {
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly protocol?: string;
  readonly table?: string;
}

/** Routes of the main table (both families) of a namespace: `dst [via gw] dev d`. */
export async function mainRoutes(ns: string): Promise<string[]> {
  const all = [
    ...(await ipJson<IpRoute>(['-4', '-n', ns, 'route', 'show'])),
    ...(await ipJson<IpRoute>(['-6', '-n', ns, 'route', 'show'])),
  ];
  return all
    .filter(
      (r) => !r.dst.startsWith('fe80::') && !r.dst.startsWith('ff00::') && r.dst !== 'multicast',
    )
    .map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`)
    .sort();
}

export interface IpNeighbour {
  readonly dst: string;
  readonly dev: string;
  readonly lladdr?: string;
  readonly state?: readonly string[];
}

/** The IPv4 neighbour (ARP) table of a namespace. */
export function neighbours(ns: string): Promise<IpNeighbour[]> {
  return ipJson<IpNeighbour>(['-4', '-n', ns, 'neigh', 'show']);
}

/** One counter of a namespace's /proc/net/snmp, such as (`Icmp`, `InEchos`). */
export async function snmpCounter(ns: string, group: string, name: string): Promise<number> {
  const { stdout } = await inNamespace(ns, 'cat', ['/proc/net/snmp']);
  const rows = stdout.split('\n').filter((l) => l.startsWith(`${group}: `));
  const [header, values] = rows.map((r) => r.split(/\s+/).slice(1));
  const at = header?.indexOf(name) ?? -1;
  if (!header || !values || at < 0) {
    throw new Error(`no ${group} ${name} in /proc/net/snmp of ${ns}`);
  }
  return Number(values[at]);
}

/**
 * What identifies a namespace's interfaces and addresses: a link recreated gets a new ifindex,
 * so two equal snapshots mean nothing there was replaced, moved or renumbered.
 */
export async function snapshot(ns: string): Promise<string[]> {
  const infos = await ipJson<
    IpAddressInfo & { ifindex: number; address?: string; operstate?: string }
  >(['-n', ns, 'address', 'show']);
  return infos
    .flatMap((i) => [
      `link ${i.ifname} #${i.ifindex} ${i.address ?? ''} ${i.operstate ?? ''}`,
      ...i.addr_info
        .filter((a) => a.scope === 'global')
        .map((a) => `address ${a.local}/${a.prefixlen} on ${i.ifname}`),
    ])
    .sort();
}
