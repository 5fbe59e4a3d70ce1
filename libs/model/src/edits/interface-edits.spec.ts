import { describe, expect, it } from '@jest/globals';
import type { ClusterDocument, InterfaceDocument } from '../document-types.js';
import { clusterDoc, filerDoc, vsvrDoc } from '../testing/documents.js';
import { commitEdit, refusalOf } from '../testing/edit-harness.js';
import type { EditRefusalKind } from './edit-refusal.js';
import type {
  CreateAliasInput,
  CreateBondInput,
  CreateFailoverInput,
  CreateVlanInput,
} from './interface-edits.js';
import {
  aliasKindOf,
  createAlias,
  createBond,
  createFailoverInterface,
  createVlan,
  deleteInterface,
} from './interface-edits.js';

const ETHS: InterfaceDocument[] = [0, 1, 2, 3].map((n) => ({ name: `eth${n}` }));
const ALIASES: InterfaceDocument[] = [
  { name: 'mgmt0', on: 'eth0' },
  { name: 'data0', on: 'eth1' },
];

/**
 * filer1: eth0–eth3, mgmt0 on eth0, data0 on eth1 (new interfaces land at index 6);
 * filer2: the same plus bond0 of eth2 and eth3. vs1 runs on either with an address on data0.
 */
function doc(extra1: InterfaceDocument[] = []): ClusterDocument {
  return clusterDoc({
    filers: [
      filerDoc('filer1', {
        interfaces: [...ETHS, ...ALIASES, ...extra1],
        addresses: [{ alias: 'mgmt0', address: '192.0.2.11/24' }],
      }),
      filerDoc('filer2', {
        interfaces: [...ETHS, ...ALIASES, { name: 'bond0', members: ['eth2', 'eth3'] }],
        addresses: [{ alias: 'mgmt0', address: '192.0.2.12/24' }],
      }),
    ],
  });
}

function interfacesOf(document: ClusterDocument, filer: number): string[] {
  return (document.filers[filer]?.interfaces ?? []).map((i) => i.name);
}

function expectRefused(
  work: () => unknown,
  kind: EditRefusalKind,
  field: string,
  reason?: string,
): void {
  const r = refusalOf(work);
  expect({ kind: r.kind, field: r.violations[0]?.field }).toEqual({ kind, field });
  if (reason !== undefined) {
    expect(r.reason).toBe(reason);
  }
}

const bond = (over: Partial<CreateBondInput> = {}): CreateBondInput => ({
  filer: 'filer1',
  instance: 'next-free',
  members: ['eth2', 'eth3'],
  ...over,
});

describe('createBond', () => {
  it('takes the lowest bond instance no filer of the cluster uses (§5.2.2)', () => {
    // bond0 exists on filer2 only: filer1 still gets bond1, so bond0 means one thing everywhere.
    const { document, result } = commitEdit(doc(), (c) =>
      createBond(c, bond({ members: ['eth2', 'ETH3'] })),
    );
    expect(result).toEqual({
      filer: 'filer1',
      interface: { name: 'bond1', members: ['eth2', 'eth3'], mode: '802.3ad' },
    });
    expect(document.filers[0]?.interfaces[6]).toEqual(result.interface);
  });

  it('uses the instance the caller names, and the mode it asks for', () => {
    const { result } = commitEdit(doc(), (c) =>
      createBond(c, bond({ instance: 7, mode: 'Balance-XOR', mtu: 1400 })),
    );
    expect(result.interface).toEqual({
      name: 'bond7',
      members: ['eth2', 'eth3'],
      mode: 'balance-xor',
      mtu: 1400,
    });
  });

  it('does not change the document it was given', () => {
    const before = doc();
    const copy = structuredClone(before);
    createBond(before, bond());
    expect(before).toEqual(copy);
  });

  it.each<[string, Partial<CreateBondInput>, string]>([
    ['no instance choice', { instance: undefined }, 'instance'],
    ['one member', { members: ['eth2'] }, 'members'],
    ['a member listed twice', { members: ['eth2', 'Eth2'] }, 'members'],
    ['an unknown mode', { mode: 'active-backup' }, 'mode'],
    ['an MTU out of range', { mtu: 65536 }, 'mtu'],
  ])('refuses %s with INVALID_ARGUMENT', (_title, over, field) => {
    expectRefused(() => createBond(doc(), bond(over)), 'invalid-argument', field);
  });

  it('refuses an unknown filer with NOT_FOUND', () => {
    expectRefused(() => createBond(doc(), bond({ filer: 'filer9' })), 'not-found', 'filer');
  });

  it('refuses a bond the filer has with ALREADY_EXISTS', () => {
    expectRefused(
      () => createBond(doc(), bond({ filer: 'FILER2', instance: 0 })),
      'already-exists',
      'instance',
    );
  });

  it('refuses before the cluster exists with FAILED_PRECONDITION', () => {
    expectRefused(() => createBond(undefined, bond()), 'failed-precondition', 'cluster');
  });

  it.each<[string, CreateBondInput, string, string]>([
    [
      'an unknown member',
      bond({ members: ['eth2', 'eth9'] }),
      'interface.unknown',
      'filers[0].interfaces[6].members[1]',
    ],
    [
      'a member an alias is built on',
      bond({ members: ['eth1', 'eth2'] }),
      'interface.consumed',
      'filers[0].interfaces[5].on',
    ],
    [
      'a member of another bond',
      bond({ filer: 'filer2', members: ['eth2', 'eth1'] }),
      'interface.consumed',
      'filers[1].interfaces[7].members[0]',
    ],
    [
      'an alias as a member',
      bond({ members: ['eth2', 'mgmt0'] }),
      'interface.members',
      'filers[0].interfaces[6].members[1]',
    ],
  ])('refuses %s with FAILED_PRECONDITION at the document path', (_title, input, reason, field) => {
    expectRefused(
      () => commitEdit(doc(), (c) => createBond(c, input)),
      'failed-precondition',
      field,
      reason,
    );
  });
});

