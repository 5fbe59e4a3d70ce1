import { describe, expect, it } from '@jest/globals';
import type { NodeSpec } from '@vsnet/model';
import { desiredState } from './desired-state.js';
import {
  addressAddCommand,
  linkAddCommand,
  linkSetCommand,
  routeDeleteCommand,
  routeReplaceCommand,
  ruleAddCommand,
  ruleDeleteCommand,
} from './ip-commands.js';
import { planDataplane } from './plan.js';
import { labClusterSpecs } from './testing/specs.js';

const EMPTY = { namespaces: [], links: [], addresses: [], routes: [], rules: [] };
const filer1 = labClusterSpecs().get('filer1') as NodeSpec;
const filer2 = labClusterSpecs().get('filer2') as NodeSpec;

function commandsFor(spec: NodeSpec, name: string): string[] {
  return planDataplane(spec, EMPTY, { namespacePrefix: '' })
    .operations.filter((o) => o.change.object === 'link' && o.change.link.name === name)
    .map((o) => o.command);
}

describe('iproute2 rendering of device kinds this kernel lacks', () => {
  it('renders an 802.3ad bond with lacp_rate fast and miimon 100, then its members joining it', () => {
    expect(commandsFor(filer1, 'bond0')).toEqual([
      'link add bond0 mtu 9000 type bond mode 802.3ad lacp_rate fast miimon 100',
      'link set dev bond0 up',
    ]);
    expect(commandsFor(filer1, 'eth1')).toEqual([
      'link set dev eth1 mtu 9000 up',
      'link set dev eth1 down\nlink set dev eth1 master bond0\nlink set dev eth1 up',
    ]);
  });

  it('renders the bond mode the spec names (balance-alb), without lacp_rate', () => {
    expect(commandsFor(filer2, 'bond1')[0]).toBe(
      'link add bond1 mtu 9000 type bond mode balance-alb miimon 100',
    );
  });

  it('renders a failover interface as an active-backup bond with its primary', () => {
    expect(commandsFor(filer1, 'fail0')).toEqual([
      'link add fail0 mtu 9000 type bond mode active-backup miimon 100 primary bond0.20',
      'link set dev fail0 up',
    ]);
    expect(commandsFor(filer1, 'bond0.20')).toEqual([
      'link add link bond0 name bond0.20 mtu 9000 type vlan id 20',
      'link set dev bond0.20 down\nlink set dev bond0.20 master fail0\nlink set dev bond0.20 up',
    ]);
  });

  it('renders a management VLAN and a macvlan alias on it', () => {
    expect(commandsFor(filer1, 'bond1.100')[0]).toBe(
      'link add link bond1 name bond1.100 mtu 9000 type vlan id 100',
    );
    expect(commandsFor(filer1, 'mgmt1')[0]).toBe(
      'link add mgmt1 link bond1.100 mtu 1500 type macvlan mode bridge',
    );
  });

  it('renders a VLAN of an alias inside the vsvr namespace, on the vsvr data0', () => {
    const state = desiredState(filer1, { namespacePrefix: '' });
    const vlan = state.links.find((l) => l.namespace === 'vs-archive' && l.name === 'data0.5');
    const parent = state.links.find((l) => l.namespace === 'vs-archive' && l.name === 'data0');
    expect(vlan && linkAddCommand(vlan)).toBe(
      'link add link data0 name data0.5 address 2e:65:1f:01:e1:9c mtu 9000 type vlan id 5',
    );
    expect(parent && linkAddCommand(parent)).toBe(
      'link add data0 link bond0 netns vs-archive address 2e:65:1f:01:e1:9c mtu 9000 type macvlan mode bridge',
    );
  });
});

describe('iproute2 rendering of addresses, routes, rules and link changes', () => {
  it('adds IPv6 addresses without DAD', () => {
    expect(addressAddCommand({ namespace: 'x', dev: 'data0', address: '2001:db8::1/64' })).toBe(
      'addr add 2001:db8::1/64 dev data0 nodad',
    );
    expect(addressAddCommand({ namespace: 'x', dev: 'data0', address: '198.18.0.1/24' })).toBe(
      'addr add 198.18.0.1/24 dev data0',
    );
  });

  it('replaces routes (create and change are one idempotent line) and deletes them by key', () => {
    const r = { namespace: '', table: 1000000, to: '0.0.0.0/0', via: '198.18.0.1', dev: 'mgmt0' };
    expect(routeReplaceCommand(r)).toBe(
      'route replace 0.0.0.0/0 via 198.18.0.1 dev mgmt0 table 1000000 proto static',
    );
    expect(routeDeleteCommand({ ...r, metric: 100 })).toBe(
      'route del 0.0.0.0/0 via 198.18.0.1 dev mgmt0 table 1000000 metric 100',
    );
  });

  it('adds and deletes source rules', () => {
    const r = { namespace: '', priority: 10000, from: '198.18.0.11/32', table: 1000000 };
    expect(ruleAddCommand(r)).toBe('rule add from 198.18.0.11/32 table 1000000 priority 10000');
    expect(ruleDeleteCommand(r)).toBe('rule del from 198.18.0.11/32 table 1000000 priority 10000');
  });

  it('sets MAC, MTU and state in one line; leaving a bond takes nomaster', () => {
    expect(linkSetCommand('data0', { mac: '02:00:00:00:00:01', mtu: 1500, up: false })).toBe(
      'link set dev data0 address 02:00:00:00:00:01 mtu 1500 down',
    );
    expect(linkSetCommand('eth1', { master: '' })).toBe(
      'link set dev eth1 down\nlink set dev eth1 nomaster',
    );
  });
});
