import type { Filer, Interface } from './cluster.js';
import { DEFAULT_MTU } from './cluster.js';
import { isAliasKind } from './names.js';
import type { ProblemList } from './problems.js';

/**
 * One filer's interface hierarchy (§5.2.1-5.2.2), checked and indexed: which interfaces exist,
 * which are consumed by a bond or failover interface, each one's effective MTU and the VLAN
 * tags between it and the wire.
 */
export interface FilerIndex {
  readonly filer: Filer;
  readonly byName: ReadonlyMap<string, Interface>;
  /** Member → the bond or failover interface that consumed it. */
  readonly consumedBy: ReadonlyMap<string, string>;
  readonly mtu: ReadonlyMap<string, number>;
  /** Parents before children: the order an agent creates links in. */
  readonly order: readonly string[];
}

/** True for aliases and VLANs stacked on aliases (`data0.5`): the interfaces that carry addresses. */
export function carriesAddresses(i: Interface): boolean {
  return isAliasKind(i.baseKind);
}

/** What an interface directly depends on: its VLAN parent, its members, or its lower interface. */
export function dependencies(i: Interface): string[] {
  const deps = [...i.members];
  if (i.parent !== undefined) {
    deps.push(i.parent);
  }
  if (i.lower !== undefined) {
    deps.push(i.lower);
  }
  return deps;
}

export function indexFiler(filer: Filer, problems: ProblemList): FilerIndex {
  const byName = new Map<string, Interface>();
  for (const i of filer.interfaces) {
    if (byName.has(i.name)) {
      problems.error(
        'name.duplicate',
        [...i.at, 'name'],
        `${filer.name} lists ${i.name} twice`,
        'remove one of the two entries',
      );
      continue;
    }
    byName.set(i.name, i);
  }
  const consumedBy = new Map<string, string>();
  const where = `of ${filer.name}`;
  for (const i of byName.values()) {
    checkReferences(i, byName, consumedBy, where, problems);
  }
  for (const i of byName.values()) {
    checkConsumers(i, consumedBy, problems);
  }
  const order = topologicalOrder(byName, filer.name, problems);
  const mtu = effectiveMtus(order, byName, problems);
  return { filer, byName, consumedBy, mtu, order };
}

function checkReferences(
  i: Interface,
  byName: ReadonlyMap<string, Interface>,
  consumedBy: Map<string, string>,
  where: string,
  problems: ProblemList,
): void {
  if (i.parent !== undefined && !byName.has(i.parent)) {
    problems.error(
      'interface.unknown',
      [...i.at, 'name'],
      `${i.name} is a VLAN of ${i.parent}, which is not an interface ${where}`,
      `add ${i.parent} to the filer's interfaces`,
    );
  }
  if (i.kind === 'alias' && i.lower !== undefined) {
    const lower = byName.get(i.lower);
    if (!lower) {
      problems.error(
        'interface.unknown',
        [...i.at, 'on'],
        `${i.name} is built on ${i.lower}, which is not an interface ${where}`,
        `add ${i.lower} to the filer's interfaces, or build ${i.name} on one that exists`,
      );
    } else if (carriesAddresses(lower)) {
      problems.error(
        'interface.kind',
        [...i.at, 'on'],
        `${i.name} is built on the alias ${i.lower}; aliases sit on eth#, bond#, fail# or VLAN interfaces`,
        `build ${i.name} on the interface ${i.lower} is built on`,
      );
    }
  }
  if (i.kind !== 'bond' && i.kind !== 'failover') {
    return;
  }
  const word = i.kind === 'bond' ? 'bond' : 'failover interface';
  if (i.members.length < 2) {
    problems.error(
      'interface.members',
      [...i.at, 'members'],
      `${i.name} has ${i.members.length} member${i.members.length === 1 ? '' : 's'}; a ${word} needs at least 2`,
      'list two or more interfaces in members',
    );
  }
  const seen = new Set<string>();
  i.members.forEach((m, k) => {
    const at = [...i.at, 'members', k];
    if (seen.has(m)) {
      problems.error(
        'interface.members',
        at,
        `${i.name} lists ${m} twice`,
        'list each member once',
      );
      return;
    }
    seen.add(m);
    const member = byName.get(m);
    if (!member) {
      problems.error(
        'interface.unknown',
        at,
        `${i.name}'s member ${m} is not an interface ${where}`,
        `add ${m} to the filer's interfaces`,
      );
      return;
    }
    const allowed =
      i.kind === 'bond'
        ? member.kind === 'physical'
        : member.kind !== 'failover' && member.kind !== 'alias' && !carriesAddresses(member);
    if (!allowed) {
      problems.error(
        'interface.members',
        at,
        `${m} cannot be a member of ${i.name}`,
        i.kind === 'bond'
          ? 'a bond aggregates physical interfaces (eth#); to combine bonds or VLANs use a failover interface (fail#)'
          : 'a failover interface is built of eth#, bond# or VLAN interfaces, not of aliases or other failover interfaces',
      );
      return;
    }
    const owner = consumedBy.get(m);
    if (owner !== undefined) {
      problems.error(
        'interface.consumed',
        at,
        `${m} is already a member of ${owner}; an interface joins at most one bond or failover interface`,
        `remove ${m} from ${i.name} or from ${owner}`,
      );
      return;
    }
    consumedBy.set(m, i.name);
  });
  if (i.primary !== undefined && !i.members.includes(i.primary)) {
    problems.error(
      'interface.members',
      [...i.at, 'primary'],
      `${i.name}'s primary ${i.primary} is not one of its members`,
      `choose one of ${i.members.join(', ')}`,
    );
  }
}