const failover = (over: Partial<CreateFailoverInput> = {}): CreateFailoverInput => ({
  filer: 'filer1',
  instance: 'next-free',
  members: ['eth2', 'eth3'],
  ...over,
});

describe('createFailoverInterface', () => {
  it('creates fail<N> with its primary, which takes no mode', () => {
    const { result } = commitEdit(doc(), (c) =>
      createFailoverInterface(c, failover({ primary: 'ETH3' })),
    );
    expect(result.interface).toEqual({ name: 'fail0', members: ['eth2', 'eth3'], primary: 'eth3' });
  });

  it('accepts a bond and a VLAN as members', () => {
    const withVlan = doc();
    withVlan.filers[1]?.interfaces.push({ name: 'eth1.7' });
    withVlan.filers[1]?.interfaces.splice(5, 1); // data0 off eth1, so eth1.7 may be a member
    withVlan.vsvrs = [];
    const { result } = commitEdit(withVlan, (c) =>
      createFailoverInterface(c, failover({ filer: 'filer2', members: ['bond0', 'eth1.7'] })),
    );
    expect(result.interface.members).toEqual(['bond0', 'eth1.7']);
  });

  it('refuses a primary that is not a member with INVALID_ARGUMENT', () => {
    expectRefused(
      () => createFailoverInterface(doc(), failover({ primary: 'eth0' })),
      'invalid-argument',
      'primary',
    );
  });

  it('refuses fewer than two members with INVALID_ARGUMENT', () => {
    expectRefused(
      () => createFailoverInterface(doc(), failover({ members: [] })),
      'invalid-argument',
      'members',
    );
  });

  it('refuses a failover interface as a member with FAILED_PRECONDITION', () => {
    const nested = doc([{ name: 'fail0', members: ['eth2', 'eth3'] }]);
    expectRefused(
      () =>
        commitEdit(nested, (c) =>
          createFailoverInterface(c, failover({ members: ['fail0', 'eth0'] })),
        ),
      'failed-precondition',
      'filers[0].interfaces[7].members[0]',
      'interface.members',
    );
  });
});

const vlan = (over: Partial<CreateVlanInput> = {}): CreateVlanInput => ({
  filer: 'filer1',
  parent: 'eth2',
  tag: 10,
  ...over,
});

