import { createHash } from 'node:crypto';
import { contains, parseCidr, parseIp } from '@vsnet/model';
import type {
  ChangeAction,
  DesiredLink,
  LinkAttributeChange,
  KernelChange,
  ObservedAddress,
  ObservedLink,
  ObservedRoute,
  ObservedRule,
  ObservedState,
} from '../driver.js';
import { addressKey, FILER_NAMESPACE, linkKey, routeKey, ruleKey } from '../kernel-objects.js';

/** Thrown by {@link MemoryKernel.apply} with the message the real kernel would give. */
export class MemoryKernelError extends Error {}

/**
 * An in-memory kernel: namespaces, links, addresses, routes and rules, with the checks the
 * real one makes that matter to plan order (a namespace or lower must exist, a name or address
 * must be free, a macvlan's MTU fits its lower, a gateway is on a connected subnet of an up
 * link) and its cascades (a deleted namespace or link takes what was on it; a deleted bond
 * releases its members).
 */
export class MemoryKernel {
  private readonly namespaces = new Set<string>();
  private readonly links = new Map<string, ObservedLink>();
  private readonly addresses = new Map<string, ObservedAddress>();
  private readonly routes = new Map<string, ObservedRoute>();
  private readonly rules = new Map<string, ObservedRule>();

  /**
   * @param physicalLinks the filer's NICs; `undefined` means any physical link a plan
   *   configures exists (a simulated filer has the NICs its spec names).
   */
  constructor(private readonly physicalLinks?: readonly string[]) {
    for (const name of physicalLinks ?? []) {
      this.putLink(physical(FILER_NAMESPACE, name));
    }
  }

  /** A kernel holding exactly `state` (the linux driver's view between two reads). */
  static of(state: ObservedState): MemoryKernel {
    const kernel = new MemoryKernel([]);
    state.namespaces.forEach((n) => kernel.namespaces.add(n));
    state.links.forEach((l) => kernel.putLink(l));
    state.addresses.forEach((a) => kernel.addresses.set(addressKey(a), a));
    state.routes.forEach((r) => kernel.routes.set(routeKey(r), r));
    state.rules.forEach((r) => kernel.rules.set(ruleKey(r), r));
    return kernel;
  }

  /** Adds the NICs a spec names, when the kernel was built without a fixed list. */
  ensurePhysicalLinks(names: readonly string[]): void {
    if (this.physicalLinks !== undefined) {
      return;
    }
    for (const name of names) {
      if (!this.links.has(linkKey({ namespace: FILER_NAMESPACE, name }))) {
        this.putLink(physical(FILER_NAMESPACE, name));
      }
    }
  }

  snapshot(): ObservedState {
    return {
      namespaces: [...this.namespaces].sort(),
      links: [...this.links.values()],
      addresses: [...this.addresses.values()],
      routes: [...this.routes.values()],
      rules: [...this.rules.values()],
    };
  }

  apply(change: KernelChange): void {
    switch (change.object) {
      case 'namespace':
        return change.action === 'remove'
          ? this.removeNamespace(change.name)
          : this.addNamespace(change.name);
      case 'sysctl':
        return this.requireNamespace(change.settings.namespace);
      case 'link':
        return this.applyLink(change.action, change.link, change.set ?? {});
      case 'address':
        return this.applyKeyed(
          this.addresses,
          addressKey(change.address),
          change.action,
          change.address,
          () => this.requireLink(change.address.namespace, change.address.dev),
        );
      case 'route':
        return this.applyKeyed(
          this.routes,
          routeKey(change.route),
          change.action,
          change.route,
          () => this.checkRoute(change.route),
        );
      case 'rule':
        return this.applyKeyed(
          this.rules,
          ruleKey(change.rule),
          change.action,
          change.rule,
          () => undefined,
        );
    }
  }

  private addNamespace(name: string): void {
    if (this.namespaces.has(name)) {
      throw new MemoryKernelError(`Cannot create namespace file "/run/netns/${name}": File exists`);
    }
    this.namespaces.add(name);
    this.putLink({
      ...physical(name, 'lo'),
      kind: 'loopback',
      mtu: 65536,
      mac: '00:00:00:00:00:00',
    });
  }

  private removeNamespace(name: string): void {
    this.requireNamespace(name);
    this.namespaces.delete(name);
    for (const l of [...this.links.values()].filter((l) => l.namespace === name)) {
      this.removeLink(l);
    }
  }

