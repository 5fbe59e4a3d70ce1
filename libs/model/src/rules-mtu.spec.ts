import { describe, expect, it } from '@jest/globals';
import { compileNodeSpec } from './index.js';
import { check } from './testing/analyze-document.js';
import type { Refusal } from './testing/rules-fixtures.js';
import {
  base,
  filer1With,
  bothWith,
  expectRefusal,
  f1,
  eths,
  ifaces,
} from './testing/rules-fixtures.js';

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