describe('createVlan', () => {
  it('names the VLAN after its parent and tag', () => {
    const { document, result } = commitEdit(doc(), (c) => createVlan(c, vlan({ parent: 'ETH2' })));
    expect(result).toEqual({ filer: 'filer1', interface: { name: 'eth2.10' } });
    expect(interfacesOf(document, 0)).toContain('eth2.10');
  });

  it('stacks a VLAN on an alias', () => {
    const { result } = commitEdit(doc(), (c) => createVlan(c, vlan({ parent: 'data0', tag: 5 })));
    expect(result.interface.name).toBe('data0.5');
  });

  it.each<[string, Partial<CreateVlanInput>, EditRefusalKind, string]>([
    ['tag 0', { tag: 0 }, 'invalid-argument', 'tag'],
    ['tag 4095', { tag: 4095 }, 'invalid-argument', 'tag'],
    ['an unknown filer', { filer: 'filer9' }, 'not-found', 'filer'],
    ['an unknown parent', { parent: 'eth9' }, 'failed-precondition', 'parent'],
    ['a parent that is a bond member', { filer: 'filer2' }, 'failed-precondition', 'parent'],
  ])('refuses %s', (_title, over, kind, field) => {
    expectRefused(() => createVlan(doc(), vlan(over)), kind, field);
  });

  it('refuses a VLAN that exists with ALREADY_EXISTS', () => {
    expectRefused(() => createVlan(doc([{ name: 'eth2.10' }]), vlan()), 'already-exists', 'tag');
  });

  it('refuses a name longer than Linux allows with INVALID_ARGUMENT', () => {
    const long = doc([{ name: 'bond1000000', members: ['eth2', 'eth3'] }]);
    const r = refusalOf(() => createVlan(long, vlan({ parent: 'bond1000000', tag: 1000 })));
    expect(r.kind).toBe('invalid-argument');
    expect(r.violations[0]?.field).toBe('tag');
    expect(r.message).toContain('15');
  });

  it('refuses an MTU above its parent’s with FAILED_PRECONDITION at the document path', () => {
    expectRefused(
      () => commitEdit(doc(), (c) => createVlan(c, vlan({ mtu: 9000 }))),
      'failed-precondition',
      'filers[0].interfaces[6].mtu',
      'interface.mtu',
    );
  });
});

const alias = (over: Partial<CreateAliasInput> = {}): CreateAliasInput => ({
  filer: 'filer1',
  kind: 'data',
  instance: 'next-free',
  on: 'eth2',
  ...over,
});

describe('createAlias', () => {
  it('takes the lowest instance of its kind no filer of the cluster uses (§5.2.2)', () => {
    let document = doc();
    // data1 on filer2 only: the next data alias on filer1 is data2, not data1.
    document = commitEdit(document, (c) =>
      createAlias(c, alias({ filer: 'filer2', instance: 1, on: 'bond0' })),
    ).document;
    const data = commitEdit(document, (c) => createAlias(c, alias()));
    expect(data.result.interface).toEqual({ name: 'data2', on: 'eth2' });
    const mgmt = commitEdit(document, (c) => createAlias(c, alias({ kind: 'mgmt', on: 'eth0' })));
    expect(mgmt.result.interface.name).toBe('mgmt1');
    const san = commitEdit(document, (c) => createAlias(c, alias({ kind: 'san' })));
    expect(san.result.interface.name).toBe('san0');
  });

  it('adds an alias another filer has when its instance is named', () => {
    const first = commitEdit(doc(), (c) =>
      createAlias(c, alias({ filer: 'filer2', instance: 1, on: 'bond0' })),
    ).document;
    const { document, result } = commitEdit(first, (c) => createAlias(c, alias({ instance: 1 })));
    expect(result.interface.name).toBe('data1');
    expect(interfacesOf(document, 0)).toContain('data1');
    expect(interfacesOf(document, 1)).toContain('data1');
  });

  it('keeps the routing policy of an mgmt# alias', () => {
    const withPolicy = doc();
    withPolicy.routingPolicies = [{ name: 'mgmt-routes', routes: [] }];
    const { result } = commitEdit(withPolicy, (c) =>
      createAlias(c, alias({ kind: 'mgmt', on: 'eth0', routingPolicy: 'mgmt-routes' })),
    );
    expect(result.interface).toEqual({ name: 'mgmt1', on: 'eth0', routingPolicy: 'mgmt-routes' });
  });

  it.each<[string, Partial<CreateAliasInput>, EditRefusalKind, string]>([
    ['no kind', { kind: undefined }, 'invalid-argument', 'kind'],
    ['no instance choice', { instance: undefined }, 'invalid-argument', 'instance'],
    [
      'mgmt100 (mgmt# stops at 99)',
      { kind: 'mgmt', instance: 100 },
      'invalid-argument',
      'instance',
    ],
    [
      'a routing policy on a data alias',
      { routingPolicy: 'p' },
      'invalid-argument',
      'routingPolicy',
    ],
    ['an MTU out of range', { mtu: 10 }, 'invalid-argument', 'mtu'],
    ['no lower interface', { on: '' }, 'invalid-argument', 'on'],
    ['an unknown filer', { filer: 'filer9' }, 'not-found', 'filer'],
    ['an alias the filer has', { instance: 0 }, 'already-exists', 'instance'],
    ['an unknown lower interface', { on: 'eth9' }, 'failed-precondition', 'on'],
    ['an alias as the lower interface', { on: 'data0' }, 'failed-precondition', 'on'],
    [
      'a bond member as the lower interface',
      { filer: 'filer2', on: 'eth3' },
      'failed-precondition',
      'on',
    ],
  ])('refuses %s', (_title, over, kind, field) => {
    expectRefused(() => createAlias(doc(), alias(over)), kind, field);
  });

  it('refuses an unknown routing policy with FAILED_PRECONDITION', () => {
    const r = refusalOf(() =>
      commitEdit(doc(), (c) => createAlias(c, alias({ kind: 'san', routingPolicy: 'nope' }))),
    );
    expect(r.kind).toBe('failed-precondition');
    expect(r.reason).toBe('routing.unknown-policy');
  });

  it.each([
    ['ALIAS_KIND_DATA', 'data'],
    ['ALIAS_KIND_MGMT', 'mgmt'],
    ['ALIAS_KIND_SAN', 'san'],
    ['ALIAS_KIND_UNSPECIFIED', undefined],
  ])('reads the API kind %s as %s', (wire, kind) => {
    expect(aliasKindOf(wire)).toBe(kind);
  });
});

