import type { Cluster, Vsvr } from './cluster.js';
import type { FilerIndex } from './hierarchy.js';
import { carriesAddresses, describeStack, vlanStack } from './hierarchy.js';
import { MGMT_VSVR, objectNameProblem, reservedVsvrNameProblem } from './names.js';
import type { ProblemList } from './problems.js';
import type { Placement } from './spec-types.js';

/** What a filer offers one alias: its VLAN tags and MTU, or nothing. */
interface AliasOffer {
  readonly stack: readonly number[];
  readonly mtu: number;
}

/** Offers by filer and alias: thousands of vsvrs ask the same few filers about the same aliases. */
const OFFERS = new WeakMap<FilerIndex, Map<string, AliasOffer | undefined>>();

function offer(index: FilerIndex, alias: string): AliasOffer | undefined {
  let byAlias = OFFERS.get(index);
  if (!byAlias) {
    byAlias = new Map();
    OFFERS.set(index, byAlias);
  }
  if (byAlias.has(alias)) {
    return byAlias.get(alias);
  }
  const i = index.byName.get(alias);
  const result =
    !i || !carriesAddresses(i)
      ? undefined
      : { stack: vlanStack(index, alias), mtu: index.mtu.get(alias) ?? 0 };
  byAlias.set(alias, result);
  return result;
}

/**
 * What an alias should look like across a vsvr's candidates: the VLAN stack and MTU most of them
 * give it (on a tie, the earliest candidate's), so one misbuilt filer is the one blamed.
 */
function referenceOffer(
  indexes: readonly FilerIndex[],
  alias: string,
): { filer: string; offer: AliasOffer } | undefined {
  const votes = new Map<string, { filer: string; offer: AliasOffer; count: number }>();
  for (const index of indexes) {
    const o = offer(index, alias);
    if (!o) {
      continue;
    }
    const key = `${o.stack.join('/')}|${o.mtu}`;
    const entry = votes.get(key) ?? { filer: index.filer.name, offer: o, count: 0 };
    entry.count++;
    votes.set(key, entry);
  }
  let best: { filer: string; offer: AliasOffer; count: number } | undefined;
  for (const entry of votes.values()) {
    if (!best || entry.count > best.count) {
      best = entry;
    }
  }
  return best && { filer: best.filer, offer: best.offer };
}

function sameStack(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((t, k) => t === b[k]);
}

/** The aliases a vsvr uses, in the order its addresses first name them. */
export function aliasesOf(v: Vsvr): string[] {
  return [...new Set(v.addresses.map((a) => a.alias))];
}

/**
 * Where a vsvr can run (§5.7): each candidate filer must have every alias the vsvr uses, with
 * the same VLAN stack and MTU as the first candidate that has it. Every problem is reported.
 */
export function placeVsvrs(
  cluster: Cluster,
  filers: ReadonlyMap<string, FilerIndex>,
  problems: ProblemList,
): Map<string, Placement> {
  const placements = new Map<string, Placement>();
  const names = new Map<string, Vsvr>();
  for (const v of cluster.vsvrs) {
    const bad = objectNameProblem('vsvr', v.name);
    if (bad) {
      problems.error('name.invalid', [...v.at, 'name'], bad.reason, bad.hint);
    }
    const reserved = reservedVsvrNameProblem(v.name);
    if (reserved !== undefined) {
      problems.error(
        'name.reserved',
        [...v.at, 'name'],
        reserved,
        'choose another name for this vsvr',
      );
    }
    const key = v.name.toLowerCase();
    if (names.has(key)) {
      problems.error(
        'name.duplicate',
        [...v.at, 'name'],
        `vsvr ${v.name} is defined twice (names ignore case)`,
        'rename or remove one of them',
      );
      continue;
    }
    names.set(key, v);
    placements.set(v.name, placeOne(v, cluster, filers, problems));
  }
  return placements;
}

function resolveGroup(
  v: Vsvr,
  filers: ReadonlyMap<string, FilerIndex>,
  problems: ProblemList,
): string[] {
  const group: string[] = [];
  (v.failoverGroup ?? []).forEach((name, k) => {
    const index = filers.get(name.toLowerCase());
    const at = [...v.at, 'failoverGroup', k];
    if (!index) {
      problems.error(
        'vsvr.failover-group',
        at,
        `${v.name}'s failover group names ${name}, which is not a filer of this cluster`,
        filers.size === 0
          ? 'the cluster has no filers yet: add them under filers'
          : `use one of: ${[...filers.values()].map((f) => f.filer.name).join(', ')}`,
      );
    } else if (group.includes(index.filer.name)) {
      problems.error(
        'vsvr.failover-group',
        at,
        `${v.name}'s failover group lists ${index.filer.name} twice`,
        'list each filer once, in failover order',
      );
    } else {
      group.push(index.filer.name);
    }
  });
  return group;
}