  private applyLink(action: ChangeAction, want: DesiredLink, set: LinkAttributeChange): void {
    this.requireNamespace(want.namespace);
    const current = this.links.get(linkKey(want));
    if (action === 'remove') {
      return this.removeLink(current ?? this.requireLink(want.namespace, want.name));
    }
    const lower =
      want.lower !== undefined
        ? this.requireLink(want.lowerNamespace ?? want.namespace, want.lower)
        : undefined;
    const mtu = action === 'create' ? want.mtu : set.mtu;
    if (mtu !== undefined && lower !== undefined && mtu > lower.mtu) {
      throw new MemoryKernelError('Error: mtu greater than device maximum.');
    }
    if (action === 'create') {
      if (current !== undefined) {
        throw new MemoryKernelError('RTNETLINK answers: File exists');
      }
      if (want.bond?.primary !== undefined) {
        this.requireLink(want.namespace, want.bond.primary);
      }
      this.putLink({
        namespace: want.namespace,
        name: want.name,
        kind: want.kind,
        mtu: want.mtu ?? lower?.mtu ?? 1500,
        mac: want.mac ?? derivedMac(want.namespace, want.name),
        up: false,
        ...(want.lower !== undefined ? { lower: want.lower } : {}),
        ...(want.lowerNamespace !== undefined && want.lowerNamespace !== want.namespace
          ? { lowerNamespace: want.lowerNamespace }
          : {}),
        ...(want.tag !== undefined ? { tag: want.tag } : {}),
        ...(want.kind === 'macvlan'
          ? { mode: 'bridge' }
          : want.bond
            ? { mode: want.bond.mode }
            : {}),
      });
      return;
    }
    const link = current;
    if (link === undefined) {
      throw new MemoryKernelError(`Cannot find device "${want.name}"`);
    }
    if (set.master) {
      this.requireLink(want.namespace, set.master);
    }
    const { master, ...rest } = { ...link, ...set };
    this.putLink({ ...rest, ...(master ? { master } : {}) });
  }

  private removeLink(link: ObservedLink): void {
    this.links.delete(linkKey(link));
    const on = (o: { namespace: string; dev: string }): boolean =>
      o.namespace === link.namespace && o.dev === link.name;
    deleteWhere(this.addresses, on);
    deleteWhere(this.routes, on);
    // A deleted bond releases its members.
    for (const member of [...this.links.values()]) {
      if (member.namespace === link.namespace && member.master === link.name) {
        const released: { -readonly [K in keyof ObservedLink]: ObservedLink[K] } = { ...member };
        delete released.master;
        this.putLink(released);
      }
    }
    for (const upper of [...this.links.values()]) {
      if (
        upper.lower === link.name &&
        (upper.lowerNamespace ?? upper.namespace) === link.namespace
      ) {
        this.removeLink(upper);
      }
    }
  }

  private applyKeyed<T>(
    map: Map<string, T>,
    key: string,
    action: 'create' | 'change' | 'remove',
    value: T & { readonly namespace: string },
    check: () => unknown,
  ): void {
    if (value.namespace !== FILER_NAMESPACE) {
      this.requireNamespace(value.namespace);
    }
    if (action === 'remove') {
      if (!map.delete(key)) {
        throw new MemoryKernelError('RTNETLINK answers: No such process');
      }
      return;
    }
    if (action === 'create' && map.has(key) && map !== (this.routes as Map<string, unknown>)) {
      throw new MemoryKernelError('RTNETLINK answers: File exists');
    }
    check();
    map.set(key, value);
  }

  private checkRoute(r: ObservedRoute): void {
    if (r.dev === '') {
      return;
    }
    const dev = this.requireLink(r.namespace, r.dev);
    if (!dev.up) {
      throw new MemoryKernelError('Error: Nexthop device is not up.');
    }
    const via = r.via !== undefined ? parseIp(r.via) : undefined;
    if (via?.ok === true && !via.value.ip.startsWith('fe80:')) {
      const connected = [...this.addresses.values()].some((a) => {
        if (a.namespace !== r.namespace || a.dev !== r.dev) {
          return false;
        }
        const c = parseCidr(a.address);
        return c.ok && contains(c.value, via.value);
      });
      if (!connected) {
        throw new MemoryKernelError('Error: Nexthop has invalid gateway.');
      }
    }
  }

  private requireNamespace(name: string): void {
    if (name !== FILER_NAMESPACE && !this.namespaces.has(name)) {
      throw new MemoryKernelError(
        `Cannot open network namespace "${name}": No such file or directory`,
      );
    }
  }

  private requireLink(namespace: string, name: string): ObservedLink {
    const link = this.links.get(linkKey({ namespace, name }));
    if (link === undefined) {
      throw new MemoryKernelError(`Cannot find device "${name}"`);
    }
    return link;
  }

  private putLink(link: ObservedLink): void {
    this.links.set(linkKey(link), link);
  }
}

function physical(namespace: string, name: string): ObservedLink {
  return {
    namespace,
    name,
    kind: 'physical',
    mtu: 1500,
    mac: derivedMac(namespace, name),
    up: false,
  };
}

/** A stable, locally administered MAC for links created without one. */
function derivedMac(namespace: string, name: string): string {
  const b = createHash('sha256').update(`${namespace}|${name}`).digest().subarray(0, 6);
  b[0] = ((b[0] ?? 0) & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function deleteWhere<T>(map: Map<string, T>, match: (t: T) => boolean): void {
  for (const [k, v] of [...map]) {
    if (match(v)) {
      map.delete(k);
    }
  }
}
