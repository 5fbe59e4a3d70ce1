import { expect } from '@jest/globals';
import type {
  AddressDocument,
  ClusterDocument,
  InterfaceDocument,
  VsvrDocument,
} from '../document-types.js';
import type { Path, ProblemCode, Severity } from '../index.js';
import { formatPath } from '../index.js';
import { check } from './analyze-document.js';
import { clusterDoc, filerDoc } from './documents.js';

/**
 * The naming, hierarchy, address, MAC and site rules (§5.2.1-5.2.4, §3.1.3, §5.11), checked the
 * way a user meets them: a document decoded and analyzed. Each case bends the fixture cluster
 * in one place and names the one problem that must come out of it.
 */

export const FILER1_MGMT: AddressDocument = { alias: 'mgmt0', address: '192.0.2.11/24' };
export const FILER2_MGMT: AddressDocument = { alias: 'mgmt0', address: '192.0.2.12/24' };

/** The fixture's interfaces, fresh each time: eth0, eth1, mgmt0 on eth0, data0 on eth1. */
export function base(): InterfaceDocument[] {
  return [...eths(0, 1), { name: 'mgmt0', on: 'eth0' }, { name: 'data0', on: 'eth1' }];
}

/** filer1 with these interfaces (and addresses); filer2 as the fixture has it. */
export function filer1With(
  interfaces: InterfaceDocument[],
  addresses: AddressDocument[] = [{ ...FILER1_MGMT }],
): ClusterDocument {
  return clusterDoc({
    filers: [
      filerDoc('filer1', { interfaces, addresses }),
      filerDoc('filer2', { addresses: [{ ...FILER2_MGMT }] }),
    ],
  });
}

/** Both filers with the same interfaces (copies: no object is shared between them). */
export function bothWith(
  interfaces: InterfaceDocument[],
  overrides: Partial<ClusterDocument> = {},
): ClusterDocument {
  return clusterDoc({
    filers: [
      filerDoc('filer1', {
        interfaces: structuredClone(interfaces),
        addresses: [{ ...FILER1_MGMT }],
      }),
      filerDoc('filer2', {
        interfaces: structuredClone(interfaces),
        addresses: [{ ...FILER2_MGMT }],
      }),
    ],
    ...overrides,
  });
}

export function withVsvrs(...vsvrs: VsvrDocument[]): ClusterDocument {
  return clusterDoc({ vsvrs });
}

export function withMysql(...addresses: AddressDocument[]): ClusterDocument {
  return clusterDoc({ mysqlNodes: [{ role: 'MySQLMgmtNode', addresses }] });
}

/** Both filers' eth0 with the MACs given (as written). */
export function withMacs(mac1: string, mac2: string): ClusterDocument {
  const interfaces = (mac: string): InterfaceDocument[] => [
    { name: 'eth0', mac },
    ...base().slice(1),
  ];
  return clusterDoc({
    filers: [
      filerDoc('filer1', { interfaces: interfaces(mac1), addresses: [{ ...FILER1_MGMT }] }),
      filerDoc('filer2', { interfaces: interfaces(mac2), addresses: [{ ...FILER2_MGMT }] }),
    ],
  });
}

export function withSites(...sites: { name: string; subnets: string[] }[]): ClusterDocument {
  return clusterDoc({ sites });
}

/** A value the document types do not allow: the mistakes a person can make in YAML. */
export function odd<T>(value: Record<string, unknown>): T {
  return value as unknown as T;
}

export interface Refusal {
  title: string;
  doc: unknown;
  code: ProblemCode;
  /** Defaults to error. */
  severity?: Severity;
  path: Path;
  /** What the message must name: the offending interface, address, owner… */
  mentions: string[];
  hint?: RegExp;
}

/** The problem at `path` with `code` exists, is as severe as expected and names the offender. */
export function expectRefusal({
  doc,
  code,
  severity = 'error',
  path,
  mentions,
  hint,
}: Refusal): void {
  const { problems } = check(doc);
  const where = (c: ProblemCode, p: Path): string => `${c} at ${formatPath(p)}`;
  expect(problems.map((p) => where(p.code, p.path))).toContain(where(code, path));
  const found = problems.find(
    (p) => p.code === code && JSON.stringify(p.path) === JSON.stringify(path),
  );
  expect(found?.path).toEqual(path);
  expect(found?.severity).toBe(severity);
  for (const m of mentions) {
    expect(found?.message).toContain(m);
  }
  if (hint) {
    expect(found?.hint).toMatch(hint);
  }
}

/** filer1 with the fixture's interfaces and these after them (from index 4). */
export const f1 = (...extra: InterfaceDocument[]): ClusterDocument =>
  filer1With([...base(), ...extra]);
export const eths = (...n: number[]): InterfaceDocument[] => n.map((i) => ({ name: `eth${i}` }));
export const ifaces = (k: number, ...rest: Path): Path => ['filers', 0, 'interfaces', k, ...rest];

export function vsvrAddress(v: number, k: number, field: string): Path {
  return ['vsvrs', v, 'addresses', k, field];
}
export function filerAddress(f: number, k: number, field: string): Path {
  return ['filers', f, 'addresses', k, field];
}
export const mysqlAddress = (k: number, field: string): Path => [
  'mysqlNodes',
  0,
  'addresses',
  k,
  field,
];
export const onData0 = (
  address: string,
  extra: Partial<AddressDocument> = {},
): AddressDocument => ({
  alias: 'data0',
  address,
  ...extra,
});
export const bonded = (): InterfaceDocument[] => [
  ...base(),
  ...eths(2, 3),
  { name: 'bond0', members: ['eth2', 'eth3'] },
];
