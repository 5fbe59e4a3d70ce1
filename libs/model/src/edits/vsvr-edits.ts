import type { AddressDocument, ClusterDocument, VsvrDocument } from '../document-types.js';
import { parseCidr, parseIp } from '../ip.js';
import { MGMT_VSVR } from '../names.js';
import {
  describeAddress,
  describeVsvr,
  findVsvr,
  requireCidr,
  requireCluster,
  requireText,
  requireVsvr,
} from './document-edit.js';
import { EditRefusal } from './edit-refusal.js';
import type { PlannedEdit } from './planned-edit.js';

// Edits of vsvrs (VsvrService): each returns the next document; the store validates the whole
// resulting cluster with the model, so placement, duplicates and alias rules are checked there
// and reported at their document paths.

export interface CreateVsvrInput {
  readonly name: string;
  /** `undefined`: any filer that has the vsvr's aliases. */
  readonly failoverGroup?: readonly string[];
  readonly routingPolicy?: string;
}

export function createVsvr(
  current: ClusterDocument | undefined,
  input: CreateVsvrInput,
): PlannedEdit<VsvrDocument> {
  const document = requireCluster(current);
  const name = requireText(input.name, 'name', 'the new vsvr’s name');
  if (name.toLowerCase() === MGMT_VSVR) {
    throw EditRefusal.field(
      'invalid-argument',
      'name',
      `${MGMT_VSVR} is the cluster's management vsvr; it is created by apply with the cluster document`,
      'name.reserved',
    );
  }
  const existing = document.vsvrs?.[findVsvr(document, name)];
  if (existing !== undefined) {
    throw EditRefusal.field(
      'already-exists',
      'name',
      `a vsvr named "${existing.name}" exists (vsvr names are compared without regard to case); choose another name`,
      'name.duplicate',
    );
  }
  const vsvr: VsvrDocument = {
    name,
    ...(input.failoverGroup !== undefined ? { failoverGroup: [...input.failoverGroup] } : {}),
    ...(input.routingPolicy !== undefined ? { routingPolicy: input.routingPolicy } : {}),
  };
  document.vsvrs = [...(document.vsvrs ?? []), vsvr];
  return { document, target: `vsvr ${name}`, before: '', after: describeVsvr(vsvr), result: vsvr };
}

export function deleteVsvr(
  current: ClusterDocument | undefined,
  name: string,
): PlannedEdit<VsvrDocument> {
  const document = requireCluster(current);
  const vsvr = requireVsvr(document, requireText(name, 'name', 'the vsvr to delete'), 'name');
  if (vsvr.name === MGMT_VSVR) {
    throw EditRefusal.field(
      'failed-precondition',
      'name',
      `${MGMT_VSVR} carries the cluster's management services and cannot be deleted`,
      'vsvr.mgmt',
    );
  }
  document.vsvrs = (document.vsvrs ?? []).filter((v) => v !== vsvr);
  return {
    document,
    target: `vsvr ${vsvr.name}`,
    before: describeVsvr(vsvr),
    after: '',
    result: vsvr,
  };
}

export function setFailoverGroup(
  current: ClusterDocument | undefined,
  name: string,
  group: readonly string[] | undefined,
): PlannedEdit<VsvrDocument> {
  const document = requireCluster(current);
  const vsvr = requireVsvr(document, requireText(name, 'vsvr', 'the vsvr to change'), 'vsvr');
  const before = describeVsvr(vsvr);
  if (group === undefined) {
    delete vsvr.failoverGroup;
  } else {
    vsvr.failoverGroup = [...group];
  }
  return { document, target: `vsvr ${vsvr.name}`, before, after: describeVsvr(vsvr), result: vsvr };
}

export interface AddAddressInput {
  readonly vsvr: string;
  readonly alias: string;
  readonly address: string;
  /** A number, or `'next-free'`: the lowest instance free for (vsvr, alias) (§5.2.6.3). */
  readonly instance: number | 'next-free' | undefined;
  readonly mode?: string;
}

