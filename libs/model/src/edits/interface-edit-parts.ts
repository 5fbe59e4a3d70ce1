import { analyzeCluster } from '../analyze.js';
import type { BondMode } from '../cluster.js';
import { BOND_MODES, DEFAULT_BOND_MODE, MAX_MTU, MIN_MTU } from '../cluster.js';
import { decodeClusterDocument } from '../decode.js';
import type { ClusterDocument, FilerDocument, InterfaceDocument } from '../document-types.js';
import type { BaseKind } from '../names.js';
import { nextFreeInstance, parseInterfaceName } from '../names.js';
import type { EditViolation } from './edit-refusal.js';
import { EditRefusal } from './edit-refusal.js';

// Steps shared by the interface and filer edits: the request's instance choice, MTU, how an
// interface of a filer is found and described, and what still uses one.

/** A number chosen by the caller, the next one free in the cluster, or nothing (refused). */
export type InstanceChoice = number | 'next-free' | undefined;

/** An optional MTU of a request, or INVALID_ARGUMENT at `field` when out of range. */
export function requireMtu(mtu: number | undefined, field: string): number | undefined {
  if (mtu !== undefined && (!Number.isInteger(mtu) || mtu < MIN_MTU || mtu > MAX_MTU)) {
    throw EditRefusal.field(
      'invalid-argument',
      field,
      `${mtu} is not an MTU; use ${MIN_MTU}–${MAX_MTU}, or leave it out to inherit the interface below`,
      'interface.mtu',
    );
  }
  return mtu;
}

/** Every interface name of every filer: what "next free in the cluster" (§5.2.2) looks at. */
export function clusterInterfaceNames(document: ClusterDocument): string[] {
  return document.filers.flatMap((f) => f.interfaces.map((i) => i.name));
}

/**
 * The name `<kind><instance>` for `choice`: a number chosen by the caller, or the lowest
 * instance of `kind` no filer of the cluster uses (§5.2.2), so the same name means the same
 * thing on every filer it is later added to. INVALID_ARGUMENT at `instance` without a choice or
 * when the name breaks a naming rule (mgmt#/san# stop at 99).
 */
export function chooseInterfaceName(
  document: ClusterDocument,
  kind: BaseKind,
  choice: InstanceChoice,
): string {
  if (choice === undefined) {
    throw EditRefusal.field(
      'invalid-argument',
      'instance',
      `set exactly one of number and nextFree: the instance of the new ${kind}#`,
    );
  }
  const instance =
    choice === 'next-free' ? nextFreeInstance(kind, clusterInterfaceNames(document)) : choice;
  const parsed = parseInterfaceName(`${kind}${instance}`);
  if (!parsed.ok) {
    throw EditRefusal.field(
      'invalid-argument',
      'instance',
      `${parsed.reason}; ${parsed.hint}`,
      'name.invalid',
    );
  }
  return parsed.value.name;
}

/** The interface of `filer` named `name` (any case), if any. */
export function findInterface(filer: FilerDocument, name: string): InterfaceDocument | undefined {
  const lower = name.trim().toLowerCase();
  return filer.interfaces.find((i) => i.name.toLowerCase() === lower);
}

/** ALREADY_EXISTS at `field` when `filer` already has an interface named `name`. */
export function requireAbsent(filer: FilerDocument, name: string, field: string): void {
  if (findInterface(filer, name) !== undefined) {
    throw EditRefusal.field(
      'already-exists',
      field,
      field === 'tag'
        ? `${filer.name} already has ${name}; use it as it is, or delete it first`
        : `${filer.name} already has ${name}; choose another instance, or nextFree`,
      'name.duplicate',
    );
  }
}

/** True for aliases and the VLANs stacked on them (`data0.5`): the interfaces with addresses. */
export function isAliasOrAliasVlan(name: string): boolean {
  const parsed = parseInterfaceName(name);
  return (
    parsed.ok &&
    (parsed.value.baseKind === 'data' ||
      parsed.value.baseKind === 'mgmt' ||
      parsed.value.baseKind === 'san')
  );
}

/** The bond or failover interface of `filer` that has `name` as a member, if any. */
export function consumerOf(filer: FilerDocument, name: string): InterfaceDocument | undefined {
  return filer.interfaces.find((i) => (i.members ?? []).some((m) => m.toLowerCase() === name));
}

/**
 * An interface `filer` must have for something to be built on it (a VLAN's parent, an
 * alias's lower interface): FAILED_PRECONDITION at `field` when it is missing or a member of a
 * bond or failover interface (§5.2.2: a member is used for nothing else).
 */
export function requireUsableBase(
  filer: FilerDocument,
  name: string,
  field: string,
): InterfaceDocument {
  const base = findInterface(filer, name);
  if (base === undefined) {
    throw EditRefusal.field(
      'failed-precondition',
      field,
      `${filer.name} has no interface ${name}; list its interfaces with vsnet interface list ${filer.name}`,
      'interface.unknown',
    );
  }
  const owner = consumerOf(filer, base.name);
  if (owner !== undefined) {
    throw EditRefusal.field(
      'failed-precondition',
      field,
      `${base.name} on ${filer.name} is a member of ${owner.name} and can no longer be used directly; build on ${owner.name} instead`,
      'interface.consumed',
    );
  }
  return base;
}

