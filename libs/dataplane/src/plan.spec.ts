import { describe, expect, it } from '@jest/globals';
import type { ClusterDocument, NodeSpec } from '@vsnet/model';
import { createDryRunDriver } from './dry-run/dry-run.driver.js';
import type { ObservedState, Operation } from './driver.js';
import { planDataplane } from './plan.js';
import { bondedClusterDocument } from './testing/bonded-cluster.js';
import { smallClusterDocument } from './testing/small-cluster.js';
import { compileSpecs, labClusterSpecs } from './testing/specs.js';

const EMPTY: ObservedState = { namespaces: [], links: [], addresses: [], routes: [], rules: [] };
const lab = labClusterSpecs();
const filer1 = lab.get('filer1') as NodeSpec;
const [small] = compileSpecs(smallClusterDocument()) as [NodeSpec];

/** A dry-run kernel that already holds `spec`. */
async function applied(spec: NodeSpec, prefix = '') {
  const driver = createDryRunDriver({ namespacePrefix: prefix });
  const report = await driver.apply(driver.plan(spec, await driver.inspect()));
  expect(report.items.filter((i) => i.status === 'failed')).toEqual([]);
  return driver;
}

const phase = (op: Operation): string =>
  op.change.object === 'sysctl' ? 'namespace' : `${op.change.object}:${op.change.action}`;

function withVsvrs(spec: NodeSpec, vsvrs: NodeSpec['vsvrs']): NodeSpec {
  return { ...spec, vsvrs };
}

describe('plan ordering', () => {
  it('from empty: namespaces, then links bottom-up, then addresses, routes, rules', () => {
    const ops = planDataplane(filer1, EMPTY, { namespacePrefix: '' }).operations;
    const kinds = ops.map((o) => o.change.object);
    const last = (k: string): number => kinds.lastIndexOf(k as never);
    const first = (k: string): number => kinds.indexOf(k as never);
    expect(last('namespace')).toBeLessThan(first('link'));
    expect(last('link')).toBeLessThan(first('address'));
    expect(last('address')).toBeLessThan(first('route'));
    expect(last('route')).toBeLessThan(first('rule'));
    const at = (cmd: string): number => ops.findIndex((o) => o.command.startsWith(cmd));
    expect(at('link add bond0 ')).toBeLessThan(at('link add link bond0 name bond0.20'));
    expect(at('link add link bond0 name bond0.20')).toBeLessThan(at('link add fail0'));
    expect(at('link add fail0')).toBeLessThan(at('link add data1 link fail0'));
    expect(at('link add data0 link bond0 netns vs-archive')).toBeLessThan(
      at('link add link data0 name data0.5'),
    );
  });

  it('raises a NIC MTU before creating the jumbo-frame macvlans on it (filer3: eth0 9000)', () => {
    const driver = createDryRunDriver({ physicalLinks: ['eth0'] });
    const ops = planDataplane(lab.get('filer3') as NodeSpec, EMPTY, {
      namespacePrefix: '',
    }).operations;
    const at = (cmd: string): number => ops.findIndex((o) => o.command.startsWith(cmd));
    expect(at('link set dev eth0 mtu 9000 up')).toBeLessThan(
      at('link add san0 link eth0 mtu 9000'),
    );
    return expect(
      driver.apply({ operations: ops }).then((r) => r.items.filter((i) => i.status === 'failed')),
    ).resolves.toEqual([]);
  });

  it('removes top-down: rules, then links, then namespaces; what dies with a link is left to it', async () => {
    const driver = await applied(filer1);
    const smaller: NodeSpec = {
      ...filer1,
      aliases: filer1.aliases.filter((a) => a.name !== 'mgmt1'),
      addresses: filer1.addresses.filter((a) => a.alias !== 'mgmt1'),
      vsvrs: filer1.vsvrs.filter((v) => v.name !== 'sales'),
    };
    const plan = driver.plan(smaller, await driver.inspect());
    expect(plan.operations.map((o) => [phase(o), o.command])).toEqual([
      ['rule:remove', 'rule del from 192.0.2.139/32 table 1010000 priority 10000'],
      // mgmt1's address and the routes of its table go with the link: not removed one by one.
      ['link:remove', 'link del dev mgmt1'],
      // A removed vsvr's links go before its namespace: a process still inside the namespace
      // would otherwise keep it, and its addresses, alive after `netns del`.
      ['link:remove', 'link del dev data0'],
      ['namespace:remove', 'netns del vs-sales'],
    ]);
  });
});

