import { describe, expect, it } from '@jest/globals';
import type { BaseKind } from './names.js';
import {
  MAX_INTERFACE_NAME_BYTES,
  MGMT_VSVR,
  nextFreeInstance,
  objectNameProblem,
  parseInterfaceName,
  reservedVsvrNameProblem,
} from './names.js';

const bytes = (text: string): number => new TextEncoder().encode(text).length;

/** §5.2.2: the names a person may write, and every way of getting one wrong. */
describe('parseInterfaceName', () => {
  interface Valid {
    input: string;
    name: string;
    baseKind: BaseKind;
    instance: number;
    vlanTags: number[];
    parent?: string;
    tag?: number;
  }

  it.each<Valid>([
    { input: 'eth0', name: 'eth0', baseKind: 'eth', instance: 0, vlanTags: [] },
    { input: 'ETH0', name: 'eth0', baseKind: 'eth', instance: 0, vlanTags: [] },
    { input: 'Eth1', name: 'eth1', baseKind: 'eth', instance: 1, vlanTags: [] },
    { input: ' eth2 ', name: 'eth2', baseKind: 'eth', instance: 2, vlanTags: [] },
    { input: 'eth10', name: 'eth10', baseKind: 'eth', instance: 10, vlanTags: [] },
    { input: 'bond12', name: 'bond12', baseKind: 'bond', instance: 12, vlanTags: [] },
    { input: 'fail0', name: 'fail0', baseKind: 'fail', instance: 0, vlanTags: [] },
    { input: 'data0', name: 'data0', baseKind: 'data', instance: 0, vlanTags: [] },
    { input: 'mgmt3', name: 'mgmt3', baseKind: 'mgmt', instance: 3, vlanTags: [] },
    { input: 'san0', name: 'san0', baseKind: 'san', instance: 0, vlanTags: [] },
    { input: 'SAN1', name: 'san1', baseKind: 'san', instance: 1, vlanTags: [] },
    {
      input: 'eth0.5',
      name: 'eth0.5',
      baseKind: 'eth',
      instance: 0,
      vlanTags: [5],
      parent: 'eth0',
      tag: 5,
    },
    {
      input: 'bond0.10',
      name: 'bond0.10',
      baseKind: 'bond',
      instance: 0,
      vlanTags: [10],
      parent: 'bond0',
      tag: 10,
    },
    {
      input: 'BOND0.10',
      name: 'bond0.10',
      baseKind: 'bond',
      instance: 0,
      vlanTags: [10],
      parent: 'bond0',
      tag: 10,
    },
    {
      input: 'fail0.5',
      name: 'fail0.5',
      baseKind: 'fail',
      instance: 0,
      vlanTags: [5],
      parent: 'fail0',
      tag: 5,
    },
    {
      input: 'data0.5',
      name: 'data0.5',
      baseKind: 'data',
      instance: 0,
      vlanTags: [5],
      parent: 'data0',
      tag: 5,
    },
    {
      input: 'eth0.1',
      name: 'eth0.1',
      baseKind: 'eth',
      instance: 0,
      vlanTags: [1],
      parent: 'eth0',
      tag: 1,
    },
    {
      input: 'eth0.4094',
      name: 'eth0.4094',
      baseKind: 'eth',
      instance: 0,
      vlanTags: [4094],
      parent: 'eth0',
      tag: 4094,
    },
    {
      input: 'eth0.5.6',
      name: 'eth0.5.6',
      baseKind: 'eth',
      instance: 0,
      vlanTags: [5, 6],
      parent: 'eth0.5',
      tag: 6,
    },
    {
      input: 'bond0.10.20',
      name: 'bond0.10.20',
      baseKind: 'bond',
      instance: 0,
      vlanTags: [10, 20],
      parent: 'bond0.10',
      tag: 20,
    },
  ])('accepts $input as $name', ({ input, name, baseKind, instance, vlanTags, parent, tag }) => {
    const result = parseInterfaceName(input);
    expect(result).toEqual({
      ok: true,
      value: {
        name,
        baseKind,
        instance,
        vlanTags,
        ...(parent !== undefined ? { parent, tag } : {}),
      },
    });
  });

  it('accepts a name of exactly 15 bytes, the Linux limit', () => {
    const name = 'bond100.1000.10';
    expect(bytes(name)).toBe(MAX_INTERFACE_NAME_BYTES);
    expect(parseInterfaceName(name)).toEqual({
      ok: true,
      value: {
        name,
        baseKind: 'bond',
        instance: 100,
        vlanTags: [1000, 10],
        parent: 'bond100.1000',
        tag: 10,
      },
    });
  });

  interface Invalid {
    input: string;
    /** Key words the reason must contain: it says what is wrong. */
    reason: RegExp;
    /** Key words the hint must contain: it says how to put it right. */
    hint: RegExp;
  }

  it.each<Invalid>([
    { input: '', reason: /empty/, hint: /eth#.*bond#.*fail#/ },
    { input: '   ', reason: /empty/, hint: /eth#/ },
    { input: 'em1', reason: /"em1".*not a vsnet interface name/, hint: /eth#, bond#, fail#/ },
    { input: 'ens3', reason: /"ens3".*not a vsnet interface name/, hint: /eth#/ },
    { input: 'lo', reason: /"lo".*not a vsnet interface name/, hint: /eth#/ },
    { input: 'vlan10', reason: /"vlan10".*not a vsnet interface name/, hint: /\.<tag>/ },
    { input: 'eth', reason: /"eth".*no instance number/, hint: /eth0/ },
    { input: 'bond', reason: /"bond".*no instance number/, hint: /bond0/ },
    { input: 'eth01', reason: /"eth01".*leading zero.*instance/, hint: /eth1/ },
    { input: 'mgmt100', reason: /"mgmt100" is above mgmt99/, hint: /mgmt0 to mgmt99/ },
    { input: 'san100.5', reason: /"san100\.5" is above san99/, hint: /san0 to san99/ },
    { input: 'eth00', reason: /leading zero.*instance/, hint: /eth0/ },
    { input: 'bond0.0', reason: /VLAN tag 0.*1-4094/, hint: /untagged/ },
    { input: 'eth0.0.5', reason: /VLAN tag 0/, hint: /untagged/ },
    { input: 'eth0.4095', reason: /VLAN tag 4095.*1-4094/, hint: /1 to 4094/ },
    { input: 'eth0.9999', reason: /VLAN tag 9999/, hint: /1 to 4094/ },
    { input: 'eth0.05', reason: /leading zero.*VLAN tag "05"/, hint: /\.5/ },
    { input: 'eth0.', reason: /"eth0\.".*VLAN tag.*not a number/, hint: /1-4094/ },
    { input: 'eth0..5', reason: /"eth0\.\.5".*VLAN tag.*not a number/, hint: /1-4094/ },
    { input: 'eth0.x', reason: /VLAN tag "x".*not a number/, hint: /1-4094/ },
    { input: '.5', reason: /not a vsnet interface name/, hint: /eth#/ },
    {
      input: 'eth 0',
      reason: /"eth 0".*characters other than letters, digits and dots/,
      hint: /eth#/,
    },
    { input: 'eth-0', reason: /"eth-0".*characters other than/, hint: /eth#/ },
    { input: 'eth_0', reason: /characters other than/, hint: /eth#/ },
    { input: 'data0:1', reason: /"data0:1".*characters other than/, hint: /data#/ },
    { input: 'eth0/1', reason: /characters other than/, hint: /eth#/ },
    { input: 'ethé0', reason: /characters other than/, hint: /eth#/ },
    { input: 'bond1000.1000.10', reason: /16 bytes.*15/, hint: /lower instance number|fewer/ },
    { input: 'BOND1000.1000.10', reason: /16 bytes.*15/, hint: /fewer stacked VLANs/ },
    { input: 'eth0.1.2.3.4.5.6', reason: /16 bytes.*15/, hint: /fewer stacked VLANs/ },
  ])('refuses "$input" and says why', ({ input, reason, hint }) => {
    const result = parseInterfaceName(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(reason);
      expect(result.hint).toMatch(hint);
    }
  });

  it('counts the length of the name as bytes: 16 is one too many', () => {
    expect(bytes('bond1000.1000.10')).toBe(16);
    expect(parseInterfaceName('bond1000.1000.10').ok).toBe(false);
    expect(parseInterfaceName('bond100.1000.10').ok).toBe(true);
  });

  it('quotes the name as the person wrote it, not as it would be stored', () => {
    const result = parseInterfaceName('ETH01');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toContain('"ETH01"');
    }
  });
});

describe('nextFreeInstance', () => {
  it.each<{ title: string; kind: BaseKind; used: string[]; next: number }>([
    { title: 'nothing used yet', kind: 'data', used: [], next: 0 },
    { title: 'a run from 0', kind: 'data', used: ['data0', 'data1', 'data2'], next: 3 },
    { title: 'the lowest gap', kind: 'data', used: ['data0', 'data2', 'data3'], next: 1 },
    { title: 'a gap at 0', kind: 'bond', used: ['bond1', 'bond2'], next: 0 },
    {
      title: 'other kinds ignored',
      kind: 'data',
      used: ['eth0', 'eth1', 'bond0', 'fail0', 'mgmt0', 'san0'],
      next: 0,
    },
    { title: 'a VLAN name uses its base instance', kind: 'data', used: ['data0.5'], next: 1 },
    { title: 'a stacked VLAN too', kind: 'bond', used: ['bond0.10.20', 'bond1'], next: 2 },
    { title: 'a VLAN of another kind is not this kind', kind: 'data', used: ['eth0.5'], next: 0 },
    { title: 'names in any case', kind: 'data', used: ['DATA0', 'Data1'], next: 2 },
    { title: 'unparsable names ignored', kind: 'data', used: ['data', 'data01', 'em1'], next: 0 },
  ])('$title → $next', ({ kind, used, next }) => {
    expect(nextFreeInstance(kind, used)).toBe(next);
  });

  it('looks at the whole cluster: an instance used on any filer is taken', () => {
    const filer1 = ['eth0', 'mgmt0', 'data0', 'data2'];
    const filer2 = ['eth0', 'mgmt0', 'data1'];
    expect(nextFreeInstance('data', [...filer1, ...filer2])).toBe(3);
    expect(nextFreeInstance('data', filer1)).toBe(1);
    expect(nextFreeInstance('mgmt', [...filer1, ...filer2])).toBe(1);
  });
});

describe('objectNameProblem', () => {
  it.each(['filer1', 'VsvrA', 'vs_a-1', 'x', `a${'b'.repeat(62)}`])('accepts %s', (name) => {
    expect(objectNameProblem('vsvr', name)).toBeUndefined();
  });

  it.each(['', '1filer', '_vs', '-vs', 'vs a', 'vs:a', 'vs.a', 'vsé', `a${'b'.repeat(63)}`])(
    'refuses "%s", naming what and which name',
    (name) => {
      const problem = objectNameProblem('filer', name);
      expect(problem?.reason).toContain(`filer name "${name}"`);
      expect(problem?.hint).toMatch(/start with a letter/);
    },
  );
});

describe('reservedVsvrNameProblem', () => {
  it('is the management vsvr', () => {
    expect(MGMT_VSVR).toBe('vs_mgmt');
  });

  it.each(['vs_mgmt', 'vsmgmt', 'vs_mgm', 'vs1', 'my_vs_mgmt'])('allows %s', (name) => {
    expect(reservedVsvrNameProblem(name)).toBeUndefined();
  });

  it.each<{ name: string; words: RegExp }>([
    { name: 'VS_MGMT', words: /"VS_MGMT".*another case.*vs_mgmt/ },
    { name: 'Vs_Mgmt', words: /"Vs_Mgmt".*another case/ },
    { name: 'vs_mgmt2', words: /"vs_mgmt2".*begins with "vs_mgmt".*reserved/ },
    { name: 'Vs_Mgmt_backup', words: /"Vs_Mgmt_backup".*begins with "vs_mgmt".*reserved/ },
    { name: 'vs_mgmt-b', words: /reserved/ },
  ])('refuses $name', ({ name, words }) => {
    expect(reservedVsvrNameProblem(name)).toMatch(words);
  });
});
