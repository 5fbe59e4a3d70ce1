import type {
  AddressDocument,
  ClusterDocument,
  FilerDocument,
  VsvrDocument,
} from '../document-types.js';
import { parseCidr } from '../ip.js';
import { EditRefusal } from './edit-refusal.js';

// Shared steps of the edits: each edit takes the stored document and returns a new one; it
// never changes its input (the store compares the two).

/** The stored cluster, or a refusal: an edit of a cluster that was never created. */
export function requireCluster(current: ClusterDocument | undefined): ClusterDocument {
  if (current === undefined) {
    throw new EditRefusal(
      'failed-precondition',
      'the cluster is not initialized; create it with vsnet cluster init or vsnet apply -f CLUSTER.yaml',
      [{ field: 'cluster', description: 'the cluster is not initialized' }],
      'cluster.uninitialized',
    );
  }
  return structuredClone(current);
}

/** Index of the vsvr named `name` (without regard to case, like the model's uniqueness rule). */
export function findVsvr(document: ClusterDocument, name: string): number {
  const lower = name.toLowerCase();
  return (document.vsvrs ?? []).findIndex((v) => v.name.toLowerCase() === lower);
}

/** The vsvr named `name` in a (cloned) document, or NOT_FOUND at `field`. */
export function requireVsvr(document: ClusterDocument, name: string, field: string): VsvrDocument {
  const vsvr = document.vsvrs?.[findVsvr(document, name)];
  if (vsvr === undefined) {
    throw EditRefusal.field(
      'not-found',
      field,
      `no vsvr is named "${name}"; list them with vsnet vsvr list`,
      'vsvr.unknown',
    );
  }
  return vsvr;
}

/** Index of the filer named `name` (names of filers are unique without regard to case). */
export function findFiler(document: ClusterDocument, name: string): number {
  const lower = name.toLowerCase();
  return document.filers.findIndex((f) => f.name.toLowerCase() === lower);
}

/** The filer named `name` in a (cloned) document, or NOT_FOUND at `field`. */
export function requireFiler(
  document: ClusterDocument,
  name: string,
  field: string,
): FilerDocument {
  const filer = document.filers[findFiler(document, name)];
  if (filer === undefined) {
    throw EditRefusal.field(
      'not-found',
      field,
      `no filer is named "${name}"; list them with vsnet filer list`,
      'filer.unknown',
    );
  }
  return filer;
}

/** A required string field of a request: empty is INVALID_ARGUMENT at `field`. */
export function requireText(value: string | undefined, field: string, what: string): string {
  if (value === undefined || value.trim() === '') {
    throw EditRefusal.field('invalid-argument', field, `is required: ${what}`);
  }
  return value;
}

/** `address/prefix`, checked early so the refusal names the request field, not a document path. */
export function requireCidr(value: string | undefined, field: string): string {
  const text = requireText(value, field, 'an address with its prefix length, e.g. 198.51.100.7/24');
  if (!parseCidr(text).ok) {
    throw EditRefusal.field(
      'invalid-argument',
      field,
      `"${text}" is not an address with a prefix length; write it as 198.51.100.7/24 or 2001:db8::7/64`,
      'address.invalid',
    );
  }
  return text;
}

/** One line for audit rows: `data0#1 198.51.100.7/24`. */
export function describeAddress(a: AddressDocument): string {
  const instance = a.instance === undefined ? '' : `#${a.instance}`;
  const mode = a.mode === 'dhcp' ? ' (dhcp)' : '';
  return `${a.alias}${instance} ${a.address}${mode}`;
}

/** One line for audit rows describing a vsvr. */
export function describeVsvr(v: VsvrDocument): string {
  const group = v.failoverGroup === undefined ? 'any filer' : `group ${v.failoverGroup.join(',')}`;
  const policy = v.routingPolicy === undefined ? '' : `, policy ${v.routingPolicy}`;
  const addresses = (v.addresses ?? []).map(describeAddress).join(', ');
  return `${v.name}: ${group}${policy}; addresses: ${addresses === '' ? 'none' : addresses}`;
}