describe('idempotence (dry-run kernel)', () => {
  const specs: [string, NodeSpec][] = [
    ...[...lab].map(([name, spec]): [string, NodeSpec] => [`lab-cluster ${name}`, spec]),
    ['bonded filer', compileSpecs(bondedClusterDocument())[0] as NodeSpec],
    ['small cluster filer1', small],
  ];
  it.each(specs)(
    '%s: apply from empty, then the plan is empty and verify finds nothing',
    async (_, spec) => {
      const driver = await applied(spec, 'p-');
      expect(driver.plan(spec, await driver.inspect()).operations).toEqual([]);
      expect(await driver.verify(spec)).toEqual([]);
      expect(await driver.apply({ operations: [] })).toEqual({ changed: false, items: [] });
    },
  );
});

describe('minimal plans', () => {
  it('one added address is one operation, announced with the vsvr MAC', async () => {
    const driver = await applied(small);
    const alpha = small.vsvrs[0] as NodeSpec['vsvrs'][number];
    const spec = withVsvrs(small, [
      {
        ...alpha,
        addresses: [
          ...alpha.addresses,
          {
            alias: 'data0',
            instance: 2,
            address: '198.18.1.31/24',
            mode: 'static' as const,
            identifier: 'id',
          },
        ],
      },
      ...small.vsvrs.slice(1),
    ]);
    const plan = driver.plan(spec, await driver.inspect());
    expect(plan.operations).toEqual([
      {
        item: 'address 198.18.1.31/24 on data0 in vs-alpha',
        namespace: 'vs-alpha',
        description: 'add 198.18.1.31/24 on data0 in vs-alpha',
        command: 'addr add 198.18.1.31/24 dev data0',
        change: {
          object: 'address',
          action: 'create',
          address: { namespace: 'vs-alpha', dev: 'data0', address: '198.18.1.31/24' },
        },
        expected: 'present',
        actual: 'absent',
        announce: { dev: 'data0', address: '198.18.1.31', mac: alpha.interfaces[0]?.mac },
      },
    ]);
  });

  it('one changed address is its removal and its addition, nothing else', async () => {
    const driver = await applied(small);
    const beta = small.vsvrs[1] as NodeSpec['vsvrs'][number];
    const spec = withVsvrs(small, [
      small.vsvrs[0] as never,
      {
        ...beta,
        addresses: beta.addresses.map((a) =>
          a.address === '198.18.1.22/24' ? { ...a, address: '198.18.1.42/24' } : a,
        ),
      },
      small.vsvrs[2] as never,
    ]);
    const plan = driver.plan(spec, await driver.inspect());
    expect(plan.operations.map((o) => [o.namespace, o.command])).toEqual([
      ['vs-beta', 'addr del 198.18.1.22/24 dev data0'],
      ['vs-beta', 'addr add 198.18.1.42/24 dev data0'],
    ]);
  });

  it('a takeover (standby copy becomes active) is link up, addresses, routes, in its namespace only', async () => {
    const driver = await applied(filer1);
    const spec = withVsvrs(
      filer1,
      filer1.vsvrs.map((v) => (v.name === 'eng' ? { ...v, active: true } : v)),
    );
    const plan = driver.plan(spec, await driver.inspect());
    expect(new Set(plan.operations.map((o) => o.namespace))).toEqual(new Set(['vs-eng']));
    expect(plan.operations.map(phase)).toEqual([
      'link:change',
      'link:change',
      'address:create',
      'address:create',
      'address:create',
      'address:create',
      'route:create',
      'route:create',
      'route:create',
      'route:create',
    ]);
  });

  it('removing a vsvr deletes its top links (a VLAN on one goes with it), then its namespace', async () => {
    const driver = await applied(filer1);
    const spec = withVsvrs(
      filer1,
      filer1.vsvrs.filter((v) => v.name !== 'archive'),
    );
    const plan = driver.plan(spec, await driver.inspect());
    expect(plan.operations.map((o) => [o.namespace, o.command])).toEqual([
      ['vs-archive', 'link del dev data0'],
      ['vs-archive', 'netns del vs-archive'],
    ]);
    await driver.apply(plan);
    const after = await driver.inspect();
    expect(after.namespaces).toEqual(['vs-eng', 'vs-sales', 'vs-vs_mgmt']);
    expect(
      [...after.links, ...after.addresses, ...after.routes].filter(
        (o) => o.namespace === 'vs-archive',
      ),
    ).toEqual([]);
    expect(driver.plan(spec, after).operations).toEqual([]);
  });
});

