import type { DesiredLink, LinkAttributeChange, ObservedLink, Operation } from './driver.js';
import { linkAddCommand, linkDeleteCommand, linkSetCommand } from './ip-commands.js';
import { linkItem, linkKey, where } from './kernel-objects.js';

/** The link operations of a plan, in the places the reconcile order puts them. */
export interface LinkPlan {
  /** Top-down: a vlan before the macvlan under it. */
  readonly removals: Operation[];
  /**
   * Bottom-up, each link created (MTU and MAC included) or configured (MTU, MAC, up) before
   * anything that sits on it, so a lower's MTU is raised before an upper needs it: physical →
   * bond → vlan → failover bond → macvlan → vlan of an alias.
   */
  readonly links: Operation[];
  /** Bond membership, once every bond exists (a member goes down, joins, comes up). */
  readonly memberships: Operation[];
  /**
   * Links that are removed or re-created, closed over everything above them (vlans, macvlans,
   * a vsvr's macvlans on a filer link): all are gone, with their addresses and routes, and
   * what is wanted of them is planned again.
   */
  readonly replaced: ReadonlySet<string>;
}

/**
 * Diffs links. `managed` decides which observed links vsnet may delete; a desired link that
 * exists with another kind, lower, tag or mode is re-created (removed, then created).
 */
export function planLinks(
  desired: readonly DesiredLink[],
  observed: readonly ObservedLink[],
  managed: (link: ObservedLink) => boolean,
): LinkPlan {
  const byKey = new Map(observed.map((l) => [linkKey(l), l]));
  const wanted = new Set(desired.map(linkKey));
  const removals: Operation[] = [];
  const links: Operation[] = [];
  const memberships: Operation[] = [];

  // Links that go: each desired link that must be re-created, each extra link vsnet owns, and
  // everything above one of them (see {@link closeOver}), which the kernel deletes with it.
  const extra = observed.filter((l) => !wanted.has(linkKey(l)) && managed(l));
  const roots = [
    ...desired.flatMap((l) => {
      const current = byKey.get(linkKey(l));
      return current !== undefined && mustRecreate(l, current) ? [current] : [];
    }),
    ...extra,
  ];
  const replaced = closeOver(new Set(roots.map(linkKey)), observed);
  // Only what sits on nothing else that goes is removed: the rest dies with it.
  const onGone = (l: ObservedLink): boolean =>
    l.lower !== undefined &&
    replaced.has(linkKey({ namespace: l.lowerNamespace ?? l.namespace, name: l.lower }));
  for (const link of topDown(roots.filter((l) => !onGone(l)))) {
    removals.push(removeOp(link));
  }

  for (const link of bottomUp(desired)) {
    const observedLink = byKey.get(linkKey(link));
    const current =
      observedLink !== undefined && !replaced.has(linkKey(observedLink)) ? observedLink : undefined;
    const fresh = current === undefined;
    // A member of a bond that goes is released by the kernel: it belongs to none.
    const currentMaster =
      current?.master !== undefined &&
      !replaced.has(linkKey({ namespace: current.namespace, name: current.master }))
        ? current.master
        : '';
    if (link.master !== undefined && link.master !== (fresh ? '' : currentMaster)) {
      memberships.push(
        changeOp(
          link,
          { master: link.master, up: link.up },
          current ? describe(current) : 'absent',
        ),
      );
    }
    if (!fresh) {
      const change = attributeChange(link, current);
      if (Object.keys(change).length > 0) {
        links.push(changeOp(link, change, describe(current)));
      }
      continue;
    }
    if (link.kind === 'physical' || link.kind === 'loopback') {
      // Cannot be created: configure it; a missing physical link fails as an item.
      links.push(changeOp(link, fullChange(link), 'absent'));
      continue;
    }
    links.push({
      item: linkItem(link),
      namespace: link.lowerNamespace ?? link.namespace,
      description: `create ${link.kind} ${link.name}${link.lower ? ` on ${link.lower}` : ''} ${where(link.namespace)}`,
      command: linkAddCommand(link),
      change: { object: 'link', action: 'create', link },
      expected: describe(link),
      actual: observedLink === undefined ? 'absent' : describe(observedLink),
    });
    if (link.up && !link.master) {
      links.push(changeOp(link, { up: true }, 'created down'));
    }
  }
  return { removals, links, memberships, replaced };
}

/**
 * `gone` and every observed link above one of its links, which the kernel deletes with it: a
 * vlan or macvlan on it (`lower`, in `lowerNamespace` when another namespace's), and so on up.
 * A member of a bond that goes is not deleted but released; the caller plans it again.
 */
function closeOver(gone: Set<string>, observed: readonly ObservedLink[]): Set<string> {
  let grew = true;
  while (grew) {
    grew = false;
    for (const l of observed) {
      const key = linkKey(l);
      if (
        !gone.has(key) &&
        l.lower !== undefined &&
        gone.has(linkKey({ namespace: l.lowerNamespace ?? l.namespace, name: l.lower }))
      ) {
        gone.add(key);
        grew = true;
      }
    }
  }
  return gone;
}