/** §5.2.2: a member of a higher interface carries no address and is used for nothing else. */
function checkConsumers(
  i: Interface,
  consumedBy: ReadonlyMap<string, string>,
  problems: ProblemList,
): void {
  const check = (target: string | undefined, field: string, role: string): void => {
    const owner = target === undefined ? undefined : consumedBy.get(target);
    if (target !== undefined && owner !== undefined) {
      problems.error(
        'interface.consumed',
        [...i.at, field],
        `${i.name} is ${role} ${target}, but ${target} is a member of ${owner} and can no longer be used directly`,
        `build ${i.name} on ${owner} (or a VLAN of it) instead`,
      );
    }
  };
  check(i.parent, 'name', 'a VLAN of');
  check(i.lower, 'on', 'built on');
}

function topologicalOrder(
  byName: ReadonlyMap<string, Interface>,
  filer: string,
  problems: ProblemList,
): string[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const visit = (name: string, trail: string[]): void => {
    const i = byName.get(name);
    const s = state.get(name);
    if (!i || s === 'done') {
      return;
    }
    if (s === 'visiting') {
      const loop = [...trail.slice(trail.indexOf(name)), name].join(' → ');
      problems.error(
        'interface.cycle',
        [...i.at, 'name'],
        `${filer}'s interfaces depend on each other in a loop: ${loop}`,
        'an interface cannot be built, even indirectly, on itself',
      );
      return;
    }
    state.set(name, 'visiting');
    for (const d of dependencies(i)) {
      visit(d, [...trail, name]);
    }
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of [...byName.keys()].sort(compareNames)) {
    visit(name, []);
  }
  // Parents before children, and within one depth by name: eth0, eth1, bond0, bond0.10, …
  const depth = new Map<string, number>();
  for (const name of order) {
    const deps = dependencies(byName.get(name) as Interface).map((d) => depth.get(d) ?? 0);
    depth.set(name, deps.length === 0 ? 0 : Math.max(...deps) + 1);
  }
  return order.sort((a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || compareNames(a, b));
}

/** Orders `eth2` before `eth10` and `bond0` before `bond0.10`. */
export function compareNames(a: string, b: string): number {
  // Code-unit order with digit runs compared as numbers: independent of locale and ICU version,
  // so a spec's hash is the same on every machine. Interface names are ASCII.
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i;
      let ej = j;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) {
        ei++;
      }
      while (ej < b.length && isDigit(b.charCodeAt(ej))) {
        ej++;
      }
      const diff = Number(a.slice(i, ei)) - Number(b.slice(j, ej));
      if (diff !== 0) {
        return diff;
      }
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) {
      return ca - cb;
    }
    i++;
    j++;
  }
  return a.length - i - (b.length - j);
}

/** Plain code-unit order, the same everywhere (unlike localeCompare). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * An interface without an MTU inherits its parent's (a bond: its smallest member's); physical
 * interfaces default to 1500. A child's MTU never exceeds its parent's.
 */
function effectiveMtus(
  order: readonly string[],
  byName: ReadonlyMap<string, Interface>,
  problems: ProblemList,
): Map<string, number> {
  const mtu = new Map<string, number>();
  for (const name of order) {
    const i = byName.get(name);
    if (!i) {
      continue;
    }
    const parents = dependencies(i).flatMap((d) =>
      mtu.has(d) ? [{ name: d, mtu: mtu.get(d) ?? DEFAULT_MTU }] : [],
    );
    const ceiling =
      parents.length === 0 ? undefined : parents.reduce((a, b) => (b.mtu < a.mtu ? b : a));
    if (i.mtu !== undefined && ceiling && i.mtu > ceiling.mtu) {
      problems.error(
        'interface.mtu',
        [...i.at, 'mtu'],
        `${i.name} has MTU ${i.mtu}, above the ${ceiling.mtu} of ${ceiling.name} below it`,
        `lower ${i.name}'s MTU to at most ${ceiling.mtu}, or raise ${ceiling.name}'s`,
      );
    }
    mtu.set(name, i.mtu ?? ceiling?.mtu ?? DEFAULT_MTU);
  }
  return mtu;
}

/**
 * The VLAN tags between an interface and the wire, top first: `data0` on `fail0` built of
 * `bond0.10` and `bond1.10` → [10]. Two filers' same-named aliases must agree on it (§5.7).
 */
export function vlanStack(index: FilerIndex, name: string): number[] {
  const tags: number[] = [];
  const seen = new Set<string>();
  let current = index.byName.get(name);
  while (current && !seen.has(current.name)) {
    seen.add(current.name);
    if (current.tag !== undefined) {
      tags.push(current.tag);
    }
    const next: string | undefined = current.parent ?? current.lower ?? current.members[0];
    current = next === undefined ? undefined : index.byName.get(next);
  }
  return tags;
}

export function describeStack(tags: readonly number[]): string {
  return tags.length === 0 ? 'untagged' : `VLAN ${tags.join('/')}`;
}
