import type { ObservedAddress, ObservedLink, ObservedRoute, ObservedState } from '../driver.js';
import { FILER_NAMESPACE } from '../kernel-objects.js';
import {
  isVsnetFilerLink,
  isVsnetNamespace,
  isVsnetRulePriority,
  isVsnetTable,
} from '../ownership.js';
import { ipArgs, runIpBatch } from './ip-batch.js';
import type { IpAddrJson, IpLinkJson, IpRouteJson, IpRuleJson } from './ip-json.js';
import { splitJsonDocuments, toAddresses, toLinks, toRoutes, toRules } from './ip-json.js';
import { readNamespaces, type NamespaceRead } from './read-namespaces.js';
import { runProcess } from './run-process.js';

export interface KernelAccess {
  /** The filer's namespace for `ip -n`; '' is the agent's own. */
  readonly filerNamespace: string;
  readonly namespacePrefix: string;
  readonly timeoutMs: number;
  /** How many processes `counters` runs at once across vsvr namespaces. */
  readonly concurrency: number;
}

/** A kernel read or write that could not be done at all (not one failed item). */
export class DataplaneKernelError extends Error {
  override readonly name = 'DataplaneKernelError';
}

/** Names of the vsvr namespaces vsnet owns (`ip -j netns list`). */
export async function listVsvrNamespaces(access: KernelAccess): Promise<string[]> {
  const r = await runProcess('ip', ['-j', 'netns', 'list'], { timeoutMs: access.timeoutMs });
  if (r.code !== 0) {
    throw new DataplaneKernelError(`ip netns list: ${r.spawnError ?? r.stderr.trim()}`);
  }
  const docs = splitJsonDocuments(r.stdout) as { name: string }[][];
  return (docs[0] ?? [])
    .map((n) => n.name)
    .filter((n) => n !== access.filerNamespace && isVsnetNamespace(n, access.namespacePrefix))
    .sort();
}

async function readNamespace(
  netns: string,
  commands: readonly string[],
  timeoutMs: number,
  ipv6 = false,
): Promise<unknown[] | 'gone'> {
  const batch = await runIpBatch({ netns, ipv6, json: true }, commands, timeoutMs);
  if (batch.fatal !== undefined || batch.failures.size > 0) {
    const why = batch.fatal ?? [...batch.failures.values()].join('; ');
    if (netns !== '' && /No such file or directory|Invalid argument/.test(why)) {
      return 'gone';
    }
    throw new DataplaneKernelError(
      `ip ${ipArgs({ netns, ipv6 }, []).join(' ')} ${commands.join(', ')}: ${why}`,
    );
  }
  return splitJsonDocuments(batch.result.stdout);
}

/**
 * A read of the kernel, with the filer's link names by ifindex: a vsvr's macvlan names its lower
 * only by index, so a later read of just that vsvr's namespace resolves it with this map.
 */
export interface KernelRead extends ObservedState {
  readonly filerLinkIndex: ReadonlyMap<number, string>;
}

const VSVR_COMMANDS = ['link show', 'addr show', 'route show table all'];

/** The filer namespace's part of a read (two `ip` processes), with its links by ifindex. */
async function readFiler(access: KernelAccess): Promise<KernelRead> {
  const filer = access.filerNamespace;
  const [filerDocs, filerRules6] = await Promise.all([
    readNamespace(
      filer,
      ['link show', 'addr show', 'route show table all', 'rule show'],
      access.timeoutMs,
    ),
    readNamespace(filer, ['rule show'], access.timeoutMs, true),
  ]);
  if (filerDocs === 'gone' || filerRules6 === 'gone') {
    throw new DataplaneKernelError(
      `filer namespace ${filer} does not exist: create it (ip netns add ${filer}), or set VSNET_AGENT_FILER_NAMESPACE to an existing namespace`,
    );
  }
  const [linkJson, addrJson, routeJson, ruleJson] = filerDocs as [
    IpLinkJson[],
    IpAddrJson[],
    IpRouteJson[],
    IpRuleJson[],
  ];
  const links = toLinks(FILER_NAMESPACE, linkJson ?? [], new Map());
  const owned = new Set(links.filter(isVsnetFilerLink).map((l) => l.name));
  return {
    namespaces: [],
    links,
    addresses: toAddresses(FILER_NAMESPACE, addrJson ?? []).filter((a) => owned.has(a.dev)),
    routes: toRoutes(FILER_NAMESPACE, routeJson ?? []).filter((r) => isVsnetTable(r.table, false)),
    rules: [
      ...toRules(FILER_NAMESPACE, ruleJson ?? []),
      ...toRules(FILER_NAMESPACE, (filerRules6[0] ?? []) as IpRuleJson[]),
    ].filter((r) => isVsnetRulePriority(r.priority)),
    filerLinkIndex: new Map((linkJson ?? []).map((l) => [l.ifindex, l.ifname])),
  };
}