describe('ownership: nothing vsnet does not manage is touched', () => {
  it('leaves foreign namespaces, links, addresses, routes and rules alone', async () => {
    const driver = await applied(small, 'p-');
    const observed = await driver.inspect();
    const foreign: ObservedState = {
      namespaces: [...observed.namespaces, 'other-vs-x', 'p-client'],
      links: [
        ...observed.links,
        {
          namespace: '',
          name: 'br9',
          kind: 'bridge',
          mtu: 1500,
          mac: '02:00:00:00:00:09',
          up: true,
        },
        {
          namespace: '',
          name: 'data0',
          kind: 'macvlan',
          mtu: 1500,
          mac: '02:00:00:00:00:08',
          up: true,
          lower: 'eth1',
        },
      ],
      addresses: [...observed.addresses, { namespace: '', dev: 'eth0', address: '198.18.9.1/24' }],
      routes: [
        ...observed.routes,
        { namespace: '', table: 254, to: '0.0.0.0/0', via: '198.18.9.254', dev: 'eth0' },
      ],
      rules: [
        ...observed.rules,
        { namespace: '', priority: 100, from: '198.18.9.1/32', table: 100 },
      ],
    };
    expect(driver.plan(small, foreign).operations).toEqual([]);
  });

  it('removes a stale mgmt alias, its vsnet rule and the routes of its table', async () => {
    const driver = await applied(small, 'p-');
    const observed = await driver.inspect();
    const stale: ObservedState = {
      ...observed,
      links: [
        ...observed.links,
        {
          namespace: '',
          name: 'mgmt3',
          kind: 'macvlan',
          mtu: 1500,
          mac: '02:00:00:00:00:07',
          up: true,
          lower: 'eth0',
        },
      ],
      rules: [
        ...observed.rules,
        { namespace: '', priority: 10000, from: '198.18.0.13/32', table: 1030000 },
      ],
      routes: [
        ...observed.routes,
        { namespace: '', table: 1030000, to: '198.18.0.0/24', dev: 'eth0' },
      ],
    };
    expect(driver.plan(small, stale).operations.map((o) => o.command)).toEqual([
      'rule del from 198.18.0.13/32 table 1030000 priority 10000',
      'route del 198.18.0.0/24 dev eth0 table 1030000',
      'link del dev mgmt3',
    ]);
  });

  it('re-creates a vsvr link that sits on the wrong lower, and re-adds what was on it', async () => {
    const driver = await applied(small);
    const observed = await driver.inspect();
    const moved: ObservedState = {
      ...observed,
      links: observed.links.map((l) =>
        l.namespace === 'vs-alpha' && l.name === 'data0' ? { ...l, lower: 'eth0' } : l,
      ),
    };
    const ops = driver.plan(small, moved).operations.map((o) => `${phase(o)} ${o.command}`);
    expect(ops[0]).toBe('link:remove link del dev data0');
    expect(ops).toContain('address:create addr add 198.18.1.21/24 dev data0');
    expect(ops).toContain(
      'route:create route replace 198.19.20.0/24 via 198.18.1.1 dev data0 table 254 proto static',
    );
  });
});

type Interfaces = ClusterDocument['filers'][number]['interfaces'];

/** The bonded filer, with its interfaces changed by `edit`. */
function bondedWith(edit: (interfaces: Interfaces) => Interfaces): NodeSpec {
  const doc = bondedClusterDocument();
  const [filer] = doc.filers;
  return compileSpecs({
    ...doc,
    filers: [{ ...filer, interfaces: edit(filer?.interfaces ?? []) }],
  })[0] as NodeSpec;
}

