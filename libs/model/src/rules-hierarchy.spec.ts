import { describe, expect, it } from '@jest/globals';
import type { ClusterDocument } from './document-types.js';
import { BOND_MODES } from './index.js';
import { check } from './testing/analyze-document.js';
import { clusterDoc, filerDoc, vsvrDoc } from './testing/documents.js';
import type { Refusal } from './testing/rules-fixtures.js';
import {
  FILER1_MGMT,
  FILER2_MGMT,
  base,
  filer1With,
  bothWith,
  odd,
  expectRefusal,
  f1,
  eths,
  ifaces,
} from './testing/rules-fixtures.js';

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