function placeOne(
  v: Vsvr,
  cluster: Cluster,
  filers: ReadonlyMap<string, FilerIndex>,
  problems: ProblemList,
): Placement {
  const explicitGroup = v.failoverGroup !== undefined;
  if (v.failoverGroup?.length === 0) {
    problems.error(
      'vsvr.failover-group',
      [...v.at, 'failoverGroup'],
      `${v.name}'s failover group is empty, so it could run on no filer`,
      'list the filers it may run on, in failover order, or leave failoverGroup out to allow any filer that has its aliases',
    );
  }
  const candidates = explicitGroup
    ? resolveGroup(v, filers, problems)
    : cluster.filers.map((f) => f.name);
  const indexes = candidates.flatMap((c) => filers.get(c.toLowerCase()) ?? []);
  const aliases = aliasesOf(v);
  const reference = new Map<string, { filer: string; offer: AliasOffer }>();
  for (const alias of aliases) {
    const ref = referenceOffer(indexes, alias);
    if (ref) {
      reference.set(alias, ref);
    }
  }
  const runsOn: string[] = [];
  const excluded: { filer: string; reasons: string[] }[] = [];
  for (const index of indexes) {
    const reasons: string[] = [];
    for (const alias of aliases) {
      const o = offer(index, alias);
      const ref = reference.get(alias);
      if (!o) {
        reasons.push(`${index.filer.name} has no ${alias}`);
      } else if (ref && !sameStack(o.stack, ref.offer.stack)) {
        reasons.push(
          `${alias} is ${describeStack(o.stack)} on ${index.filer.name} but ${describeStack(ref.offer.stack)} on ${ref.filer}`,
        );
      } else if (ref && o.mtu !== ref.offer.mtu) {
        reasons.push(
          `${alias} has MTU ${o.mtu} on ${index.filer.name} but ${ref.offer.mtu} on ${ref.filer}`,
        );
      }
    }
    if (reasons.length === 0) {
      runsOn.push(index.filer.name);
    } else {
      excluded.push({ filer: index.filer.name, reasons });
    }
  }
  if (explicitGroup) {
    for (const e of excluded) {
      const k = (v.failoverGroup ?? []).findIndex((n) => n.toLowerCase() === e.filer.toLowerCase());
      problems.error(
        'vsvr.failover-group',
        [...v.at, 'failoverGroup', k],
        `${v.name} cannot run on ${e.filer}: ${e.reasons.join('; ')}`,
        `give ${e.filer} the same aliases (names, VLANs, MTU) or take it out of ${v.name}'s failover group`,
      );
    }
  } else if (runsOn.length === 0 && aliases.length > 0) {
    problems.error(
      'vsvr.no-placement',
      [...v.at, 'addresses'],
      `no filer can run ${v.name}: ${excluded
        .flatMap((e) => e.reasons)
        .slice(0, 3)
        .join('; ')}`,
      `create ${aliases.join(', ')} on at least one filer`,
    );
  }
  if (v.name === MGMT_VSVR) {
    checkMgmtReach(v, runsOn, filers, problems);
  }
  return { vsvr: v.name, explicitGroup, candidates, runsOn, excluded };
}

/**
 * §5.7: every filer must reach vs_mgmt; the only sure way is that vs_mgmt's data aliases sit on
 * the interfaces the filers' mgmt# aliases are built on.
 */
function checkMgmtReach(
  v: Vsvr,
  runsOn: readonly string[],
  filers: ReadonlyMap<string, FilerIndex>,
  problems: ProblemList,
): void {
  for (const filer of runsOn) {
    const index = filers.get(filer.toLowerCase());
    if (!index) {
      continue;
    }
    const mgmtLowers = new Set(
      [...index.byName.values()]
        .filter((i) => i.baseKind === 'mgmt' && i.lower !== undefined)
        .map((i) => i.lower),
    );
    for (const alias of aliasesOf(v)) {
      const base = alias.split('.')[0] ?? alias;
      const lower = index.byName.get(base)?.lower;
      if (lower !== undefined && !mgmtLowers.has(lower)) {
        problems.warning(
          'vsvr.mgmt-reach',
          [...v.at, 'addresses'],
          `${MGMT_VSVR}'s ${alias} on ${filer} is built on ${lower}, which carries no mgmt# alias there`,
          `build ${alias} on the interface ${filer}'s mgmt# aliases use, so every filer can reach ${MGMT_VSVR}`,
        );
      }
    }
  }
}

/**
 * Where each vsvr runs now, when not on its home filer: committed state (a failover or a move),
 * not document. Keyed by vsvr name in lower case; the value names a filer.
 */
export type VsvrPlacements = ReadonlyMap<string, string>;

/**
 * A vsvr's filers in the order they take it: the placed filer first when it is among those that
 * can run the vsvr, then the others in failover order (the standbys). A placement naming a filer
 * that no longer qualifies is ignored, so the vsvr goes home (its first qualifying candidate).
 */
export function activeOrder(p: Placement, placements?: VsvrPlacements): readonly string[] {
  const placed = placements?.get(p.vsvr.toLowerCase())?.toLowerCase();
  const k = placed === undefined ? -1 : p.runsOn.findIndex((f) => f.toLowerCase() === placed);
  if (k <= 0) {
    return p.runsOn;
  }
  return [p.runsOn[k] as string, ...p.runsOn.slice(0, k), ...p.runsOn.slice(k + 1)];
}

/** The filer a vsvr is active on (the placement when it qualifies, else home); none if it can run nowhere. */
export function activeFiler(p: Placement, placements?: VsvrPlacements): string | undefined {
  return activeOrder(p, placements)[0];
}
