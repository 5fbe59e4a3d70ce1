import type { ClusterDocument, FilerDocument, InterfaceDocument } from '../document-types.js';
import type { AliasKind } from '../names.js';
import { MAX_VLAN_TAG, MIN_VLAN_TAG, parseInterfaceName } from '../names.js';
import { findFiler, requireCluster, requireFiler, requireText } from './document-edit.js';
import { EditRefusal } from './edit-refusal.js';
import type { InstanceChoice } from './interface-edit-parts.js';
import {
  chooseInterfaceName,
  dependentsOf,
  describeInterface,
  findInterface,
  isAliasOrAliasVlan,
  requireAbsent,
  requireBondMode,
  requireMembers,
  requireMtu,
  requireUsableBase,
} from './interface-edit-parts.js';
import type { PlannedEdit } from './planned-edit.js';

// Edits of a filer's interface hierarchy (InterfaceService, §5.2.2). What the request alone
// shows wrong is refused here at its request field; how the new interface fits the hierarchy
// (members unknown, consumed or of the wrong kind, MTU above the interface below, …) the
// store's whole-cluster validation reports at the document path, as the proto promises.

/** What a create or delete answers: the filer (as stored) and the interface. */
export interface FilerInterfaceResult {
  readonly filer: string;
  readonly interface: InterfaceDocument;
}

export interface CreateBondInput {
  readonly filer: string;
  readonly instance: InstanceChoice;
  readonly members: readonly string[];
  /** Absent: `802.3ad`. */
  readonly mode?: string;
  readonly mtu?: number;
}

/** Creates `bond<N>` over two or more physical interfaces of the filer. */
export function createBond(
  current: ClusterDocument | undefined,
  input: CreateBondInput,
): PlannedEdit<FilerInterfaceResult> {
  const document = requireCluster(current);
  const name = chooseInterfaceName(document, 'bond', input.instance);
  const members = requireMembers(input.members, 'bond');
  const mode = requireBondMode(input.mode);
  const mtu = requireMtu(input.mtu, 'mtu');
  return addInterface(document, input.filer, {
    name,
    members,
    // Written out, as the stored document has it (the model fills in the default).
    mode,
    ...(mtu !== undefined ? { mtu } : {}),
  });
}

export interface CreateFailoverInput {
  readonly filer: string;
  readonly instance: InstanceChoice;
  readonly members: readonly string[];
  readonly primary?: string;
  readonly mtu?: number;
}

/** Creates `fail<N>` (active-backup) over two or more members; bonds and VLANs may be members. */
export function createFailoverInterface(
  current: ClusterDocument | undefined,
  input: CreateFailoverInput,
): PlannedEdit<FilerInterfaceResult> {
  const document = requireCluster(current);
  const name = chooseInterfaceName(document, 'fail', input.instance);
  const members = requireMembers(input.members, 'failover interface');
  const primary = input.primary?.trim().toLowerCase();
  if (primary !== undefined && !members.includes(primary)) {
    throw EditRefusal.field(
      'invalid-argument',
      'primary',
      `${primary} is not one of the members (${members.join(', ')}); choose one of them`,
      'interface.members',
    );
  }
  const mtu = requireMtu(input.mtu, 'mtu');
  return addInterface(document, input.filer, {
    name,
    members,
    ...(primary !== undefined ? { primary } : {}),
    ...(mtu !== undefined ? { mtu } : {}),
  });
}

export interface CreateVlanInput {
  readonly filer: string;
  /** The interface the VLAN is stacked on. */
  readonly parent: string;
  readonly tag: number;
  readonly mtu?: number;
}

/**
 * Creates `<parent>.<tag>`. The tag must match the switch port, so it is never chosen for the
 * caller; the parent may be any interface of the hierarchy that is not a member of another.
 */
export function createVlan(
  current: ClusterDocument | undefined,
  input: CreateVlanInput,
): PlannedEdit<FilerInterfaceResult> {
  const document = requireCluster(current);
  const parentName = requireText(input.parent, 'parent', 'the interface to stack the VLAN on')
    .trim()
    .toLowerCase();
  if (!Number.isInteger(input.tag) || input.tag < MIN_VLAN_TAG || input.tag > MAX_VLAN_TAG) {
    throw EditRefusal.field(
      'invalid-argument',
      'tag',
      `${input.tag} is not a VLAN tag; use ${MIN_VLAN_TAG}–${MAX_VLAN_TAG}, the tag the switch port carries`,
      'name.invalid',
    );
  }
  const mtu = requireMtu(input.mtu, 'mtu');
  const filer = requireFiler(document, requireText(input.filer, 'filer', 'the filer'), 'filer');
  const parent = requireUsableBase(filer, parentName, 'parent');
  const parsed = parseInterfaceName(`${parent.name}.${input.tag}`);
  if (!parsed.ok) {
    throw EditRefusal.field(
      'invalid-argument',
      'tag',
      `${parsed.reason}; ${parsed.hint}`,
      'name.invalid',
    );
  }
  return addInterface(
    document,
    filer.name,
    { name: parsed.value.name, ...(mtu !== undefined ? { mtu } : {}) },
    'tag',
  );
}

