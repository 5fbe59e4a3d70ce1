import type { ClusterDocument } from '@vsnet/model';
import type { ClusterChange } from './cluster-state.types.js';

/**
 * The key that names an element of each keyed list of a cluster document. Lists not named here
 * (bond members, failover groups, site subnets) are ordered values and compare as a whole.
 */
const LIST_KEYS: Readonly<Record<string, string>> = {
  filers: 'name',
  interfaces: 'name',
  addresses: 'address',
  vsvrs: 'name',
  mysqlNodes: 'role',
  sites: 'name',
  routingPolicies: 'name',
  routes: 'to',
};

/**
 * The changes that turn `before` into `after`, both documents as `encodeClusterDocument` writes
 * them (so two spellings of one value are already equal). `undefined` is the empty database.
 * Order can carry meaning (a vsvr without a failover group prefers filers in document order), so
 * elements present on both sides but in another order are one `change` of the list, whose
 * before/after are the element keys in order.
 */
export function diffClusterDocuments(
  before: ClusterDocument | undefined,
  after: ClusterDocument,
): ClusterChange[] {
  const changes: ClusterChange[] = [];
  const empty = { cluster: {} };
  diffObject(asRecord(before ?? empty), asRecord(after), '', changes);
  return changes.filter((c) => c.path !== 'apiVersion' && c.path !== 'kind');
}

type Rec = Readonly<Record<string, unknown>>;

function diffObject(before: Rec, after: Rec, path: string, out: ClusterChange[]): void {
  const keys = [...Object.keys(after), ...Object.keys(before).filter((k) => !(k in after))];
  for (const key of keys) {
    const at = path === '' ? key : `${path}.${key}`;
    const listKey = LIST_KEYS[key];
    if (listKey !== undefined) {
      diffKeyedList(asList(before[key]), asList(after[key]), listKey, at, out);
    } else {
      diffValue(before[key], after[key], at, out);
    }
  }
}

function diffValue(before: unknown, after: unknown, path: string, out: ClusterChange[]): void {
  if (before === undefined && after === undefined) {
    return;
  }
  if (before === undefined) {
    out.push({ kind: 'add', path, after });
  } else if (after === undefined) {
    out.push({ kind: 'remove', path, before });
  } else if (isRecord(before) && isRecord(after)) {
    diffObject(before, after, path, out);
  } else if (!deepEqual(before, after)) {
    out.push({ kind: 'change', path, before, after });
  }
}

function diffKeyedList(
  before: readonly unknown[],
  after: readonly unknown[],
  key: string,
  path: string,
  out: ClusterChange[],
): void {
  const old = labelled(before, key);
  const next = labelled(after, key);
  const kept = [...old.keys()].filter((label) => next.has(label));
  const keptNext = [...next.keys()].filter((label) => old.has(label));
  if (!deepEqual(kept, keptNext)) {
    out.push({ kind: 'change', path, before: kept, after: keptNext });
  }
  for (const [label, element] of next) {
    const at = `${path}[${label}]`;
    const previous = old.get(label);
    if (previous === undefined) {
      out.push({ kind: 'add', path: at, after: element });
    } else {
      diffValue(previous, element, at, out);
    }
  }
  for (const [label, element] of old) {
    if (!next.has(label)) {
      out.push({ kind: 'remove', path: `${path}[${label}]`, before: element });
    }
  }
}

/**
 * Elements by their key. A key seen again (which validation may allow, e.g. two routes to one
 * destination) is told apart by its occurrence: `0.0.0.0/0`, `0.0.0.0/0#2`.
 */
function labelled(list: readonly unknown[], key: string): Map<string, unknown> {
  const seen = new Map<string, number>();
  const out = new Map<string, unknown>();
  list.forEach((element, index) => {
    const raw = isRecord(element) ? element[key] : undefined;
    const base = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : `#${index}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    out.set(n === 1 ? base : `${base}#${n}`, element);
  });
  return out;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

function isRecord(value: unknown): value is Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asRecord(value: object): Rec {
  return value as Rec;
}

function asList(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}
