import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLinuxDriver } from '@vsnet/dataplane';
import type { NodeSpec } from '@vsnet/model';
import {
  must,
  namespacesStartingWith,
  ping,
} from '../../libs/dataplane/src/testing/lab-network.js';
import {
  comparable,
  LAB_TIMEOUT_MS,
  startDataplaneLab,
  withVsvr,
  type DataplaneLab,
} from '../../libs/dataplane/src/testing/dataplane-lab.js';
import { expectEventually } from './support/expect-eventually.js';

/**
 * The linux driver against the real kernel, changing an applied filer1 (see
 * dataplane-linux.test.ts): minimal plans, announcements, drift, the kept view, removal,
 * failed items. Namespaces named `vsdpc<pid>-…`.
 */
describe('linux dataplane driver in network namespaces: changes', () => {
  let lab: DataplaneLab;

  beforeAll(async () => {
    lab = await startDataplaneLab('vsdpc');
    const report = await lab.reconcile(lab.filer1);
    expect(report.items.filter((i) => i.status === 'failed')).toEqual([]);
  }, 30_000);

  afterAll(async () => {
    expect(await lab.close()).toEqual([]);
  }, 30_000);

  it('one address added to beta: exactly that operation, then reachable', async () => {
    const spec = withVsvr(lab.filer1, 'beta', (v) => ({
      ...v,
      addresses: [
        ...v.addresses,
        { alias: 'data0', instance: 2, address: '198.18.1.32/24', mode: 'static', identifier: 'x' },
      ],
    }));
    const plan = lab.driver.plan(spec, await lab.driver.inspect());
    expect(plan.operations.map((o) => [o.namespace, o.command])).toEqual([
      [lab.ns('beta'), 'addr add 198.18.1.32/24 dev data0'],
    ]);
    expect(plan.operations[0]?.announce).toEqual({
      dev: 'data0',
      address: '198.18.1.32',
      mac: lab.filer1.vsvrs[1]?.interfaces[0]?.mac,
    });
    const report = await lab.driver.apply(plan);
    expect(report.items).toEqual([
      { item: `address 198.18.1.32/24 on data0 in ${lab.ns('beta')}`, status: 'created' },
    ]);
    await expectEventually(async () =>
      expect(await ping(lab.network.client, '198.18.1.32')).toBe(true),
    );
    expect(await lab.driver.verify(spec)).toEqual([]);
    // and back: one removal
    const back = lab.driver.plan(lab.filer1, await lab.driver.inspect());
    expect(back.operations.map((o) => o.command)).toEqual(['addr del 198.18.1.32/24 dev data0']);
    expect((await lab.driver.apply(back)).changed).toBe(true);
  }, 20_000);

  it('removing the first address of a subnet keeps the others of that subnet', async () => {
    // beta holds 198.18.1.22/24 (primary) and, from the test above, 198.18.1.32/24 (secondary).
    const spec = withVsvr(lab.filer1, 'beta', (v) => ({
      ...v,
      addresses: [
        { alias: 'data0', instance: 2, address: '198.18.1.32/24', mode: 'static', identifier: 'x' },
        ...v.addresses.filter((a) => !a.address.startsWith('198.18.1.22/')),
      ],
    }));
    const report = await lab.driver.apply(lab.driver.plan(spec, await lab.driver.inspect()));
    expect(report.items.filter((i) => i.status === 'failed')).toEqual([]);
    expect(await lab.driver.verify(spec)).toEqual([]);
    await expectEventually(async () =>
      expect(await ping(lab.network.client, '198.18.1.32')).toBe(true),
    );
    expect(await ping(lab.network.client, '198.18.1.22')).toBe(false);
    // Back to beta as the lab built it, for the tests below.
    const restored = await lab.driver.apply(
      lab.driver.plan(lab.filer1, await lab.driver.inspect()),
    );
    expect(restored.items.filter((i) => i.status === 'failed')).toEqual([]);
  });

  it("plumbed addresses are announced: the client's stale neighbour entries (IPv4, IPv6) take the vsvr MAC", async () => {
    const mac = lab.filer1.vsvrs.find((v) => v.name === 'beta')?.interfaces[0]?.mac ?? '';
    const moved = ['198.18.1.33', '2001:db8:0:2::33'];
    // As if the addresses had lived elsewhere: the client holds an old MAC for them.
    for (const a of moved) {
      await must('ip', [
        '-n',
        lab.network.client,
        'neigh',
        'replace',
        a,
        'lladdr',
        '02:00:00:00:00:99',
        'dev',
        'eth0',
        'nud',
        'stale',
      ]);
    }
    const spec = withVsvr(lab.filer1, 'beta', (v) => ({
      ...v,
      addresses: [
        ...v.addresses,
        ...moved.map((a, i) => ({
          alias: 'data0',
          instance: 10 + i,
          address: `${a}/${a.includes(':') ? 64 : 24}`,
          mode: 'static' as const,
          identifier: 'x',
        })),
      ],
    }));
    expect((await lab.reconcile(spec)).items.map((i) => i.status)).toEqual(['created', 'created']);
    // No traffic is sent to them: only an announcement can change the client's entries.
    await expectEventually(
      async () => {
        const neigh = JSON.parse(
          (await must('ip', ['-j', '-n', lab.network.client, 'neigh', 'show', 'dev', 'eth0']))
            .stdout,
        ) as {
          dst: string;
          lladdr?: string;
        }[];
        expect(moved.map((a) => neigh.find((n) => n.dst === a)?.lladdr)).toEqual([mac, mac]);
      },
      { timeoutMs: 3_000 },
    );
    expect((await lab.reconcile(lab.filer1)).changed).toBe(true);
    await lab.driver.announcementsIdle();
  });

  it('drift made outside vsnet is found by verify() and repaired by the next apply', async () => {
    await must('ip', ['-n', lab.ns('alpha'), 'addr', 'del', '2001:db8:0:2::21/64', 'dev', 'data0']);
    expect(await lab.driver.verify(lab.filer1)).toEqual([
      {
        item: `address 2001:db8:0:2::21/64 on data0 in ${lab.ns('alpha')}`,
        expected: 'present',
        actual: 'absent',
      },
    ]);
    expect((await lab.reconcile(lab.filer1)).changed).toBe(true);
    expect(await lab.driver.verify(lab.filer1)).toEqual([]);
  });

  it('the view inspect() keeps after apply equals a fresh read of the kernel', async () => {
    const cached = createLinuxDriver({
      filerNamespace: lab.network.filer,
      namespacePrefix: lab.prefix,
      timeoutMs: LAB_TIMEOUT_MS,
    });
    const before = await cached.inspect();
    const spec = withVsvr(lab.filer1, 'gamma', (v) => ({ ...v, active: true }));
    expect(
      (await cached.apply(cached.plan(spec, before))).items.filter((i) => i.status === 'failed'),
    ).toEqual([]);
    const view = await cached.inspect();
    const fresh = await createLinuxDriver({
      filerNamespace: lab.network.filer,
      namespacePrefix: lab.prefix,
      timeoutMs: LAB_TIMEOUT_MS,
      reuseReadMs: 0,
    }).inspect();
    expect(comparable(view)).toEqual(comparable(fresh));
    await expectEventually(async () =>
      expect(await ping(lab.network.client, '198.18.1.23')).toBe(true),
    );
    // back to standby: address removed, link down
    expect((await lab.reconcile(lab.filer1)).items.filter((i) => i.status === 'failed')).toEqual(
      [],
    );
    expect(await lab.driver.verify(lab.filer1)).toEqual([]);
    await cached.announcementsIdle();
  }, 20_000);

  it('removing a vsvr removes its namespace and nothing else', async () => {
    const spec = withVsvr(lab.filer1, 'beta', () => undefined);
    const plan = lab.driver.plan(spec, await lab.driver.inspect());
    expect(plan.operations.map((o) => [o.namespace, o.command])).toEqual([
      [lab.ns('beta'), 'link del dev data0'],
      [lab.ns('beta'), `netns del ${lab.ns('beta')}`],
    ]);
    expect((await lab.driver.apply(plan)).changed).toBe(true);
    expect(await namespacesStartingWith(`${lab.prefix}vs-`)).toEqual([
      lab.ns('alpha'),
      lab.ns('gamma'),
    ]);
    expect(await lab.driver.verify(spec)).toEqual([]);
    expect(await ping(lab.network.client, '198.18.1.21')).toBe(true);
    expect((await lab.reconcile(lab.filer1)).changed).toBe(true);
  }, 20_000);

  it('a missing physical link is a failed item, not a crash', async () => {
    const spec: NodeSpec = {
      ...lab.filer1,
      links: [...lab.filer1.links, { name: 'eth7', kind: 'physical', mtu: 1500 }],
    };
    const report = await lab.reconcile(spec);
    expect(report.items).toEqual([
      {
        item: 'link eth7 in the filer namespace',
        status: 'failed',
        detail: expect.stringContaining('eth7') as unknown,
      },
    ]);
    expect(await lab.driver.verify(lab.filer1)).toEqual([]);
  });
});
