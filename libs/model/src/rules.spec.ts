import { describe, expect, it } from '@jest/globals';
import type {
  AddressDocument,
  ClusterDocument,
  InterfaceDocument,
  VsvrDocument,
} from './document-types.js';
import type { Path, ProblemCode, Severity } from './index.js';
import {
  BOND_MODES,
  addressTable,
  analyzeCluster,
  compileNodeSpec,
  decodeClusterDocument,
  formatPath,
} from './index.js';
import { check } from './testing/analyze-document.js';
import { TEST_CLUSTER_MAC, clusterDoc, filerDoc, vsvrDoc } from './testing/documents.js';

/**
 * The naming, hierarchy, address, MAC and site rules (§5.2.1-5.2.4, §3.1.3, §5.11), checked the
 * way a user meets them: a document decoded and analyzed. Each case bends the fixture cluster
 * in one place and names the one problem that must come out of it.
 */

const FILER1_MGMT: AddressDocument = { alias: 'mgmt0', address: '192.0.2.11/24' };
const FILER2_MGMT: AddressDocument = { alias: 'mgmt0', address: '192.0.2.12/24' };

/** The fixture's interfaces, fresh each time: eth0, eth1, mgmt0 on eth0, data0 on eth1. */
function base(): InterfaceDocument[] {
  return [...eths(0, 1), { name: 'mgmt0', on: 'eth0' }, { name: 'data0', on: 'eth1' }];
}

