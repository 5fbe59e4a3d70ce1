import { describe, expect, it } from '@jest/globals';
import type { NodeSpec } from '@vsnet/model';
import { desiredState, VSVR_NAMESPACE_SYSCTLS } from './desired-state.js';
import { labClusterSpecs } from './testing/specs.js';

const specs = labClusterSpecs();
const filer1 = specs.get('filer1') as NodeSpec;
const filer3 = specs.get('filer3') as NodeSpec;
const PREFIX = 't-';
const state = desiredState(filer1, { namespacePrefix: PREFIX });
const link = (namespace: string, name: string) =>
  state.links.find((l) => l.namespace === namespace && l.name === name);

describe('desired state of lab-cluster.yaml filer1', () => {
  it('configures eth# (MTU, up) and puts bond members under their bond, other links under none', () => {
    expect(link('', 'eth0')).toEqual({
      namespace: '',
      name: 'eth0',
      kind: 'physical',
      up: true,
      mtu: 1500,
      master: '',
    });
    expect(link('', 'eth1')).toEqual({
      namespace: '',
      name: 'eth1',
      kind: 'physical',
      up: true,
      mtu: 9000,
      master: 'bond0',
    });
  });

  it('makes bond# 802.3ad bonds with lacp_rate fast and miimon 100', () => {
    expect(link('', 'bond0')).toEqual({
      namespace: '',
      name: 'bond0',
      kind: 'bond',
      up: true,
      mtu: 9000,
      master: '',
      bond: { mode: '802.3ad', miimon: 100, lacpRate: 'fast' },
    });
  });

  it('makes fail# an active-backup bond with its primary, over VLANs that are its members', () => {
    expect(link('', 'fail0')?.bond).toEqual({
      mode: 'active-backup',
      miimon: 100,
      primary: 'bond0.20',
    });
    expect(link('', 'bond0.20')).toEqual({
      namespace: '',
      name: 'bond0.20',
      kind: 'vlan',
      up: true,
      mtu: 9000,
      lower: 'bond0',
      tag: 20,
      master: 'fail0',
    });
  });

  it('makes mgmt#/san# macvlans on their lower in the filer namespace, and no data# link there', () => {
    expect(link('', 'mgmt0')).toEqual({
      namespace: '',
      name: 'mgmt0',
      kind: 'macvlan',
      up: true,
      mtu: 1500,
      lower: 'eth0',
    });
    expect(link('', 'mgmt1')?.lower).toBe('bond1.100');
    expect(link('', 'san0')?.lower).toBe('bond1');
    expect(state.links.filter((l) => l.namespace === '' && l.name.startsWith('data'))).toEqual([]);
  });

  it('plumbs filer addresses with a source rule into the alias table, which holds the subnet and alias routes', () => {
    expect(state.addresses.filter((a) => a.namespace === '')).toEqual([
      { namespace: '', dev: 'mgmt0', address: '192.0.2.11/25' },
      { namespace: '', dev: 'mgmt1', address: '192.0.2.139/25' },
      { namespace: '', dev: 'san0', address: '198.18.200.11/24' },
    ]);
    expect(state.rules).toEqual([
      { namespace: '', priority: 10000, from: '192.0.2.11/32', table: 1000000 },
      { namespace: '', priority: 10000, from: '192.0.2.139/32', table: 1010000 },
      { namespace: '', priority: 10000, from: '198.18.200.11/32', table: 2000000 },
    ]);
    expect(state.routes.filter((r) => r.table === 1000000)).toEqual([
      { namespace: '', table: 1000000, to: '192.0.2.0/25', dev: 'mgmt0' },
      { namespace: '', table: 1000000, to: '0.0.0.0/0', dev: 'mgmt0', via: '192.0.2.1' },
    ]);
  });

  it('gives each vsvr its prefixed namespace with announcement sysctls', () => {
    expect(state.namespaces).toEqual(
      ['t-vs-archive', 't-vs-eng', 't-vs-sales', 't-vs-vs_mgmt'].map((namespace) => ({
        namespace,
        sysctls: VSVR_NAMESPACE_SYSCTLS,
      })),
    );
    expect(VSVR_NAMESPACE_SYSCTLS).toContainEqual(['net.ipv4.conf.all.arp_notify', '1']);
    expect(VSVR_NAMESPACE_SYSCTLS).toContainEqual(['net.ipv6.conf.all.ndisc_notify', '1']);
  });

  it('makes an active vsvr macvlan on the alias lower, with its MAC, addresses and main-table routes', () => {
    const sales = filer1.vsvrs.find((v) => v.name === 'sales');
    expect(link('t-vs-sales', 'data0')).toEqual({
      namespace: 't-vs-sales',
      name: 'data0',
      kind: 'macvlan',
      up: true,
      mtu: 9000,
      mac: sales?.interfaces[0]?.mac,
      lower: 'bond0',
      lowerNamespace: '',
    });
    expect(link('t-vs-sales', 'lo')).toEqual({
      namespace: 't-vs-sales',
      name: 'lo',
      kind: 'loopback',
      up: true,
    });
    expect(
      state.addresses.filter((a) => a.namespace === 't-vs-sales').map((a) => a.address),
    ).toEqual(['198.51.100.21/24', '2001:db8:1:100::21/64']);
    expect(state.routes.filter((r) => r.namespace === 't-vs-sales')).toEqual([
      { namespace: 't-vs-sales', table: 254, to: '0.0.0.0/0', dev: 'data0', via: '198.51.100.1' },
      { namespace: 't-vs-sales', table: 254, to: '::/0', dev: 'data0', via: '2001:db8:1:100::1' },
    ]);
  });

  it('pre-stages a standby vsvr: links down, no address, no route', () => {
    expect(filer1.vsvrs.find((v) => v.name === 'eng')?.active).toBe(false);
    expect(link('t-vs-eng', 'data0')?.up).toBe(false);
    expect(link('t-vs-eng', 'data1')).toMatchObject({ lower: 'fail0', up: false });
    expect(state.addresses.filter((a) => a.namespace === 't-vs-eng')).toEqual([]);
    expect(state.routes.filter((r) => r.namespace === 't-vs-eng')).toEqual([]);
  });

  it('makes a VLAN of an alias a vlan inside the namespace, on a data0 that carries its MAC', () => {
    const mac = filer1.vsvrs.find((v) => v.name === 'archive')?.interfaces[0]?.mac;
    expect(link('t-vs-archive', 'data0')).toMatchObject({
      kind: 'macvlan',
      lower: 'bond0',
      mac,
      up: true,
    });
    expect(link('t-vs-archive', 'data0.5')).toEqual({
      namespace: 't-vs-archive',
      name: 'data0.5',
      kind: 'vlan',
      up: true,
      mtu: 9000,
      mac,
      lower: 'data0',
      tag: 5,
    });
    expect(state.addresses.filter((a) => a.namespace === 't-vs-archive').map((a) => a.dev)).toEqual(
      ['data0.5', 'data0.5'],
    );
  });

  it('on the one-port filer3, everything sits on eth0', () => {
    const s = desiredState(filer3, { namespacePrefix: '' });
    expect(
      s.links.filter((l) => l.kind === 'macvlan').map((l) => [l.namespace, l.name, l.lower]),
    ).toEqual([
      ['', 'mgmt0', 'eth0'],
      ['', 'san0', 'eth0'],
      ['vs-legacy', 'data0', 'eth0'],
      ['vs-sales', 'data0', 'eth0'],
      ['vs-vs_mgmt', 'data2', 'eth0'],
    ]);
  });
});