describe('deleteInterface', () => {
  it('removes an interface nothing uses', () => {
    const { document, result } = commitEdit(doc(), (c) =>
      deleteInterface(c, { filer: 'FILER1', name: 'ETH3' }),
    );
    expect(result).toEqual({ filer: 'filer1', interface: { name: 'eth3' } });
    expect(interfacesOf(document, 0)).toEqual(['eth0', 'eth1', 'eth2', 'mgmt0', 'data0']);
  });

  it('removes a data alias no vsvr that can run on the filer uses', () => {
    const elsewhere = doc();
    elsewhere.vsvrs = [
      vsvrDoc('vs1', {
        failoverGroup: ['filer2'],
        addresses: [{ alias: 'data0', address: '198.51.100.10/24' }],
      }),
    ];
    const { document } = commitEdit(elsewhere, (c) =>
      deleteInterface(c, { filer: 'filer1', name: 'data0' }),
    );
    expect(interfacesOf(document, 0)).not.toContain('data0');
  });

  it.each<[string, string, string]>([
    ['an unknown filer', 'filer9', 'filer'],
    ['an unknown interface', 'filer1', 'name'],
  ])('refuses %s with NOT_FOUND', (_title, filer, field) => {
    expectRefused(() => deleteInterface(doc(), { filer, name: 'eth9' }), 'not-found', field);
  });

  it.each<[string, ClusterDocument, string, string, string, string]>([
    [
      'a bond member',
      doc(),
      'filer2',
      'eth2',
      'filers[1].interfaces[6].members[0]',
      'bond0 has eth2 as a member',
    ],
    [
      'the parent of a VLAN',
      doc([{ name: 'eth2.10' }]),
      'filer1',
      'eth2',
      'filers[0].interfaces[6].name',
      'eth2.10 is a VLAN of eth2',
    ],
    [
      'the lower interface of an alias',
      doc(),
      'filer1',
      'eth1',
      'filers[0].interfaces[5].on',
      'data0 is built on eth1',
    ],
    [
      'an alias with a filer address',
      doc(),
      'filer1',
      'mgmt0',
      'filers[0].addresses[0].alias',
      '192.0.2.11/24 is on mgmt0',
    ],
    [
      'an alias a vsvr that can run there uses',
      doc(),
      'filer1',
      'data0',
      'vsvrs[0].addresses[0].alias',
      'vsvr vs1, which can run on filer1',
    ],
  ])(
    'refuses deleting %s with FAILED_PRECONDITION naming it',
    (_title, before, filer, name, field, says) => {
      const r = refusalOf(() => deleteInterface(before, { filer, name }));
      expect(r.kind).toBe('failed-precondition');
      expect(r.reason).toBe('interface.in-use');
      expect(r.violations.map((v) => v.field)).toContain(field);
      expect(r.message).toContain(says);
    },
  );
});