/** filer1 with these interfaces (and addresses); filer2 as the fixture has it. */
function filer1With(
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
function bothWith(
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

function withVsvrs(...vsvrs: VsvrDocument[]): ClusterDocument {
  return clusterDoc({ vsvrs });
}

function withMysql(...addresses: AddressDocument[]): ClusterDocument {
  return clusterDoc({ mysqlNodes: [{ role: 'MySQLMgmtNode', addresses }] });
}

/** Both filers' eth0 with the MACs given (as written). */
function withMacs(mac1: string, mac2: string): ClusterDocument {
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

function withSites(...sites: { name: string; subnets: string[] }[]): ClusterDocument {
  return clusterDoc({ sites });
}

/** A value the document types do not allow: the mistakes a person can make in YAML. */
function odd<T>(value: Record<string, unknown>): T {
  return value as unknown as T;
}

interface Refusal {
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
function expectRefusal({ doc, code, severity = 'error', path, mentions, hint }: Refusal): void {
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
const f1 = (...extra: InterfaceDocument[]): ClusterDocument => filer1With([...base(), ...extra]);
const eths = (...n: number[]): InterfaceDocument[] => n.map((i) => ({ name: `eth${i}` }));
const ifaces = (k: number, ...rest: Path): Path => ['filers', 0, 'interfaces', k, ...rest];

describe('interface hierarchy (§5.2.1, §5.2.2)', () => {
  it.each<Refusal>([
    {
      title: 'a bond with one member',
      doc: f1(...eths(2), { name: 'bond0', members: ['eth2'] }),
      code: 'interface.members',
      path: ifaces(5, 'members'),
      mentions: ['bond0', '1 member'],
    },
    {
      title: 'a failover interface with one member',
      doc: f1(...eths(2), { name: 'fail0', members: ['eth2'] }),
      code: 'interface.members',
      path: ifaces(5, 'members'),
      mentions: ['fail0', '1 member'],
    },
    {
      title: 'a bond member that does not exist',
      doc: f1(...eths(2), { name: 'bond0', members: ['eth2', 'eth3'] }),
      code: 'interface.unknown',
      path: ifaces(5, 'members', 1),
      mentions: ['bond0', 'eth3'],
    },
    {
      title: 'a bond over a VLAN (bonds aggregate eth#)',
      doc: f1(...eths(2, 3), { name: 'eth2.10' }, { name: 'bond0', members: ['eth2.10', 'eth3'] }),
      code: 'interface.members',
      path: ifaces(7, 'members', 0),
      mentions: ['eth2.10', 'bond0'],
      hint: /physical interfaces \(eth#\)/,
    },
    {
      title: 'a bond over an alias',
      doc: f1(
        ...eths(2, 3),
        { name: 'data1', on: 'eth2' },
        { name: 'bond0', members: ['data1', 'eth3'] },
      ),
      code: 'interface.members',
      path: ifaces(7, 'members', 0),
      mentions: ['data1', 'bond0'],
    },
    {
      title: 'a bond over a bond',
      doc: f1(
        ...eths(2, 3, 4),
        { name: 'bond0', members: ['eth2', 'eth3'] },
        { name: 'bond1', members: ['bond0', 'eth4'] },
      ),
      code: 'interface.members',
      path: ifaces(8, 'members', 0),
      mentions: ['bond0', 'bond1'],
    },
    {
      title: 'a bond over a failover interface',
      doc: f1(
        ...eths(2, 3, 4),
        { name: 'fail0', members: ['eth2', 'eth3'] },
        { name: 'bond0', members: ['fail0', 'eth4'] },
      ),
      code: 'interface.members',
      path: ifaces(8, 'members', 0),
      mentions: ['fail0', 'bond0'],
    },
    {
      title: 'a failover of a failover interface',
      doc: f1(
        ...eths(2, 3, 4),
        { name: 'fail0', members: ['eth2', 'eth3'] },
        { name: 'fail1', members: ['fail0', 'eth4'] },
      ),
      code: 'interface.members',
      path: ifaces(8, 'members', 0),
      mentions: ['fail0', 'fail1'],
      hint: /other failover interfaces/,
    },
    {
      title: 'a failover over an alias',
      doc: f1(...eths(2), { name: 'fail0', members: ['data0', 'eth2'] }),
      code: 'interface.members',
      path: ifaces(5, 'members', 0),
      mentions: ['data0', 'fail0'],
    },
    {
      title: 'a failover over a VLAN of an alias',
      doc: f1(...eths(2), { name: 'data0.5' }, { name: 'fail0', members: ['data0.5', 'eth2'] }),
      code: 'interface.members',
      path: ifaces(6, 'members', 0),
      mentions: ['data0.5', 'fail0'],
    },
    {
      title: 'a member listed twice',
      doc: f1(...eths(2, 3), { name: 'bond0', members: ['eth2', 'eth3', 'eth2'] }),
      code: 'interface.members',
      path: ifaces(6, 'members', 2),
      mentions: ['bond0', 'eth2'],
    },
    {
      title: 'an interface in two bonds (the second is refused)',
      doc: f1(
        ...eths(2, 3, 4),
        { name: 'bond0', members: ['eth2', 'eth3'] },
        { name: 'bond1', members: ['eth3', 'eth4'] },
      ),
      code: 'interface.consumed',
      path: ifaces(8, 'members', 0),
      mentions: ['eth3', 'bond0'],
    },
    {
      title: 'an interface in a bond and a failover interface',
      doc: f1(
        ...eths(2, 3, 4),
        { name: 'bond0', members: ['eth2', 'eth3'] },
        { name: 'fail0', members: ['eth3', 'eth4'] },
      ),
      code: 'interface.consumed',
      path: ifaces(8, 'members', 0),
      mentions: ['eth3', 'bond0'],
    },
    {
      title: 'an alias on a bond member',
      doc: f1(
        ...eths(2, 3),
        { name: 'bond0', members: ['eth2', 'eth3'] },
        { name: 'san0', on: 'eth2' },
      ),
      code: 'interface.consumed',
      path: ifaces(7, 'on'),
      mentions: ['san0', 'eth2', 'bond0'],
    },
    {
      title: 'a VLAN of a bond member',
      doc: f1(...eths(2, 3), { name: 'bond0', members: ['eth2', 'eth3'] }, { name: 'eth2.5' }),
      code: 'interface.consumed',
      path: ifaces(7, 'name'),
      mentions: ['eth2.5', 'eth2', 'bond0'],
    },
    {
      title: 'an alias on an alias',
      doc: f1({ name: 'san0', on: 'data0' }),
      code: 'interface.kind',
      path: ifaces(4, 'on'),
      mentions: ['san0', 'data0'],
    },
    {
      title: 'an alias on a VLAN of an alias',
      doc: f1({ name: 'data0.5' }, { name: 'san0', on: 'data0.5' }),
      code: 'interface.kind',
      path: ifaces(5, 'on'),
      mentions: ['san0', 'data0.5'],
    },
    {
      title: 'an alias on a missing interface',
      doc: f1({ name: 'san0', on: 'eth7' }),
      code: 'interface.unknown',
      path: ifaces(4, 'on'),
      mentions: ['san0', 'eth7'],
    },
    {
      title: 'a VLAN whose parent is missing (eth5.10 with no eth5)',
      doc: f1({ name: 'eth5.10' }),
      code: 'interface.unknown',
      path: ifaces(4, 'name'),
      mentions: ['eth5.10', 'eth5'],
    },
    {
      title: 'a VLAN of an alias that is missing',
      doc: f1({ name: 'data3.5' }),
      code: 'interface.unknown',
      path: ifaces(4, 'name'),
      mentions: ['data3.5', 'data3'],
    },
    {
      title: 'one interface name twice in a filer',
      doc: f1(...eths(0)),
      code: 'name.duplicate',
      path: ifaces(4, 'name'),
      mentions: ['eth0', 'filer1'],
    },
    {
      title: 'one interface name twice in different case (ETH0 and eth0)',
      doc: f1({ name: 'ETH0' }),
      code: 'name.duplicate',
      path: ifaces(4, 'name'),
      mentions: ['eth0', 'filer1'],
    },
    {
      title: 'one alias name twice in different case',
      doc: f1({ name: 'DATA0', on: 'eth0' }),
      code: 'name.duplicate',
      path: ifaces(4, 'name'),
      mentions: ['data0'],
    },
    {
      title: 'a primary that is not a member',
      doc: f1(...eths(2, 3, 4), { name: 'fail0', members: ['eth2', 'eth3'], primary: 'eth4' }),
      code: 'interface.members',
      path: ifaces(7, 'primary'),
      mentions: ['fail0', 'eth4'],
    },
    {
      title: 'an unknown field, with the field it was meant to be (memebrs)',
      doc: f1(...eths(2, 3), odd({ name: 'bond0', memebrs: ['eth2', 'eth3'] })),
      code: 'document.unknown-field',
      path: ifaces(6, 'memebrs'),
      mentions: ['memebrs'],
      hint: /did you mean "members"\?/,
    },
    {
      title: 'an unknown field like no known one',
      doc: f1(odd({ name: 'eth2', speed: 1000 })),
      code: 'document.unknown-field',
      path: ifaces(4, 'speed'),
      mentions: ['speed'],
      hint: /name, mac, mtu/,
    },
    {
      title: 'members on an alias',
      doc: f1({ name: 'san0', on: 'eth0', members: ['eth1'] }),
      code: 'interface.kind',
      path: ifaces(4, 'members'),
      mentions: ['san0', '"members"'],
    },
    {
      title: '"on" on a physical interface',
      doc: filer1With([{ name: 'eth0', on: 'eth1' }, ...base().slice(1)]),
      code: 'interface.kind',
      path: ifaces(0, 'on'),
      mentions: ['eth0', '"on"'],
    },
    {
      title: '"on" on a VLAN',
      doc: f1({ name: 'eth0.5', on: 'eth0' }),
      code: 'interface.kind',
      path: ifaces(4, 'on'),
      mentions: ['eth0.5', '"on"'],
    },
    {
      title: 'a mode on a failover interface',
      doc: f1(...eths(2, 3), { name: 'fail0', members: ['eth2', 'eth3'], mode: 'active-backup' }),
      code: 'interface.kind',
      path: ifaces(6, 'mode'),
      mentions: ['fail0', '"mode"'],
      hint: /always active-backup/,
    },
    {
      title: 'a primary on a bond',
      doc: f1(...eths(2, 3), { name: 'bond0', members: ['eth2', 'eth3'], primary: 'eth2' }),
      code: 'interface.kind',
      path: ifaces(6, 'primary'),
      mentions: ['bond0', '"primary"'],
    },
    {
      title: 'a MAC on an alias',
      doc: filer1With([
        ...base().slice(0, 3),
        { name: 'data0', on: 'eth1', mac: '52:54:00:00:00:09' },
      ]),
      code: 'interface.kind',
      path: ifaces(3, 'mac'),
      mentions: ['data0', '"mac"'],
    },
    {
      title: 'a routing policy on a data alias',
      doc: f1({ name: 'data1', on: 'eth0', routingPolicy: 'p' }),
      code: 'interface.kind',
      path: ifaces(4, 'routingPolicy'),
      mentions: ['data1'],
    },
    {
      title: 'active-backup as a bond mode',
      doc: f1(...eths(2, 3), { name: 'bond0', members: ['eth2', 'eth3'], mode: 'active-backup' }),
      code: 'interface.kind',
      path: ifaces(6, 'mode'),
      mentions: ['active-backup'],
      hint: /failover interface \(fail#\)/,
    },
    {
      title: 'a bond mode that does not exist',
      doc: f1(...eths(2, 3), { name: 'bond0', members: ['eth2', 'eth3'], mode: 'lacp' }),
      code: 'interface.kind',
      path: ifaces(6, 'mode'),
      mentions: ['lacp'],
      hint: /802\.3ad/,
    },
    {
      title: 'an alias not built on anything',
      doc: f1({ name: 'san0' }),
      code: 'document.shape',
      path: ifaces(4, 'on'),
      mentions: ['on'],
    },
    {
      title: 'an interface name outside the rules (em1)',
      doc: f1({ name: 'em1' }),
      code: 'name.invalid',
      path: ifaces(4, 'name'),
      mentions: ['em1'],
    },
    {
      title: 'a member name outside the rules',
      doc: f1(...eths(2), { name: 'bond0', members: ['eth2', 'ens3'] }),
      code: 'name.invalid',
      path: ifaces(5, 'members', 1),
      mentions: ['ens3'],
    },
    {
      title: 'a 16-byte interface name',
      doc: f1({ name: 'bond1000.1000.10' }),
      code: 'name.invalid',
      path: ifaces(4, 'name'),
      mentions: ['bond1000.1000.10', '16 bytes'],
    },
  ])('refuses $title', (c) => expectRefusal(c));

  it('refuses an interface built on itself (fail0 with member fail0.5)', () => {
    const { errors } = check(
      f1(...eths(2), { name: 'fail0', members: ['fail0.5', 'eth2'] }, { name: 'fail0.5' }),
    );
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.map((e) => e.message).join('\n')).toContain('fail0');
  });

  it.each<{ title: string; doc: ClusterDocument }>([
    {
      title: 'fail0 built of bond0.10 and bond1.10 (§5.2.2)',
      doc: bothWith([
        ...eths(0, 1, 2, 3),
        { name: 'bond0', members: ['eth0', 'eth1'] },
        { name: 'bond1', members: ['eth2', 'eth3'] },
        { name: 'bond0.10' },
        { name: 'bond1.10' },
        { name: 'fail0', members: ['bond0.10', 'bond1.10'], primary: 'bond0.10' },
        { name: 'mgmt0', on: 'fail0' },
        { name: 'data0', on: 'fail0' },
      ]),
    },
    {
      title: 'a failover over two bonds',
      doc: bothWith([
        ...eths(0, 1, 2, 3),
        { name: 'bond0', members: ['eth0', 'eth1'] },
        { name: 'bond1', members: ['eth2', 'eth3'] },
        { name: 'fail0', members: ['bond0', 'bond1'] },
        { name: 'mgmt0', on: 'fail0' },
        { name: 'data0', on: 'fail0' },
      ]),
    },
    {
      title: 'a failover over two VLANs of physical interfaces',
      doc: bothWith([
        ...eths(0, 1),
        { name: 'eth0.10' },
        { name: 'eth1.10' },
        { name: 'fail0', members: ['eth0.10', 'eth1.10'] },
        { name: 'mgmt0', on: 'eth0' },
        { name: 'data0', on: 'fail0' },
      ]),
    },
    {
      title: 'a VLAN of a failover interface carrying an alias',
      doc: bothWith([
        ...eths(0, 1),
        { name: 'fail0', members: ['eth0', 'eth1'], primary: 'eth1' },
        { name: 'fail0.5' },
        { name: 'mgmt0', on: 'fail0' },
        { name: 'data0', on: 'fail0.5' },
      ]),
    },
    {
      title: 'management and data on separate VLANs of one bond (§3.2.1)',
      doc: bothWith([
        ...eths(0, 1),
        { name: 'bond0', members: ['eth0', 'eth1'] },
        { name: 'bond0.10' },
        { name: 'bond0.20' },
        { name: 'mgmt0', on: 'bond0.10' },
        { name: 'data0', on: 'bond0.20' },
        { name: 'san0', on: 'bond0' },
      ]),
    },
    {
      title: 'a VLAN on an alias (data0.5), with vsvr addresses on it',
      doc: bothWith([...base(), { name: 'data0.5' }], {
        vsvrs: [
          vsvrDoc('vs1', {
            failoverGroup: ['filer1', 'filer2'],
            addresses: [
              { alias: 'data0', address: '198.51.100.10/24' },
              { alias: 'data0.5', address: '203.0.113.10/24' },
            ],
          }),
        ],
      }),
    },
    {
      title: 'a single-interface filer: mgmt0, data0 and san0 all on eth0 (§3.1.1)',
      doc: clusterDoc({
        filers: [
          filerDoc('filer1', {
            interfaces: [
              ...eths(0),
              { name: 'mgmt0', on: 'eth0' },
              { name: 'data0', on: 'eth0' },
              { name: 'san0', on: 'eth0' },
            ],
            addresses: [{ ...FILER1_MGMT }, { alias: 'san0', address: '203.0.113.11/24' }],
          }),
        ],
        vsvrs: [vsvrDoc('vs1', { addresses: [{ alias: 'data0', address: '198.51.100.10/24' }] })],
      }),
    },
    {
      title: 'names written in capitals',
      doc: clusterDoc({
        filers: [
          filerDoc('filer1', {
            interfaces: [
              { name: 'ETH0' },
              { name: 'Eth1' },
              { name: 'MGMT0', on: 'ETH0' },
              { name: 'Data0', on: 'eth1' },
            ],
            addresses: [{ alias: 'MGMT0', address: '192.0.2.11/24' }],
          }),
          filerDoc('filer2', { addresses: [{ ...FILER2_MGMT }] }),
        ],
        vsvrs: [
          vsvrDoc('vs1', {
            failoverGroup: ['FILER1', 'filer2'],
            addresses: [{ alias: 'DATA0', address: '198.51.100.10/24' }],
          }),
        ],
      }),
    },
    {
      title: 'a 15-byte stacked VLAN name carrying an alias',
      doc: bothWith([
        ...base(),
        ...eths(2, 3),
        { name: 'bond100', members: ['eth2', 'eth3'] },
        { name: 'bond100.1000' },
        { name: 'bond100.1000.10' },
        { name: 'data1', on: 'bond100.1000.10' },
      ]),
    },
    {
      title: 'a filer address on a VLAN of an mgmt# alias',
      doc: clusterDoc({
        filers: [
          filerDoc('filer1', {
            interfaces: [...base(), { name: 'mgmt0.5' }],
            addresses: [{ alias: 'mgmt0.5', address: '192.0.2.11/24' }],
          }),
          filerDoc('filer2', { addresses: [{ ...FILER2_MGMT }] }),
        ],
      }),
    },
  ])('accepts $title', ({ doc }) => {
    expect(check(doc).problems).toEqual([]);
  });

  it.each([...BOND_MODES, 'BALANCE-ALB'])('accepts bond mode %s', (mode) => {
    const doc = bothWith([
      ...eths(0, 1),
      { name: 'bond0', members: ['eth0', 'eth1'], mode },
      { name: 'mgmt0', on: 'bond0' },
      { name: 'data0', on: 'bond0' },
    ]);
    const { cluster, problems } = check(doc);
    expect(problems).toEqual([]);
    const bond = cluster.filers[0]?.interfaces.find((i) => i.name === 'bond0');
    expect(bond?.bondMode).toBe(mode.toLowerCase());
  });
});

describe('MTU', () => {
  it.each<Refusal>([
    {
      title: 'an alias above its physical interface (9000 on 1500)',
      doc: filer1With([...base().slice(0, 3), { name: 'data0', on: 'eth1', mtu: 9000 }]),
      code: 'interface.mtu',
      path: ifaces(3, 'mtu'),
      mentions: ['data0', '9000', 'eth1', '1500'],
    },
    {
      title: 'a VLAN above its parent',
      doc: f1({ name: 'eth0.5', mtu: 9000 }),
      code: 'interface.mtu',
      path: ifaces(4, 'mtu'),
      mentions: ['eth0.5', '9000', 'eth0'],
    },
    {
      title: 'a bond above its members',
      doc: f1(...eths(2, 3), { name: 'bond0', members: ['eth2', 'eth3'], mtu: 9000 }),
      code: 'interface.mtu',
      path: ifaces(6, 'mtu'),
      mentions: ['bond0', '9000', '1500'],
    },
    {
      title: 'an alias above a bond that inherited its smallest member',
      doc: f1(
        { name: 'eth2', mtu: 9000 },
        { name: 'eth3', mtu: 1500 },
        { name: 'bond0', members: ['eth2', 'eth3'] },
        { name: 'san0', on: 'bond0', mtu: 9000 },
      ),
      code: 'interface.mtu',
      path: ifaces(7, 'mtu'),
      mentions: ['san0', '9000', '1500', 'bond0'],
    },
    {
      title: 'an MTU above 65535',
      doc: f1({ name: 'eth2', mtu: 70000 }),
      code: 'document.shape',
      path: ifaces(4, 'mtu'),
      mentions: ['mtu', '65535'],
    },
  ])('refuses $title', (c) => expectRefusal(c));

  it('gives an alias without an MTU its lower interface’s (eth0 9000 → data0 9000)', () => {
    const { cluster, analysis, problems } = check(
      bothWith([
        { name: 'eth0', mtu: 9000 },
        ...eths(1),
        { name: 'mgmt0', on: 'eth1' },
        { name: 'data0', on: 'eth0' },
      ]),
    );
    expect(problems).toEqual([]);
    const spec = compileNodeSpec(cluster, 'filer1', analysis);
    expect(spec.aliases.find((a) => a.name === 'data0')?.mtu).toBe(9000);
    expect(spec.aliases.find((a) => a.name === 'mgmt0')?.mtu).toBe(1500);
    expect(spec.vsvrs.find((v) => v.name === 'vs1')?.interfaces).toEqual([
      expect.objectContaining({ name: 'data0', mtu: 9000 }),
    ]);
  });

  it('accepts a jumbo data0 and a 1500 mgmt0 on one eth0', () => {
    const { cluster, analysis, problems } = check(
      bothWith([
        { name: 'eth0', mtu: 9000 },
        ...eths(1),
        { name: 'mgmt0', on: 'eth0', mtu: 1500 },
        { name: 'data0', on: 'eth0' },
      ]),
    );
    expect(problems).toEqual([]);
    const spec = compileNodeSpec(cluster, 'filer1', analysis);
    expect(spec.links.find((l) => l.name === 'eth0')?.mtu).toBe(9000);
    expect(spec.aliases.map((a) => [a.name, a.lower, a.mtu])).toEqual([
      ['data0', 'eth0', 9000],
      ['mgmt0', 'eth0', 1500],
    ]);
  });

  it('gives a bond its smallest member’s MTU, and what is built on it the same', () => {
    const { cluster, analysis, problems } = check(
      bothWith([
        { name: 'eth0', mtu: 9000 },
        { name: 'eth1', mtu: 4000 },
        { name: 'bond0', members: ['eth0', 'eth1'] },
        { name: 'bond0.7' },
        { name: 'mgmt0', on: 'bond0' },
        { name: 'data0', on: 'bond0.7' },
      ]),
    );
    expect(problems).toEqual([]);
    const spec = compileNodeSpec(cluster, 'filer1', analysis);
    expect(spec.links.map((l) => [l.name, l.mtu])).toEqual([
      ['eth0', 9000],
      ['eth1', 4000],
      ['bond0', 4000],
      ['bond0.7', 4000],
    ]);
    expect(spec.aliases.map((a) => [a.name, a.mtu])).toEqual([
      ['mgmt0', 4000],
      ['data0', 4000],
    ]);
  });
});

function vsvrAddress(v: number, k: number, field: string): Path {
  return ['vsvrs', v, 'addresses', k, field];
}
function filerAddress(f: number, k: number, field: string): Path {
  return ['filers', f, 'addresses', k, field];
}
const mysqlAddress = (k: number, field: string): Path => ['mysqlNodes', 0, 'addresses', k, field];
const onData0 = (address: string, extra: Partial<AddressDocument> = {}): AddressDocument => ({
  alias: 'data0',
  address,
  ...extra,
});
const bonded = (): InterfaceDocument[] => [
  ...base(),
  ...eths(2, 3),
  { name: 'bond0', members: ['eth2', 'eth3'] },
];

describe('addresses (§5.2.3, §5.11)', () => {
  it.each<Refusal>([
    {
      title: 'a filer address on eth0 directly',
      doc: filer1With(base(), [{ alias: 'eth0', address: '192.0.2.11/24' }]),
      code: 'address.not-on-alias',
      path: filerAddress(0, 0, 'alias'),
      mentions: ['eth0'],
    },
    {
      title: 'a filer address on a bond member',
      doc: filer1With(bonded(), [{ ...FILER1_MGMT }, { alias: 'eth2', address: '192.0.2.13/24' }]),
      code: 'address.not-on-alias',
      path: filerAddress(0, 1, 'alias'),
      mentions: ['eth2'],
    },
    {
      title: 'a filer address on a bond',
      doc: filer1With(bonded(), [{ ...FILER1_MGMT }, { alias: 'bond0', address: '192.0.2.13/24' }]),
      code: 'address.not-on-alias',
      path: filerAddress(0, 1, 'alias'),
      mentions: ['bond0'],
    },
    {
      title: 'a filer address on a VLAN of a physical interface',
      doc: filer1With(
        [...base(), { name: 'eth0.5' }],
        [{ alias: 'eth0.5', address: '192.0.2.11/24' }],
      ),
      code: 'address.not-on-alias',
      path: filerAddress(0, 0, 'alias'),
      mentions: ['eth0.5'],
    },
    {
      title: 'a vsvr address on eth1',
      doc: withVsvrs(
        vsvrDoc('vs1', { addresses: [{ alias: 'eth1', address: '198.51.100.10/24' }] }),
      ),
      code: 'address.not-on-alias',
      path: vsvrAddress(0, 0, 'alias'),
      mentions: ['eth1'],
    },
    {
      title: 'a MySQL node address on eth0',
      doc: withMysql({ alias: 'eth0', address: '192.0.2.60/24' }),
      code: 'address.not-on-alias',
      path: mysqlAddress(0, 'alias'),
      mentions: ['eth0'],
    },
    {
      title: 'a data0 address under a filer',
      doc: filer1With(base(), [{ ...FILER1_MGMT }, onData0('198.51.100.50/24')]),
      code: 'address.owner',
      path: filerAddress(0, 1, 'alias'),
      mentions: ['data0', 'filer1'],
    },
    {
      title: 'a data0.5 address under a filer',
      doc: filer1With(
        [...base(), { name: 'data0.5' }],
        [{ ...FILER1_MGMT }, { alias: 'data0.5', address: '203.0.113.50/24' }],
      ),
      code: 'address.owner',
      path: filerAddress(0, 1, 'alias'),
      mentions: ['data0.5', 'filer1'],
    },
    {
      title: 'an mgmt0 address under a vsvr',
      doc: withVsvrs(vsvrDoc('vs1', { addresses: [{ alias: 'mgmt0', address: '192.0.2.50/24' }] })),
      code: 'address.owner',
      path: vsvrAddress(0, 0, 'alias'),
      mentions: ['mgmt0', 'vs1'],
    },
    {
      title: 'a san0 address under a vsvr',
      doc: withVsvrs(
        vsvrDoc('vs1', { addresses: [{ alias: 'san0', address: '203.0.113.50/24' }] }),
      ),
      code: 'address.owner',
      path: vsvrAddress(0, 0, 'alias'),
      mentions: ['san0', 'vs1'],
    },
    {
      title: 'a MySQL node on data0',
      doc: withMysql(onData0('192.0.2.60/24')),
      code: 'address.owner',
      path: mysqlAddress(0, 'alias'),
      mentions: ['data0', 'MySQLMgmtNode'],
    },
    {
      title: 'a MySQL node on san0',
      doc: withMysql({ alias: 'san0', address: '192.0.2.60/24' }),
      code: 'address.owner',
      path: mysqlAddress(0, 'alias'),
      mentions: ['san0', 'MySQLMgmtNode'],
    },
    {
      title: 'the same IPv4 address on two vsvrs',
      doc: withVsvrs(
        vsvrDoc('vs1', { addresses: [onData0('198.51.100.10/24')] }),
        vsvrDoc('vs2', { addresses: [onData0('198.51.100.10/24')] }),
      ),
      code: 'address.duplicate',
      path: vsvrAddress(1, 0, 'address'),
      mentions: ['198.51.100.10', 'vs1', 'vs2'],
    },
    {
      title: 'the same IPv6 address written two ways on a vsvr and a filer',
      doc: clusterDoc({
        filers: [
          filerDoc('filer1', {
            addresses: [{ alias: 'mgmt0', address: '2001:0db8:0:0:0:0:0:1/64' }],
          }),
          filerDoc('filer2', { addresses: [{ ...FILER2_MGMT }] }),
        ],
        vsvrs: [vsvrDoc('vs1', { addresses: [onData0('2001:db8::1/64')] })],
      }),
      code: 'address.duplicate',
      path: vsvrAddress(0, 0, 'address'),
      mentions: ['2001:db8::1', 'vs1', 'filer1'],
    },
    {
      title: 'the same address with different prefix lengths',
      doc: withVsvrs(
        vsvrDoc('vs1', { addresses: [onData0('198.51.100.10/24')] }),
        vsvrDoc('vs2', { addresses: [onData0('198.51.100.10/25')] }),
      ),
      code: 'address.duplicate',
      path: vsvrAddress(1, 0, 'address'),
      mentions: ['198.51.100.10', 'vs1', 'vs2'],
    },
    {
      title: 'the same address twice on one vsvr',
      doc: withVsvrs(
        vsvrDoc('vs1', { addresses: [onData0('198.51.100.10/24'), onData0('198.51.100.10/24')] }),
      ),
      code: 'address.duplicate',
      path: vsvrAddress(0, 1, 'address'),
      mentions: ['198.51.100.10', 'vs1'],
    },
    {
      title: 'the same mgmt0 address on two filers',
      doc: clusterDoc({
        filers: [
          filerDoc('filer1', { addresses: [{ ...FILER1_MGMT }] }),
          filerDoc('filer2', { addresses: [{ ...FILER1_MGMT }] }),
        ],
      }),
      code: 'address.duplicate',
      path: filerAddress(1, 0, 'address'),
      mentions: ['192.0.2.11', 'filer1', 'filer2'],
    },
    {
      title: 'a MySQL node address that a filer has',
      doc: withMysql({ alias: 'mgmt0', address: '192.0.2.11/24' }),
      code: 'address.duplicate',
      path: mysqlAddress(0, 'address'),
      mentions: ['192.0.2.11', 'MySQLMgmtNode', 'filer1'],
    },
    {
      title: 'the network address of a /24',
      doc: withVsvrs(vsvrDoc('vs1', { addresses: [onData0('198.51.100.0/24')] })),
      code: 'address.host',
      path: vsvrAddress(0, 0, 'address'),
      mentions: ['198.51.100.0', 'network'],
    },
    {
      title: 'the broadcast address of a /24',
      doc: withVsvrs(vsvrDoc('vs1', { addresses: [onData0('198.51.100.255/24')] })),
      code: 'address.host',
      path: vsvrAddress(0, 0, 'address'),
      mentions: ['198.51.100.255', 'broadcast'],
    },
    {
      title: 'a filer’s mgmt0 on a network address',
      doc: filer1With(base(), [{ alias: 'mgmt0', address: '192.0.2.0/24' }]),
      code: 'address.host',
      path: filerAddress(0, 0, 'address'),
      mentions: ['192.0.2.0', 'network', 'filer1'],
    },
    {
      title: 'the IPv6 subnet-router anycast address',
      doc: withVsvrs(vsvrDoc('vs1', { addresses: [onData0('2001:db8::/64')] })),
      code: 'address.host',
      path: vsvrAddress(0, 0, 'address'),
      mentions: ['2001:db8::', 'anycast'],
    },
    {
      title: 'an address without a prefix length',
      doc: withVsvrs(vsvrDoc('vs1', { addresses: [onData0('198.51.100.10')] })),
      code: 'address.invalid',
      path: vsvrAddress(0, 0, 'address'),
      mentions: ['198.51.100.10', 'prefix'],
    },
    {
      title: 'an address with a leading zero in an octet',
      doc: withVsvrs(vsvrDoc('vs1', { addresses: [onData0('198.51.100.010/24')] })),
      code: 'address.invalid',
      path: vsvrAddress(0, 0, 'address'),
      mentions: ['198.51.100.010', 'leading zero'],
    },
    {
      title: 'a filer address on an alias the filer lacks',
      doc: filer1With(base(), [{ ...FILER1_MGMT }, { alias: 'san0', address: '203.0.113.11/24' }]),
      code: 'interface.unknown',
      path: filerAddress(0, 1, 'alias'),
      mentions: ['filer1', 'san0'],
    },
    {
      title: 'a MySQL node on an mgmt# alias no filer has',
      doc: withMysql({ alias: 'mgmt1', address: '192.0.2.60/24' }),
      code: 'interface.unknown',
      path: mysqlAddress(0, 'alias'),
      mentions: ['mgmt1', 'MySQLMgmtNode'],
    },
    {
      title: 'one explicit instance twice on one alias',
      doc: withVsvrs(
        vsvrDoc('vs1', {
          addresses: [
            onData0('198.51.100.10/24', { instance: 1 }),
            onData0('198.51.100.11/24', { instance: 1 }),
          ],
        }),
      ),
      code: 'address.instance',
      path: vsvrAddress(0, 1, 'instance'),
      mentions: ['vs1', 'data0', 'instance 1'],
    },
    {
      title: 'an address mode that is neither static nor dhcp',
      doc: withVsvrs(
        vsvrDoc('vs1', {
          addresses: [odd({ alias: 'data0', address: '198.51.100.10/24', mode: 'fixed' })],
        }),
      ),
      code: 'document.shape',
      path: vsvrAddress(0, 0, 'mode'),
      mentions: ['fixed'],
    },
  ])('refuses $title', (c) => expectRefusal(c));

  it.each<{ title: string; doc: ClusterDocument }>([
    {
      title: 'both addresses of a /31 and a /32',
      doc: withVsvrs(
        vsvrDoc('vs1', { addresses: [onData0('198.51.100.0/31'), onData0('198.51.100.1/31')] }),
        vsvrDoc('vs2', { addresses: [onData0('198.51.100.2/32')] }),
      ),
    },
    {
      title: 'a MySQL node on mgmt0',
      doc: withMysql({ alias: 'mgmt0', address: '192.0.2.60/24' }),
    },
    {
      title: 'one address per family on one alias',
      doc: withVsvrs(
        vsvrDoc('vs1', { addresses: [onData0('198.51.100.10/24'), onData0('2001:db8::10/64')] }),
      ),
    },
  ])('accepts $title', ({ doc }) => {
    expect(check(doc).problems).toEqual([]);
  });

  it('numbers implicit instances from 0 per alias (§5.2.6.3)', () => {
    const doc = bothWith([...base(), { name: 'data0.5' }], {
      vsvrs: [
        vsvrDoc('vs1', {
          addresses: [
            onData0('198.51.100.10/24'),
            { alias: 'data0.5', address: '203.0.113.10/24' },
            onData0('198.51.100.11/24'),
            { alias: 'data0.5', address: '203.0.113.11/24' },
          ],
        }),
      ],
    });
    const { cluster, analysis, problems } = check(doc);
    expect(problems).toEqual([]);
    const rows = addressTable(cluster, analysis).filter((r) => r.ownerKind === 'vsvr');
    expect(rows.map((r) => [r.identifier, r.address])).toEqual([
      ['00:07:34:04:12:0e:data0:vs1:0', '198.51.100.10/24'],
      ['00:07:34:04:12:0e:data0.5:vs1:0', '203.0.113.10/24'],
      ['00:07:34:04:12:0e:data0:vs1:1', '198.51.100.11/24'],
      ['00:07:34:04:12:0e:data0.5:vs1:1', '203.0.113.11/24'],
    ]);
  });

  it('gives an implicit instance the lowest number no explicit one has', () => {
    const doc = withVsvrs(
      vsvrDoc('vs1', {
        addresses: [onData0('198.51.100.10/24'), onData0('198.51.100.11/24', { instance: 0 })],
      }),
    );
    const { cluster, analysis, problems } = check(doc);
    expect(problems).toEqual([]);
    expect(
      addressTable(cluster, analysis)
        .filter((r) => r.owner === 'vs1')
        .map((r) => r.identifier),
    ).toEqual(['00:07:34:04:12:0e:data0:vs1:1', '00:07:34:04:12:0e:data0:vs1:0']);
  });
});

describe('MAC addresses (§5.2.4)', () => {
  it.each([TEST_CLUSTER_MAC, '00-07-34-04-12-0E', '0007.3404.120E', '00:07:34:04:12:0e'])(
    'stores the cluster MAC %s in lower case and starts every identifier with it',
    (mac) => {
      const { cluster, analysis, problems } = check(clusterDoc({ cluster: { name: 'test', mac } }));
      expect(problems).toEqual([]);
      expect(cluster.mac).toBe('00:07:34:04:12:0e');
      const identifiers = addressTable(cluster, analysis).map((r) => r.identifier);
      expect(identifiers).toHaveLength(3);
      for (const id of identifiers) {
        expect(id.startsWith('00:07:34:04:12:0e:')).toBe(true);
      }
    },
  );

  it.each<Refusal>([
    {
      title: 'a cluster MAC of five octets',
      doc: clusterDoc({ cluster: { name: 'test', mac: '00:07:34:04:12' } }),
      code: 'mac.invalid',
      path: ['cluster', 'mac'],
      mentions: ['00:07:34:04:12'],
    },
    {
      title: 'a cluster MAC that is not hex',
      doc: clusterDoc({ cluster: { name: 'test', mac: '00:07:34:04:12:0g' } }),
      code: 'mac.invalid',
      path: ['cluster', 'mac'],
      mentions: ['00:07:34:04:12:0g'],
    },
    {
      title: 'a multicast cluster MAC',
      doc: clusterDoc({ cluster: { name: 'test', mac: '01:00:5E:00:00:01' } }),
      code: 'mac.invalid',
      path: ['cluster', 'mac'],
      mentions: ['01:00:5e:00:00:01', 'multicast'],
    },
    {
      title: 'the broadcast MAC as cluster MAC',
      doc: clusterDoc({ cluster: { name: 'test', mac: 'ff:ff:ff:ff:ff:ff' } }),
      code: 'mac.invalid',
      path: ['cluster', 'mac'],
      mentions: ['multicast'],
    },
    {
      title: 'an all-zero cluster MAC',
      doc: clusterDoc({ cluster: { name: 'test', mac: '00:00:00:00:00:00' } }),
      code: 'mac.invalid',
      path: ['cluster', 'mac'],
      mentions: ['zeros'],
    },
    {
      title: 'no cluster MAC',
      doc: clusterDoc({ cluster: odd({ name: 'test' }) }),
      code: 'document.shape',
      path: ['cluster', 'mac'],
      mentions: ['mac'],
    },
    {
      title: 'one physical MAC on two filers, written two ways',
      doc: withMacs('52:54:00:00:00:01', '52-54-00-00-00-01'),
      code: 'mac.duplicate',
      path: ['filers', 1, 'interfaces', 0, 'mac'],
      mentions: ['52:54:00:00:00:01', 'filer1', 'filer2'],
    },
    {
      title: 'one physical MAC on two interfaces of a filer',
      doc: filer1With([
        { name: 'eth0', mac: '52:54:00:00:00:0a' },
        { name: 'eth1', mac: '5254.0000.000A' },
        ...base().slice(2),
      ]),
      code: 'mac.duplicate',
      path: ifaces(1, 'mac'),
      mentions: ['52:54:00:00:00:0a', 'eth0', 'eth1'],
    },
    {
      title: 'a physical MAC equal to the cluster MAC',
      doc: withMacs('0007.3404.120e', '52:54:00:00:00:02'),
      code: 'mac.duplicate',
      path: ['filers', 0, 'interfaces', 0, 'mac'],
      mentions: ['00:07:34:04:12:0e', 'cluster MAC'],
    },
    {
      title: 'a physical MAC that is not a MAC',
      doc: withMacs('52:54:00:00:00', '52:54:00:00:00:02'),
      code: 'mac.invalid',
      path: ['filers', 0, 'interfaces', 0, 'mac'],
      mentions: ['eth0', '52:54:00:00:00'],
    },
    {
      title: 'a multicast physical MAC',
      doc: withMacs('33:33:00:00:00:01', '52:54:00:00:00:02'),
      code: 'mac.invalid',
      path: ['filers', 0, 'interfaces', 0, 'mac'],
      mentions: ['eth0', 'multicast'],
    },
  ])('refuses $title', (c) => expectRefusal(c));

  it('accepts distinct physical MACs and stores them lower case', () => {
    const { cluster, problems } = check(withMacs('52:54:00:00:00:0A', '5254.0000.000b'));
    expect(problems).toEqual([]);
    expect(cluster.filers.map((f) => f.interfaces[0]?.mac)).toEqual([
      '52:54:00:00:00:0a',
      '52:54:00:00:00:0b',
    ]);
  });
});

describe('sites (§3.1.3)', () => {
  it.each<Refusal>([
    {
      title: 'overlapping subnets in two sites',
      doc: withSites(
        { name: 'east', subnets: ['10.0.0.0/8'] },
        { name: 'west', subnets: ['10.2.0.0/16'] },
      ),
      code: 'site.overlap',
      path: ['sites', 1, 'subnets', 0],
      mentions: ['10.2.0.0/16', 'west', '10.0.0.0/8', 'east'],
    },
    {
      title: 'overlapping subnets within one site',
      doc: withSites({ name: 'east', subnets: ['10.0.0.0/16', '10.0.128.0/17'] }),
      code: 'site.overlap',
      path: ['sites', 0, 'subnets', 1],
      mentions: ['10.0.128.0/17', '10.0.0.0/16', 'east'],
    },
    {
      title: 'one subnet in two sites',
      doc: withSites(
        { name: 'east', subnets: ['10.0.0.0/16'] },
        { name: 'west', subnets: ['10.0.0.0/16'] },
      ),
      code: 'site.overlap',
      path: ['sites', 1, 'subnets', 0],
      mentions: ['10.0.0.0/16', 'west', 'east'],
    },
    {
      title: 'overlapping IPv6 subnets in two sites',
      doc: withSites(
        { name: 'east', subnets: ['2001:db8::/32'] },
        { name: 'west', subnets: ['2001:DB8:1::/48'] },
      ),
      code: 'site.overlap',
      path: ['sites', 1, 'subnets', 0],
      mentions: ['2001:db8:1::/48', '2001:db8::/32'],
    },
    {
      title: 'a subnet with host bits set',
      doc: withSites({ name: 'east', subnets: ['10.0.0.1/16'] }),
      code: 'address.invalid',
      path: ['sites', 0, 'subnets', 0],
      mentions: ['10.0.0.1/16', 'host bits'],
      hint: /10\.0\.0\.0\/16/,
    },
    {
      title: 'an IPv6 subnet with host bits set',
      doc: withSites({ name: 'east', subnets: ['2001:db8::1/64'] }),
      code: 'address.invalid',
      path: ['sites', 0, 'subnets', 0],
      mentions: ['2001:db8::1/64', 'host bits'],
      hint: /2001:db8::\/64/,
    },
    {
      title: 'a subnet without a prefix length',
      doc: withSites({ name: 'east', subnets: ['10.0.0.0'] }),
      code: 'address.invalid',
      path: ['sites', 0, 'subnets', 0],
      mentions: ['10.0.0.0', 'prefix'],
    },
    {
      title: 'a subnet that is not text',
      doc: withSites(odd({ name: 'east', subnets: [42] })),
      code: 'site.invalid',
      path: ['sites', 0, 'subnets', 0],
      mentions: ['subnet'],
    },
    {
      title: 'one site name twice, in different case',
      doc: withSites(
        { name: 'east', subnets: ['10.0.0.0/16'] },
        { name: 'EAST', subnets: ['10.1.0.0/16'] },
      ),
      code: 'name.duplicate',
      path: ['sites', 1, 'name'],
      mentions: ['EAST'],
    },
    {
      title: 'a site name with a space',
      doc: withSites({ name: 'east side', subnets: ['10.0.0.0/16'] }),
      code: 'name.invalid',
      path: ['sites', 0, 'name'],
      mentions: ['east side'],
    },
  ])('refuses $title', (c) => expectRefusal(c));

  it('accepts adjacent and mixed-family subnets', () => {
    const doc = withSites(
      { name: 'east', subnets: ['192.0.2.0/25', '2001:db8:1::/48'] },
      { name: 'west', subnets: ['192.0.2.128/25', '2001:db8:2::/48', '198.51.100.0/24'] },
    );
    expect(check(doc).problems).toEqual([]);
  });

  it('resolves each address to its site, and an address outside every site to none', () => {
    const doc = clusterDoc({
      sites: [
        { name: 'east', subnets: ['192.0.2.0/25', '2001:db8:1::/48'] },
        { name: 'west', subnets: ['192.0.2.128/25', '198.51.100.0/24'] },
      ],
      filers: [
        filerDoc('filer1', { addresses: [{ ...FILER1_MGMT }] }),
        filerDoc('filer2', { addresses: [{ alias: 'mgmt0', address: '192.0.2.130/24' }] }),
      ],
      vsvrs: [
        vsvrDoc('vs1', {
          addresses: [
            onData0('198.51.100.10/24'),
            onData0('203.0.113.10/24'),
            onData0('2001:db8:1::10/64'),
          ],
        }),
      ],
    });
    const { cluster, analysis, problems } = check(doc);
    expect(problems).toEqual([]);
    const sites = Object.fromEntries(
      addressTable(cluster, analysis).map((r) => [r.address, r.site ?? null]),
    );
    expect(sites).toEqual({
      '198.51.100.10/24': 'west',
      '203.0.113.10/24': null,
      '2001:db8:1::10/64': 'east',
      '192.0.2.11/24': 'east',
      '192.0.2.130/24': 'west',
    });
  });
});

describe('names of filers and vsvrs', () => {
  it.each<Refusal>([
    {
      title: 'a filer name with a space',
      doc: clusterDoc({
        filers: [filerDoc('filer 1', { addresses: [{ ...FILER1_MGMT }] })],
        vsvrs: [],
      }),
      code: 'name.invalid',
      path: ['filers', 0, 'name'],
      mentions: ['filer 1'],
    },
    {
      title: 'one filer name twice, in different case',
      doc: clusterDoc({
        filers: [filerDoc('filer1', { addresses: [{ ...FILER1_MGMT }] }), filerDoc('FILER1')],
        vsvrs: [],
      }),
      code: 'name.duplicate',
      path: ['filers', 1, 'name'],
      mentions: ['FILER1'],
    },
    ...['VS_MGMT', 'vs_mgmt2', 'Vs_Mgmt_backup'].map((name): Refusal => ({
      title: `the vsvr name ${name} (reserved)`,
      doc: withVsvrs(vsvrDoc(name)),
      code: 'name.reserved',
      path: ['vsvrs', 0, 'name'],
      mentions: [name, 'vs_mgmt'],
    })),
  ])('refuses $title', (c) => expectRefusal(c));

  it.each(['vs_mgmt', 'vsmgmt'])('accepts the vsvr name %s', (name) => {
    expect(check(withVsvrs(vsvrDoc(name))).problems).toEqual([]);
  });
});

describe('document shape', () => {
  const without = (key: keyof ClusterDocument): unknown => {
    const doc: Partial<ClusterDocument> = clusterDoc();
    delete doc[key];
    return doc;
  };

  it.each<Refusal>([
    ...[[], 'apiVersion: vsnet/v1', null, 42].map((doc): Refusal => ({
      title: `a document that is ${JSON.stringify(doc)}, not a mapping`,
      doc,
      code: 'document.shape',
      path: [],
      mentions: ['mapping'],
    })),
    {
      title: 'a document without apiVersion',
      doc: without('apiVersion'),
      code: 'document.shape',
      path: ['apiVersion'],
      mentions: ['apiVersion'],
    },
    {
      title: 'another apiVersion',
      doc: { ...clusterDoc(), apiVersion: 'vsnet/v2' },
      code: 'document.shape',
      path: ['apiVersion'],
      mentions: ['vsnet/v2'],
      hint: /vsnet\/v1/,
    },
    {
      title: 'the wrong kind',
      doc: { ...clusterDoc(), kind: 'Filer' },
      code: 'document.shape',
      path: ['kind'],
      mentions: ['Filer'],
      hint: /Cluster/,
    },
    {
      title: 'a document without cluster',
      doc: without('cluster'),
      code: 'document.shape',
      path: ['cluster'],
      mentions: ['cluster'],
    },
    {
      title: 'a document without filers',
      doc: without('filers'),
      code: 'document.shape',
      path: ['filers'],
      mentions: ['filers'],
    },
    {
      title: 'filers that are not a list',
      doc: { ...clusterDoc(), filers: { name: 'filer1' } },
      code: 'document.shape',
      path: ['filers'],
      mentions: ['filers', 'list'],
    },
    {
      title: 'a filer that is not a mapping',
      doc: { ...clusterDoc(), filers: ['filer1'], vsvrs: [] },
      code: 'document.shape',
      path: ['filers', 0],
      mentions: ['mapping'],
    },
    {
      title: 'interfaces that are not a list',
      doc: clusterDoc({ filers: [odd({ name: 'filer1', interfaces: 'eth0' })], vsvrs: [] }),
      code: 'document.shape',
      path: ['filers', 0, 'interfaces'],
      mentions: ['interfaces', 'list'],
    },
    {
      title: 'an unknown top-level field (vsvr for vsvrs)',
      doc: { ...clusterDoc(), vsvr: [] },
      code: 'document.unknown-field',
      path: ['vsvr'],
      mentions: ['vsvr'],
      hint: /did you mean "vsvrs"\?/,
    },
    {
      title: 'an unknown top-level field like no known one',
      doc: { ...clusterDoc(), zzzzzz: 1 },
      code: 'document.unknown-field',
      path: ['zzzzzz'],
      mentions: ['zzzzzz'],
      hint: /apiVersion, kind, cluster, filers, vsvrs/,
    },
    {
      title: 'an unknown filer field (interface for interfaces)',
      doc: clusterDoc({ filers: [odd({ ...filerDoc('filer1'), interface: [] })], vsvrs: [] }),
      code: 'document.unknown-field',
      path: ['filers', 0, 'interface'],
      mentions: ['interface'],
      hint: /did you mean "interfaces"\?/,
    },
    {
      title: 'an unknown vsvr field (adresses for addresses)',
      doc: withVsvrs(odd({ name: 'vs1', adresses: [] })),
      code: 'document.unknown-field',
      path: ['vsvrs', 0, 'adresses'],
      mentions: ['adresses'],
      hint: /did you mean "addresses"\?/,
    },
  ])('refuses $title', (c) => expectRefusal(c));

  it.each([[], 'apiVersion: vsnet/v1', null, 42])(
    'reports a document that is %j with one problem, not one per missing field',
    (doc) => {
      expect(check(doc).problems.map((p) => [p.code, p.path])).toEqual([['document.shape', []]]);
    },
  );

  it('accepts the fixture cluster as it is', () => {
    expect(check(clusterDoc()).problems).toEqual([]);
  });

  it('leaves the document it decodes as it was', () => {
    const doc = f1({ name: 'san0', on: 'eth0', members: ['eth1'] });
    const before = structuredClone(doc);
    decodeClusterDocument(doc);
    expect(doc).toEqual(before);
  });

  it('reports the same problems when one document is decoded twice', () => {
    const doc = f1({ name: 'eth0.5', on: 'eth0' });
    const first = check(doc).problems;
    expect(first.map((p) => p.code)).toContain('interface.kind');
    expect(check(doc).problems).toEqual(first);
  });

  it('reports a mistake in an interface that two filers share (a YAML anchor) on both', () => {
    const shared: InterfaceDocument = { name: 'eth2', on: 'eth0' };
    const doc = clusterDoc({
      filers: [
        filerDoc('filer1', { interfaces: [...base(), shared], addresses: [{ ...FILER1_MGMT }] }),
        filerDoc('filer2', { interfaces: [...base(), shared], addresses: [{ ...FILER2_MGMT }] }),
      ],
    });
    const decoded = decodeClusterDocument(doc);
    const problems = [...decoded.problems, ...analyzeCluster(decoded.cluster).problems];
    expect(problems.filter((p) => p.code === 'interface.kind').map((p) => p.path)).toEqual([
      ['filers', 0, 'interfaces', 4, 'on'],
      ['filers', 1, 'interfaces', 4, 'on'],
    ]);
  });
});