export interface CreateAliasInput {
  readonly filer: string;
  /** `undefined`: the request named no kind (refused). */
  readonly kind: AliasKind | undefined;
  readonly instance: InstanceChoice;
  /** The interface the alias is built on. */
  readonly on: string;
  readonly mtu?: number;
  /** mgmt#/san# only. */
  readonly routingPolicy?: string;
}

/**
 * Creates `data<N>`, `mgmt<N>` or `san<N>` on an interface of the filer. The same alias may be
 * added to several filers by naming its instance: a vsvr fails over between the filers that
 * have its aliases.
 */
export function createAlias(
  current: ClusterDocument | undefined,
  input: CreateAliasInput,
): PlannedEdit<FilerInterfaceResult> {
  const document = requireCluster(current);
  if (input.kind === undefined) {
    throw EditRefusal.field(
      'invalid-argument',
      'kind',
      'name the kind of alias: data (vsvr addresses), mgmt (management) or san (iSCSI)',
    );
  }
  const name = chooseInterfaceName(document, input.kind, input.instance);
  const onName = requireText(input.on, 'on', `the interface ${name} is built on`)
    .trim()
    .toLowerCase();
  const mtu = requireMtu(input.mtu, 'mtu');
  if (input.routingPolicy !== undefined && input.kind === 'data') {
    throw EditRefusal.field(
      'invalid-argument',
      'routingPolicy',
      `${name} is a data alias, whose routes belong to the vsvrs on it; set the routing policy on the vsvrs instead`,
      'interface.kind',
    );
  }
  const filer = requireFiler(document, requireText(input.filer, 'filer', 'the filer'), 'filer');
  const on = requireUsableBase(filer, onName, 'on');
  if (isAliasOrAliasVlan(on.name)) {
    throw EditRefusal.field(
      'failed-precondition',
      'on',
      `${on.name} is an alias; build ${name} on the eth#, bond#, fail# or VLAN interface ${on.name} is built on`,
      'interface.kind',
    );
  }
  return addInterface(document, filer.name, {
    name,
    on: on.name,
    ...(mtu !== undefined ? { mtu } : {}),
    ...(input.routingPolicy !== undefined ? { routingPolicy: input.routingPolicy } : {}),
  });
}

/** The kind of alias an API value names (`ALIAS_KIND_DATA`, `data`), or `undefined`. */
export function aliasKindOf(value: string): AliasKind | undefined {
  const word = value.toLowerCase().replace(/^alias_kind_/, '');
  return word === 'data' || word === 'mgmt' || word === 'san' ? word : undefined;
}

/** Appends `iface` to the filer named `filerName`; ALREADY_EXISTS at `field` when it is there. */
function addInterface(
  document: ClusterDocument,
  filerName: string,
  iface: InterfaceDocument,
  field = 'instance',
): PlannedEdit<FilerInterfaceResult> {
  const filer: FilerDocument = requireFiler(
    document,
    requireText(filerName, 'filer', 'the filer'),
    'filer',
  );
  requireAbsent(filer, iface.name, field);
  filer.interfaces = [...filer.interfaces, iface];
  return {
    document,
    target: `filer ${filer.name} ${iface.name}`,
    before: '',
    after: describeInterface(iface),
    result: { filer: filer.name, interface: iface },
  };
}

export interface DeleteInterfaceInput {
  readonly filer: string;
  readonly name: string;
}

/**
 * Deletes one interface of a filer. Refused with FAILED_PRECONDITION, naming each dependent at
 * its document path, while anything still uses it: a bond or failover interface it is a member
 * of, a VLAN on it, an alias built on it, a filer address on it, or a vsvr that can run on the
 * filer with an address on it (deleting the alias would silently take that filer out of the
 * vsvr's failover). The store's validation remains the backstop for anything else.
 */
export function deleteInterface(
  current: ClusterDocument | undefined,
  input: DeleteInterfaceInput,
): PlannedEdit<FilerInterfaceResult> {
  const document = requireCluster(current);
  const filerName = requireText(input.filer, 'filer', 'the filer');
  const name = requireText(input.name, 'name', 'the interface to delete').trim().toLowerCase();
  const filer = requireFiler(document, filerName, 'filer');
  const iface = findInterface(filer, name);
  if (iface === undefined) {
    throw EditRefusal.field(
      'not-found',
      'name',
      `${filer.name} has no interface ${name}; list its interfaces with vsnet interface list ${filer.name}`,
      'interface.unknown',
    );
  }
  const users = dependentsOf(document, findFiler(document, filer.name), iface.name);
  if (users.length > 0) {
    const shown = users.slice(0, 3).map((u) => u.description);
    const more = users.length > 3 ? ` and ${users.length - 3} more` : '';
    throw new EditRefusal(
      'failed-precondition',
      `${iface.name} on ${filer.name} is still in use (${shown.join('; ')}${more}); delete or change those first`,
      users,
      'interface.in-use',
    );
  }
  filer.interfaces = filer.interfaces.filter((i) => i !== iface);
  return {
    document,
    target: `filer ${filer.name} ${iface.name}`,
    before: describeInterface(iface),
    after: '',
    result: { filer: filer.name, interface: iface },
  };
}