export function addVsvrAddress(
  current: ClusterDocument | undefined,
  input: AddAddressInput,
): PlannedEdit<AddressDocument> {
  const document = requireCluster(current);
  const vsvr = requireVsvr(document, requireText(input.vsvr, 'vsvr', 'the vsvr'), 'vsvr');
  const alias = requireText(input.alias, 'alias', 'the data# alias, e.g. data0');
  const address = requireCidr(input.address, 'address');
  if (input.instance === undefined) {
    throw EditRefusal.field(
      'invalid-argument',
      'instance',
      'set exactly one of number and nextFree: the instance of the address on its alias',
    );
  }
  if (input.mode !== undefined && input.mode !== 'static' && input.mode !== 'dhcp') {
    throw EditRefusal.field(
      'invalid-argument',
      'mode',
      `"${input.mode}" is not a mode; use static or dhcp`,
    );
  }
  const addresses = vsvr.addresses ?? [];
  const instance =
    input.instance === 'next-free' ? nextFreeAddressInstance(addresses, alias) : input.instance;
  const taken = addresses.find((a) => a.alias === alias && a.instance === instance);
  if (taken !== undefined) {
    throw EditRefusal.field(
      'already-exists',
      'instance',
      `${vsvr.name} already has ${describeAddress(taken)} as instance ${instance} of ${alias}; choose another instance or nextFree`,
      'address.instance',
    );
  }
  const added: AddressDocument = {
    alias,
    address,
    instance,
    ...(input.mode === 'dhcp' ? { mode: 'dhcp' as const } : {}),
  };
  const before = describeVsvr(vsvr);
  vsvr.addresses = [...addresses, added];
  return {
    document,
    target: `vsvr ${vsvr.name}`,
    before,
    after: describeVsvr(vsvr),
    result: added,
  };
}

/** Selects one address of a vsvr: by the address (with or without prefix) or alias + instance. */
export type AddressSelector =
  { readonly address: string } | { readonly alias: string; readonly instance: number };

export function removeVsvrAddress(
  current: ClusterDocument | undefined,
  name: string,
  selector: AddressSelector | undefined,
): PlannedEdit<AddressDocument> {
  const document = requireCluster(current);
  const vsvr = requireVsvr(document, requireText(name, 'vsvr', 'the vsvr'), 'vsvr');
  if (selector === undefined) {
    throw EditRefusal.field(
      'invalid-argument',
      'selector',
      'name the address to remove: address, or aliasInstance (alias and instance)',
    );
  }
  const addresses = vsvr.addresses ?? [];
  const index = addresses.findIndex((a) => selects(a, addresses, selector));
  const removed = addresses[index];
  if (removed === undefined) {
    const what =
      'address' in selector ? selector.address : `${selector.alias} instance ${selector.instance}`;
    throw EditRefusal.field(
      'not-found',
      'address' in selector ? 'address' : 'aliasInstance',
      `${vsvr.name} has no address ${what}; show its addresses with vsnet vsvr show ${vsvr.name}`,
      'address.unknown',
    );
  }
  const before = describeVsvr(vsvr);
  vsvr.addresses = addresses.filter((_, i) => i !== index);
  return {
    document,
    target: `vsvr ${vsvr.name}`,
    before,
    after: describeVsvr(vsvr),
    result: removed,
  };
}

/** The lowest instance no address of the vsvr on `alias` has (addresses without one count in order). */
export function nextFreeAddressInstance(
  addresses: readonly AddressDocument[],
  alias: string,
): number {
  const used = new Set(
    effectiveInstances(addresses)
      .filter((e) => e.alias === alias)
      .map((e) => e.instance),
  );
  let instance = 0;
  while (used.has(instance)) {
    instance++;
  }
  return instance;
}

/** Every address with the instance the model gives it (absent instances take the lowest free). */
function effectiveInstances(
  addresses: readonly AddressDocument[],
): { alias: string; instance: number }[] {
  const taken = new Map<string, Set<number>>();
  for (const a of addresses) {
    if (a.instance !== undefined) {
      taken.set(a.alias, (taken.get(a.alias) ?? new Set()).add(a.instance));
    }
  }
  return addresses.map((a) => {
    if (a.instance !== undefined) {
      return { alias: a.alias, instance: a.instance };
    }
    const used = taken.get(a.alias) ?? new Set<number>();
    let instance = 0;
    while (used.has(instance)) {
      instance++;
    }
    taken.set(a.alias, used.add(instance));
    return { alias: a.alias, instance };
  });
}

function selects(
  a: AddressDocument,
  all: readonly AddressDocument[],
  selector: AddressSelector,
): boolean {
  if ('address' in selector) {
    const have = parseCidr(a.address);
    if (!have.ok) {
      return false;
    }
    if (selector.address.includes('/')) {
      const wanted = parseCidr(selector.address);
      return (
        wanted.ok && wanted.value.ip === have.value.ip && wanted.value.prefix === have.value.prefix
      );
    }
    const wanted = parseIp(selector.address);
    return wanted.ok && wanted.value.ip === have.value.ip;
  }
  const effective = effectiveInstances(all)[all.indexOf(a)];
  return effective?.alias === selector.alias && effective.instance === selector.instance;
}
