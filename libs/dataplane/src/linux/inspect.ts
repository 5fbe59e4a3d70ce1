import type { ObservedLink, ObservedState } from '../driver.js';
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
import { readNamespaces } from './read-namespaces.js';
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
 * Reads everything vsnet owns (ownership.ts) plus every filer link: the filer namespace
 * (links, addresses, routes of all tables, IPv4 and IPv6 rules: two `ip` processes) and every
 * vsvr namespace (links, addresses, routes; all of them in one outer `ip -batch`).
 */
export async function readKernel(access: KernelAccess): Promise<ObservedState> {
  const filer = access.filerNamespace;
  const vsvrCommands = ['link show', 'addr show', 'route show table all'];
  const [reads, filerDocs, filerRules6] = await Promise.all([
    listVsvrNamespaces(access).then((namespaces) =>
      readNamespaces(namespaces, vsvrCommands, access.timeoutMs).catch((e: unknown) => {
        throw new DataplaneKernelError(e instanceof Error ? e.message : String(e));
      }),
    ),
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
  const filerLinks = toLinks(FILER_NAMESPACE, linkJson ?? [], new Map());
  const owned = new Set(filerLinks.filter(isVsnetFilerLink).map((l) => l.name));
  const byIndex = new Map((linkJson ?? []).map((l) => [l.ifindex, l.ifname]));

  const present = [...reads].flatMap(([ns, docs]) => (docs === 'gone' ? [] : [{ ns, docs }]));
  const vsvrLinks: ObservedLink[] = [];
  const state = {
    namespaces: present.map((v) => v.ns),
    links: [filerLinks, vsvrLinks],
    addresses: [toAddresses(FILER_NAMESPACE, addrJson ?? []).filter((a) => owned.has(a.dev))],
    routes: [
      toRoutes(FILER_NAMESPACE, routeJson ?? []).filter((r) => isVsnetTable(r.table, false)),
    ],
    rules: [
      [
        ...toRules(FILER_NAMESPACE, ruleJson ?? []),
        ...toRules(FILER_NAMESPACE, (filerRules6[0] ?? []) as IpRuleJson[]),
      ].filter((r) => isVsnetRulePriority(r.priority)),
    ],
  };
  for (const { ns, docs } of present) {
    const [links, addrs, routes] = docs as [IpLinkJson[], IpAddrJson[], IpRouteJson[]];
    vsvrLinks.push(...toLinks(ns, links ?? [], byIndex));
    state.addresses.push(toAddresses(ns, addrs ?? []));
    state.routes.push(toRoutes(ns, routes ?? []).filter((r) => isVsnetTable(r.table, true)));
  }
  return {
    namespaces: state.namespaces,
    links: state.links.flat(),
    addresses: state.addresses.flat(),
    routes: state.routes.flat(),
    rules: state.rules.flat(),
  };
}