/** One line for audit rows: `bond0 (802.3ad) of eth2, eth3, mtu 9000`. */
export function describeInterface(i: InterfaceDocument): string {
  const parts: string[] = [i.name];
  if (i.mode !== undefined) {
    parts.push(`(${i.mode})`);
  }
  if (i.members !== undefined && i.members.length > 0) {
    parts.push(`of ${i.members.join(', ')}`);
  }
  if (i.primary !== undefined) {
    parts.push(`primary ${i.primary}`);
  }
  if (i.on !== undefined) {
    parts.push(`on ${i.on}`);
  }
  if (i.mac !== undefined) {
    parts.push(i.mac);
  }
  if (i.mtu !== undefined) {
    parts.push(`mtu ${i.mtu}`);
  }
  if (i.routingPolicy !== undefined) {
    parts.push(`policy ${i.routingPolicy}`);
  }
  return parts.join(' ');
}

/** Two or more distinct member names, lower case; INVALID_ARGUMENT at `members` otherwise. */
export function requireMembers(members: readonly string[], what: string): string[] {
  const names = members.map((m) => m.trim().toLowerCase());
  if (names.length < 2) {
    throw EditRefusal.field(
      'invalid-argument',
      'members',
      `a ${what} needs at least 2 members, got ${names.length}; list two or more interfaces`,
      'interface.members',
    );
  }
  const twice = names.find((m, k) => names.indexOf(m) !== k);
  if (twice !== undefined) {
    throw EditRefusal.field(
      'invalid-argument',
      'members',
      `${twice} is listed twice; list each member once`,
      'interface.members',
    );
  }
  return names;
}

/** A bonding mode in its stored form (absent: `802.3ad`); INVALID_ARGUMENT at `mode` otherwise. */
export function requireBondMode(mode: string | undefined): BondMode {
  if (mode === undefined) {
    return DEFAULT_BOND_MODE;
  }
  const found = BOND_MODES.find((m) => m === mode.trim().toLowerCase());
  if (found === undefined) {
    throw EditRefusal.field(
      'invalid-argument',
      'mode',
      `"${mode}" is not a bonding mode; use one of ${BOND_MODES.join(', ')}, or a failover interface for active-backup`,
      'interface.kind',
    );
  }
  return found;
}

/** What uses interface `name` of filer number `f`, each at its document path. */
export function dependentsOf(document: ClusterDocument, f: number, name: string): EditViolation[] {
  const filer = document.filers[f];
  if (filer === undefined) {
    return [];
  }
  const at = `filers[${f}]`;
  const users: EditViolation[] = [];
  filer.interfaces.forEach((i, j) => {
    const k = (i.members ?? []).indexOf(name);
    if (k >= 0) {
      users.push({
        field: `${at}.interfaces[${j}].members[${k}]`,
        description: `${i.name} has ${name} as a member`,
      });
    }
    const parsed = parseInterfaceName(i.name);
    if (parsed.ok && parsed.value.parent === name) {
      users.push({
        field: `${at}.interfaces[${j}].name`,
        description: `${i.name} is a VLAN of ${name}`,
      });
    }
    if (i.on === name) {
      users.push({
        field: `${at}.interfaces[${j}].on`,
        description: `${i.name} is built on ${name}`,
      });
    }
  });
  (filer.addresses ?? []).forEach((a, k) => {
    if (a.alias === name) {
      users.push({
        field: `${at}.addresses[${k}].alias`,
        description: `${filer.name}'s address ${a.address} is on ${name}`,
      });
    }
  });
  return [...users, ...vsvrUsers(document, filer.name, name)];
}

/** The addresses on alias `name` of vsvrs that can run on `filer` (their placement). */
function vsvrUsers(document: ClusterDocument, filer: string, name: string): EditViolation[] {
  const vsvrs = document.vsvrs ?? [];
  if (!vsvrs.some((v) => (v.addresses ?? []).some((a) => a.alias === name))) {
    return [];
  }
  // Only now is the placement worth computing: most deletions touch no vsvr's alias.
  const placements = analyzeCluster(decodeClusterDocument(document).cluster).placements;
  const users: EditViolation[] = [];
  vsvrs.forEach((v, n) => {
    const runsOn = placements.get(v.name)?.runsOn ?? [];
    if (!runsOn.some((r) => r.toLowerCase() === filer.toLowerCase())) {
      return;
    }
    (v.addresses ?? []).forEach((a, k) => {
      if (a.alias === name) {
        users.push({
          field: `vsvrs[${n}].addresses[${k}].alias`,
          description: `vsvr ${v.name}, which can run on ${filer}, has ${a.address} on ${name}`,
        });
      }
    });
  });
  return users;
}
