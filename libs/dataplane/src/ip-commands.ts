import type {
  LinkAttributeChange,
  ObservedAddress,
  ObservedRoute,
  ObservedRule,
} from './driver.js';
import type { DesiredLink } from './kernel-objects.js';
import { familyOf } from './kernel-objects.js';

/**
 * iproute2 batch lines (`ip -batch` syntax, no `ip` and no `-n`): the `command` of every
 * operation. The linux driver feeds them to `ip -n <namespace> -batch -`; the dry-run driver
 * shows them. Names are validated by the model (no spaces), so lines need no quoting.
 */

/** `link add …` for a link that does not exist. MTU and MAC are set at creation. */
export function linkAddCommand(link: DesiredLink): string {
  const attrs = [
    ...(link.mac !== undefined ? ['address', link.mac] : []),
    ...(link.mtu !== undefined ? ['mtu', String(link.mtu)] : []),
  ];
  switch (link.kind) {
    case 'macvlan': {
      // A vsvr's macvlan is created on its lower in the filer namespace directly inside the
      // vsvr namespace: its name never exists in the filer namespace, so many vsvrs can each
      // have a data0.
      const target =
        link.lowerNamespace !== undefined && link.lowerNamespace !== link.namespace
          ? ['netns', link.namespace]
          : [];
      return [
        'link add',
        link.name,
        'link',
        link.lower ?? '',
        ...target,
        ...attrs,
        'type macvlan mode bridge',
      ].join(' ');
    }
    case 'vlan':
      return [
        'link add link',
        link.lower ?? '',
        'name',
        link.name,
        ...attrs,
        'type vlan id',
        String(link.tag ?? 0),
      ].join(' ');
    case 'bond': {
      const b = link.bond;
      return [
        'link add',
        link.name,
        ...attrs,
        'type bond mode',
        b?.mode ?? '802.3ad',
        ...(b?.lacpRate !== undefined ? ['lacp_rate', b.lacpRate] : []),
        'miimon',
        String(b?.miimon ?? 100),
        ...(b?.primary !== undefined ? ['primary', b.primary] : []),
      ].join(' ');
    }
    case 'physical':
    case 'loopback':
      // They cannot be created; configuring them is all there is.
      return linkSetCommand(link.name, {
        ...(link.mtu !== undefined ? { mtu: link.mtu } : {}),
        up: link.up,
      });
  }
}

/**
 * `link set dev …`: one line, or three when the link joins a bond (a bond takes only members
 * that are down: down, master, then up again if wanted).
 */
export function linkSetCommand(name: string, change: LinkAttributeChange): string {
  const lines: string[] = [];
  if (change.master !== undefined) {
    lines.push(`link set dev ${name} down`);
    lines.push(
      `link set dev ${name} ${change.master === '' ? 'nomaster' : `master ${change.master}`}`,
    );
  }
  const attrs = [
    ...(change.mac !== undefined ? ['address', change.mac] : []),
    ...(change.mtu !== undefined ? ['mtu', String(change.mtu)] : []),
    ...(change.up !== undefined ? [change.up ? 'up' : 'down'] : []),
  ];
  if (attrs.length > 0) {
    lines.push(`link set dev ${name} ${attrs.join(' ')}`);
  }
  return lines.join('\n');
}

export function linkDeleteCommand(name: string): string {
  return `link del dev ${name}`;
}

/** IPv6 addresses get `nodad`: the model proved every address unique in the cluster. */
export function addressAddCommand(a: ObservedAddress): string {
  return `addr add ${a.address} dev ${a.dev}${familyOf(a.address) === 6 ? ' nodad' : ''}`;
}

export function addressDeleteCommand(a: ObservedAddress): string {
  return `addr del ${a.address} dev ${a.dev}`;
}

function routeSelector(r: ObservedRoute): string[] {
  return [
    r.to,
    ...(r.via !== undefined ? ['via', r.via] : []),
    ...(r.dev !== '' ? ['dev', r.dev] : []),
    'table',
    String(r.table),
    ...(r.metric !== undefined ? ['metric', String(r.metric)] : []),
  ];
}

/** `replace`, not `add`: creating and changing a route are the same line, and both idempotent. */
export function routeReplaceCommand(r: ObservedRoute): string {
  return ['route replace', ...routeSelector(r), 'proto static'].join(' ');
}

export function routeDeleteCommand(r: ObservedRoute): string {
  return ['route del', ...routeSelector(r)].join(' ');
}

export function ruleAddCommand(r: ObservedRule): string {
  return `rule add from ${r.from} table ${r.table} priority ${r.priority}`;
}

export function ruleDeleteCommand(r: ObservedRule): string {
  return `rule del from ${r.from} table ${r.table} priority ${r.priority}`;
}

/** Lines for `ip -batch -` in the agent's own namespace (namespaces are not per-namespace). */
export function namespaceAddCommand(name: string): string {
  return `netns add ${name}`;
}

export function namespaceDeleteCommand(name: string): string {
  return `netns del ${name}`;
}

/** Arguments of `sysctl -qw` (not an ip line: the linux driver runs it in the namespace). */
export function sysctlCommand(settings: readonly (readonly [string, string])[]): string {
  return settings.map(([k, v]) => `${k}=${v}`).join(' ');
}