function mustRecreate(want: DesiredLink, have: ObservedLink): boolean {
  if (want.kind === 'physical' || want.kind === 'loopback') {
    return false;
  }
  const modeWanted = want.kind === 'macvlan' ? 'bridge' : want.bond?.mode;
  return (
    have.kind !== want.kind ||
    (have.lower !== undefined && have.lower !== want.lower) ||
    (want.kind === 'vlan' && have.tag !== want.tag) ||
    (have.mode !== undefined && modeWanted !== undefined && have.mode !== modeWanted)
  );
}

/** MTU, MAC and up/down; bond membership is planned apart. */
function attributeChange(want: DesiredLink, have: ObservedLink): LinkAttributeChange {
  return {
    ...(want.mac !== undefined && want.mac.toLowerCase() !== have.mac.toLowerCase()
      ? { mac: want.mac }
      : {}),
    ...(want.mtu !== undefined && want.mtu !== have.mtu ? { mtu: want.mtu } : {}),
    ...(want.up !== have.up ? { up: want.up } : {}),
  };
}

function fullChange(want: DesiredLink): LinkAttributeChange {
  return {
    ...(want.mtu !== undefined ? { mtu: want.mtu } : {}),
    up: want.up,
  };
}

function changeOp(link: DesiredLink, change: LinkAttributeChange, actual: string): Operation {
  const what = [
    change.master !== undefined ? `master ${change.master || 'none'}` : '',
    change.mac !== undefined ? `mac ${change.mac}` : '',
    change.mtu !== undefined ? `mtu ${change.mtu}` : '',
    change.up !== undefined ? (change.up ? 'up' : 'down') : '',
  ].filter((s) => s !== '');
  return {
    item: linkItem(link),
    namespace: link.namespace,
    description: `set ${link.name} ${what.join(', ')} ${where(link.namespace)}`,
    command: linkSetCommand(link.name, change),
    change: { object: 'link', action: 'change', link, set: change },
    expected: describe(link),
    actual,
  };
}

/** Removes one link; also used for a removed vsvr's links before its namespace goes. */
export function removeOp(link: ObservedLink): Operation {
  return {
    item: linkItem(link),
    namespace: link.namespace,
    description: `remove ${link.kind} ${link.name} ${where(link.namespace)}`,
    command: linkDeleteCommand(link.name),
    change: {
      object: 'link',
      action: 'remove',
      link: { namespace: link.namespace, name: link.name, kind: linkKindOf(link.kind), up: false },
    },
    expected: 'absent',
    actual: describe(link),
  };
}

const LINK_KINDS: readonly string[] = ['physical', 'loopback', 'bond', 'vlan', 'macvlan'];

function linkKindOf(kind: string): DesiredLink['kind'] {
  return LINK_KINDS.includes(kind) ? (kind as DesiredLink['kind']) : 'physical';
}

/** `macvlan on eth1, mac 02:…, mtu 1500, up`: how drift reports show a link. */
export function describe(link: DesiredLink | ObservedLink): string {
  return [
    `${link.kind}${link.lower ? ` on ${link.lower}` : ''}${link.tag !== undefined ? ` tag ${link.tag}` : ''}`,
    ...(link.master ? [`master ${link.master}`] : []),
    ...(link.mac !== undefined ? [`mac ${link.mac}`] : []),
    ...(link.mtu !== undefined ? [`mtu ${link.mtu}`] : []),
    link.up ? 'up' : 'down',
  ].join(', ');
}

/** Depth of each link: 0 when nothing it needs is in the list, else 1 + its deepest need. */
function depths<T extends DesiredLink | ObservedLink>(links: readonly T[]): Map<T, number> {
  const byKey = new Map(links.map((l) => [linkKey(l), l]));
  const depth = new Map<T, number>();
  const visit = (l: T, seen: Set<T>): number => {
    const known = depth.get(l);
    if (known !== undefined) {
      return known;
    }
    if (seen.has(l)) {
      return 0;
    }
    seen.add(l);
    const ns = l.lowerNamespace ?? l.namespace;
    const needs = [
      ...(l.lower !== undefined ? [byKey.get(`${ns}|${l.lower}`)] : []),
      ...('bond' in l && l.bond !== undefined
        ? links.filter((m) => m.namespace === l.namespace && m.master === l.name)
        : []),
    ].filter((n): n is T => n !== undefined);
    const d = needs.length === 0 ? 0 : 1 + Math.max(...needs.map((n) => visit(n, seen)));
    depth.set(l, d);
    return d;
  };
  links.forEach((l) => visit(l, new Set()));
  return depth;
}

function bottomUp(links: readonly DesiredLink[]): DesiredLink[] {
  const d = depths(links);
  return [...links].sort((a, b) => (d.get(a) ?? 0) - (d.get(b) ?? 0));
}

function topDown(links: readonly ObservedLink[]): ObservedLink[] {
  const d = depths(links);
  return [...links].sort((a, b) => (d.get(b) ?? 0) - (d.get(a) ?? 0));
}