describe('re-created links and bond membership', () => {
  const bonded = compileSpecs(bondedClusterDocument())[0] as NodeSpec;

  it('re-creating a bond (new mode) plans again what sits on it: vlans, vsvr macvlans, their addresses, a failover membership', async () => {
    const driver = await applied(bonded, 'p-');
    const changed = bondedWith((all) =>
      all.map((i) => (i.name === 'bond1' ? { ...i, mode: '802.3ad' } : i)),
    );
    const ops = driver.plan(changed, await driver.inspect()).operations;
    const commands = ops.map((o) => `${phase(o)} ${o.command}`);
    expect(commands).toContain('link:remove link del dev bond1');
    // Only the bond is removed: what is on it dies with it.
    expect(commands.filter((c) => c.startsWith('link:remove'))).toEqual([
      'link:remove link del dev bond1',
    ]);
    const at = (prefix: string): number => commands.findIndex((c) => c.startsWith(prefix));
    expect(at('link:create link add bond1 ')).toBeGreaterThan(at('link:remove'));
    expect(at('link:create link add link bond1 name bond1.20')).toBeGreaterThan(
      at('link:create link add bond1 '),
    );
    expect(at('link:create link add data0 link bond1 netns p-vs-tagged')).toBeGreaterThan(
      at('link:create link add bond1 '),
    );
    expect(commands).toContainEqual(
      expect.stringMatching(/^link:create link add link data0 name data0\.5 .*type vlan id 5$/),
    );
    expect(commands).toContain('address:create addr add 198.18.5.21/24 dev data0.5');
    expect(commands).toContain('address:create addr add 198.18.1.22/24 dev data0');
    // The members of the re-created bond and the vlan re-created under fail0 join again.
    expect(commands.filter((c) => c.startsWith('link:change') && c.includes(' master '))).toEqual(
      expect.arrayContaining([
        expect.stringContaining('link set dev eth2 master bond1'),
        expect.stringContaining('link set dev eth3 master bond1'),
        expect.stringContaining('link set dev bond1.20 master fail0'),
      ]),
    );
    const report = await driver.apply({ operations: ops });
    expect(report.items.filter((i) => i.status === 'failed')).toEqual([]);
    expect(await driver.verify(changed)).toEqual([]);
    expect(driver.plan(changed, await driver.inspect()).operations).toEqual([]);
  });

  it('re-creating a vsvr macvlan on a new lower plans again the vlan on it and its addresses', async () => {
    const driver = await applied(bonded, 'p-');
    const observed = await driver.inspect();
    const moved: ObservedState = {
      ...observed,
      links: observed.links.map((l) =>
        l.namespace === 'p-vs-tagged' && l.name === 'data0' ? { ...l, lower: 'bond0' } : l,
      ),
    };
    const commands = driver.plan(bonded, moved).operations.map((o) => `${phase(o)} ${o.command}`);
    expect(commands[0]).toBe('link:remove link del dev data0');
    expect(commands).toContainEqual(
      expect.stringMatching(/^link:create link add link data0 name data0\.5 .*type vlan id 5$/),
    );
    expect(commands).toContain('address:create addr add 198.18.5.21/24 dev data0.5');
  });

  it('a link taken out of a bond leaves it (nomaster), and verify reports it until then', async () => {
    const withEth4 = (members: string[]) =>
      bondedWith((all) => [
        { name: 'eth4' },
        ...all.map((i) => (i.name === 'bond0' ? { ...i, members } : i)),
      ]);
    const driver = await applied(withEth4(['eth0', 'eth1', 'eth4']), 'p-');
    const smaller = withEth4(['eth0', 'eth1']);
    expect(await driver.verify(smaller)).toContainEqual(
      expect.objectContaining({ item: 'link eth4 in the filer namespace' }),
    );
    const ops = driver.plan(smaller, await driver.inspect()).operations;
    expect(ops.map((o) => o.command)).toEqual([
      'link set dev eth4 down\nlink set dev eth4 nomaster\nlink set dev eth4 up',
    ]);
    await driver.apply({ operations: ops });
    expect(await driver.verify(smaller)).toEqual([]);
    const eth4 = (await driver.inspect()).links.find((l) => l.name === 'eth4');
    expect(eth4?.master).toBeUndefined();
  });
});