/**
 * The vsvr namespaces' part of a read, `filerLinkIndex` resolving their macvlans' lowers. When
 * `strict`, undefined if a macvlan's lower is not in that map: an index from an earlier read
 * that the filer's links have changed since.
 */
function vsvrPart(
  reads: ReadonlyMap<string, NamespaceRead>,
  filerLinkIndex: ReadonlyMap<number, string>,
  strict: boolean,
): ObservedState | undefined {
  const state = { namespaces: [] as string[], links: [], addresses: [], routes: [] } as {
    namespaces: string[];
    links: ObservedLink[];
    addresses: ObservedAddress[];
    routes: ObservedRoute[];
  };
  for (const [ns, docs] of reads) {
    if (docs === 'gone') {
      continue;
    }
    const [links, addrs, routes] = docs as [IpLinkJson[], IpAddrJson[], IpRouteJson[]];
    const unresolved =
      strict &&
      (links ?? []).some(
        (l) =>
          l.link === undefined &&
          l.link_netnsid !== undefined &&
          l.link_index !== undefined &&
          l.linkinfo?.info_kind === 'macvlan' &&
          !filerLinkIndex.has(l.link_index),
      );
    if (unresolved) {
      return undefined;
    }
    state.namespaces.push(ns);
    state.links.push(...toLinks(ns, links ?? [], filerLinkIndex));
    state.addresses.push(...toAddresses(ns, addrs ?? []));
    state.routes.push(...toRoutes(ns, routes ?? []).filter((r) => isVsnetTable(r.table, true)));
  }
  return { ...state, rules: [] };
}

/** Reads vsvr namespaces: one `ip -n NS -batch` for one, one outer `ip -batch` for several. */
async function readVsvrNamespaces(
  namespaces: readonly string[],
  timeoutMs: number,
): Promise<Map<string, NamespaceRead>> {
  const [only] = namespaces;
  if (namespaces.length === 1 && only !== undefined) {
    return new Map([[only, await readNamespace(only, VSVR_COMMANDS, timeoutMs)]]);
  }
  return readNamespaces(namespaces, VSVR_COMMANDS, timeoutMs).catch((e: unknown) => {
    throw new DataplaneKernelError(e instanceof Error ? e.message : String(e));
  });
}

/**
 * Reads everything vsnet owns (ownership.ts) plus every filer link: the filer namespace
 * (links, addresses, routes of all tables, IPv4 and IPv6 rules: two `ip` processes) and every
 * vsvr namespace (links, addresses, routes; all of them in one outer `ip -batch`).
 */
export async function readKernel(access: KernelAccess): Promise<KernelRead> {
  const [reads, filer] = await Promise.all([
    listVsvrNamespaces(access).then((namespaces) =>
      readNamespaces(namespaces, VSVR_COMMANDS, access.timeoutMs).catch((e: unknown) => {
        throw new DataplaneKernelError(e instanceof Error ? e.message : String(e));
      }),
    ),
    readFiler(access),
  ]);
  const vsvrs = vsvrPart(reads, filer.filerLinkIndex, false) ?? EMPTY;
  return merged(filer, vsvrs, filer.filerLinkIndex);
}

/**
 * Reads only `namespaces` ('' is the filer's), resolving vsvr macvlans' lowers with
 * `filerLinkIndex` from an earlier read unless the filer is among them: what the read holds is
 * everything vsnet owns in those namespaces, nothing of the others. Undefined when a lower
 * cannot be resolved (the filer's links changed since `filerLinkIndex`): read everything then.
 */
export async function readKernelPart(
  access: KernelAccess,
  namespaces: ReadonlySet<string>,
  filerLinkIndex: ReadonlyMap<number, string>,
): Promise<KernelRead | undefined> {
  const vsvrNamespaces = [...namespaces].filter((n) => n !== FILER_NAMESPACE).sort();
  const [reads, filer] = await Promise.all([
    vsvrNamespaces.length === 0
      ? new Map<string, NamespaceRead>()
      : readVsvrNamespaces(vsvrNamespaces, access.timeoutMs),
    namespaces.has(FILER_NAMESPACE) ? readFiler(access) : undefined,
  ]);
  const index = filer?.filerLinkIndex ?? filerLinkIndex;
  const vsvrs = vsvrPart(reads, index, true);
  return vsvrs === undefined ? undefined : merged(filer ?? EMPTY, vsvrs, index);
}

const EMPTY: KernelRead = {
  namespaces: [],
  links: [],
  addresses: [],
  routes: [],
  rules: [],
  filerLinkIndex: new Map(),
};

function merged(
  filer: ObservedState,
  vsvrs: ObservedState,
  filerLinkIndex: ReadonlyMap<number, string>,
): KernelRead {
  return {
    namespaces: vsvrs.namespaces,
    links: [...filer.links, ...vsvrs.links],
    addresses: [...filer.addresses, ...vsvrs.addresses],
    routes: [...filer.routes, ...vsvrs.routes],
    rules: [...filer.rules, ...vsvrs.rules],
    filerLinkIndex,
  };
}
