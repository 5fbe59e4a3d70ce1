import type { ObservedAddress, ObservedLink, ObservedRoute, ObservedRule } from '../driver.js';
import { canonicalCidr, DEFAULT_TABLE, LOCAL_TABLE, MAIN_TABLE } from '../kernel-objects.js';

/** `ip -json` objects, as far as vsnet reads them (iproute2 6.1). */
export interface IpLinkJson {
  readonly ifindex: number;
  readonly ifname: string;
  readonly flags?: readonly string[];
  readonly mtu: number;
  readonly address?: string;
  readonly link_type?: string;
  /** Lower device, when it is in the same namespace. */
  readonly link?: string;
  /** Lower device's index and namespace id, when it is in another namespace. */
  readonly link_index?: number;
  readonly link_netnsid?: number;
  readonly master?: string;
  readonly linkinfo?: {
    readonly info_kind?: string;
    readonly info_data?: { readonly mode?: string; readonly id?: number };
  };
}

export interface IpAddrJson {
  readonly ifname: string;
  readonly addr_info?: readonly {
    readonly family: string;
    readonly local: string;
    readonly prefixlen: number;
    readonly scope?: string;
  }[];
}

export interface IpRouteJson {
  readonly type?: string;
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly table?: string;
  readonly protocol?: string;
  readonly metric?: number;
  readonly pref?: string;
}

export interface IpRuleJson {
  readonly priority: number;
  readonly src?: string;
  readonly srclen?: number;
  readonly table?: string;
}

/**
 * Splits what `ip -json -batch` prints (one JSON document per command, back to back) into
 * the documents.
 */
export function splitJsonDocuments(text: string): unknown[] {
  const docs: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') {
        i++;
      } else if (c === '"') {
        inString = false;
      }
      continue;
    }
    if (c === '"') {
      inString = true;
    } else if (c === '[' || c === '{') {
      if (depth++ === 0) {
        start = i;
      }
    } else if ((c === ']' || c === '}') && --depth === 0) {
      docs.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return docs;
}

export function tableId(name: string | undefined): number {
  switch (name) {
    case undefined:
    case 'main':
      return MAIN_TABLE;
    case 'local':
      return LOCAL_TABLE;
    case 'default':
      return DEFAULT_TABLE;
    default:
      return Number(name);
  }
}

/**
 * Links of one namespace. `lowerByIndex` names the filer's links by ifindex: a vsvr's macvlan
 * reports its lower (in the filer namespace) only as an index and a namespace id.
 */
export function toLinks(
  namespace: string,
  json: readonly IpLinkJson[],
  lowerByIndex: ReadonlyMap<number, string>,
): ObservedLink[] {
  return json.map((l) => {
    const kind = l.linkinfo?.info_kind ?? (l.link_type === 'loopback' ? 'loopback' : 'physical');
    const data = l.linkinfo?.info_data;
    const foreignLower =
      kind === 'macvlan' &&
      l.link === undefined &&
      l.link_netnsid !== undefined &&
      l.link_index !== undefined
        ? lowerByIndex.get(l.link_index)
        : undefined;
    const lower = l.link ?? foreignLower;
    return {
      namespace,
      name: l.ifname,
      kind,
      mtu: l.mtu,
      mac: l.address ?? '',
      up: l.flags?.includes('UP') ?? false,
      ...(lower !== undefined && kind !== 'veth' ? { lower } : {}),
      ...(foreignLower !== undefined ? { lowerNamespace: '' } : {}),
      ...(l.master !== undefined ? { master: l.master } : {}),
      ...(kind === 'vlan' && data?.id !== undefined ? { tag: data.id } : {}),
      ...((kind === 'macvlan' || kind === 'bond') && data?.mode !== undefined
        ? { mode: data.mode }
        : {}),
    };
  });
}

/** Addresses vsnet can own: not host-scoped (lo) and not link-local. */
export function toAddresses(namespace: string, json: readonly IpAddrJson[]): ObservedAddress[] {
  return json.flatMap((l) =>
    (l.addr_info ?? [])
      .filter((a) => a.scope !== 'host' && a.scope !== 'link')
      .map((a) => ({
        namespace,
        dev: l.ifname,
        address: canonicalCidr(`${a.local}/${a.prefixlen}`),
      })),
  );
}

/** Routes vsnet can own: unicast, not made by the kernel, not in the local table. */
export function toRoutes(namespace: string, json: readonly IpRouteJson[]): ObservedRoute[] {
  return json
    .filter(
      (r) => (r.type ?? 'unicast') === 'unicast' && r.protocol !== 'kernel' && r.table !== 'local',
    )
    .map((r) => {
      const ipv6 =
        r.dst.includes(':') || (r.gateway?.includes(':') ?? false) || r.pref !== undefined;
      return {
        namespace,
        table: tableId(r.table),
        to: r.dst === 'default' ? (ipv6 ? '::/0' : '0.0.0.0/0') : canonicalCidr(r.dst),
        dev: r.dev ?? '',
        ...(r.gateway !== undefined ? { via: r.gateway } : {}),
        ...(r.metric !== undefined ? { metric: r.metric } : {}),
      };
    });
}

/** Source rules (`from <prefix> lookup <table>`); `from all` rules are never vsnet's. */
export function toRules(namespace: string, json: readonly IpRuleJson[]): ObservedRule[] {
  return json
    .filter((r) => r.src !== undefined && r.src !== 'all' && r.table !== undefined)
    .map((r) => ({
      namespace,
      priority: r.priority,
      from: canonicalCidr(r.srclen !== undefined ? `${r.src ?? ''}/${r.srclen}` : (r.src ?? '')),
      table: tableId(r.table),
    }));
}
