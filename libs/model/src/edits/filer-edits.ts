import type { ClusterDocument, FilerDocument, InterfaceDocument } from '../document-types.js';
import { normalizeMac } from '../mac.js';
import { parseInterfaceName } from '../names.js';
import { findFiler, requireCluster, requireText } from './document-edit.js';
import { EditRefusal } from './edit-refusal.js';
import { requireMtu } from './interface-edit-parts.js';
import type { PlannedEdit } from './planned-edit.js';

// Edits of filers (FilerService). The request is checked for its shape here (request fields);
// the values the model checks anyway — the filer name's form, each MAC's form, a MAC used twice
// in the cluster — are reported by the store's validation at their document paths
// (`filers[3].interfaces[0].mac`), as proto/vsnet/v1/filer.proto promises.

export interface PhysicalInterfaceInput {
  /** `eth0`, `eth1`, … */
  readonly name: string;
  /** The burnt-in MAC. */
  readonly mac: string;
  /** Absent: 1500. */
  readonly mtu?: number;
}

export interface RegisterFilerInput {
  readonly name: string;
  readonly interfaces: readonly PhysicalInterfaceInput[];
}

/** Adds a filer with its physical interfaces; its bonds, VLANs and aliases come after. */
export function registerFiler(
  current: ClusterDocument | undefined,
  input: RegisterFilerInput,
): PlannedEdit<FilerDocument> {
  const document = requireCluster(current);
  const name = requireText(input.name, 'name', 'the new filer’s name').trim();
  if (input.interfaces.length === 0) {
    throw EditRefusal.field(
      'invalid-argument',
      'interfaces',
      'list at least one physical interface (eth#) with its MAC',
    );
  }
  const interfaces = input.interfaces.map((i, k) => physicalInterface(i, `interfaces[${k}]`));
  interfaces.forEach((i, k) => {
    if (interfaces.findIndex((other) => other.name === i.name) !== k) {
      throw EditRefusal.field(
        'invalid-argument',
        `interfaces[${k}].name`,
        `${i.name} is listed twice; list each physical interface once`,
        'name.duplicate',
      );
    }
  });
  const existing = document.filers[findFiler(document, name)];
  if (existing !== undefined) {
    throw EditRefusal.field(
      'already-exists',
      'name',
      `a filer named "${existing.name}" exists (filer names are compared without regard to case); choose another name`,
      'name.duplicate',
    );
  }
  const filer: FilerDocument = { name, interfaces };
  document.filers = [...document.filers, filer];
  return {
    document,
    target: `filer ${name}`,
    before: '',
    after: describeFiler(filer),
    result: filer,
  };
}

/** One line for audit rows: `filer1: eth0 00:07:34:04:12:10, eth1 00:07:34:04:12:11`. */
export function describeFiler(f: FilerDocument): string {
  const ifaces = f.interfaces.map((i) => (i.mac === undefined ? i.name : `${i.name} ${i.mac}`));
  return `${f.name}: ${ifaces.join(', ')}`;
}

function physicalInterface(input: PhysicalInterfaceInput, field: string): InterfaceDocument {
  const text = requireText(input.name, `${field}.name`, 'the interface name, eth0, eth1, …');
  const parsed = parseInterfaceName(text);
  if (!parsed.ok) {
    throw EditRefusal.field(
      'invalid-argument',
      `${field}.name`,
      `${parsed.reason}; ${parsed.hint}`,
      'name.invalid',
    );
  }
  if (parsed.value.baseKind !== 'eth' || parsed.value.vlanTags.length > 0) {
    throw EditRefusal.field(
      'invalid-argument',
      `${field}.name`,
      `${parsed.value.name} is not a physical interface; register eth# interfaces here and create bonds, failover interfaces, VLANs and aliases with vsnet interface`,
      'interface.kind',
    );
  }
  const mac = requireText(input.mac, `${field}.mac`, `the burnt-in MAC of ${parsed.value.name}`);
  const mtu = requireMtu(input.mtu, `${field}.mtu`);
  return {
    name: parsed.value.name,
    // A malformed MAC is kept as written: the model reports it at its document path.
    mac: normalizeMac(mac) ?? mac,
    ...(mtu !== undefined ? { mtu } : {}),
  };
}
