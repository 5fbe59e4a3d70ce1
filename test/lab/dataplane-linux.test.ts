import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  inNamespace,
  must,
  namespacesStartingWith,
  ping,
  startTcpListener,
  tcpConnects,
} from '../../libs/dataplane/src/testing/lab-network.js';
import {
  startDataplaneLab,
  type DataplaneLab,
} from '../../libs/dataplane/src/testing/dataplane-lab.js';
import { expectEventually } from './support/expect-eventually.js';

/**
 * The linux driver against the real kernel, applying filer1 of the small cluster
 * (testing/small-cluster.ts): a filer namespace whose eth0 and eth1 are plugged into a switch
 * namespace, and a client on the switch, all named `vsdpt<pid>-…`. What a client sees.
 */
const PORT = 7000;

describe('linux dataplane driver in network namespaces: apply and reach', () => {
  let lab: DataplaneLab;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    lab = await startDataplaneLab('vsdpt');
  }, 30_000);

  afterAll(async () => {
    for (const stop of stops) {
      await stop();
    }
    expect(await lab.close()).toEqual([]);
  }, 30_000);

  it('applies filer1 from empty: every item created, none failed', async () => {
    const report = await lab.reconcile(lab.filer1);
    expect(report.items.filter((i) => i.status === 'failed')).toEqual([]);
    expect(report.changed).toBe(true);
    expect(await namespacesStartingWith(`${lab.prefix}vs-`)).toEqual([
      lab.ns('alpha'),
      lab.ns('beta'),
      lab.ns('gamma'),
    ]);
  }, 30_000);

  it('re-applying plans nothing and reports changed: false', async () => {
    const plan = lab.driver.plan(lab.filer1, await lab.driver.inspect());
    expect(plan.operations.map((o) => o.description)).toEqual([]);
    expect(await lab.driver.apply(plan)).toEqual({ changed: false, items: [] });
  });

  it('verify() finds no drift after apply', async () => {
    expect(await lab.driver.verify(lab.filer1)).toEqual([]);
  });

  it.each([
    ['alpha', '198.18.1.21'],
    ['alpha', '2001:db8:0:2::21'],
    ['beta', '198.18.1.22'],
    ['beta', '2001:db8:0:2::22'],
  ])(
    'a client pings and TCP-connects to vsvr %s at %s',
    async (vsvr, address) => {
      const listener = await startTcpListener(lab.ns(vsvr), PORT);
      stops.push(listener.stop);
      try {
        await expectEventually(
          async () => expect(await ping(lab.network.client, address)).toBe(true),
          {
            timeoutMs: 5_000,
          },
        );
        await expectEventually(
          async () => expect(await tcpConnects(lab.network.client, address, PORT)).toBe(true),
          {
            timeoutMs: 5_000,
          },
        );
      } finally {
        await listener.stop();
      }
    },
    20_000,
  );

  it.each([
    ['198.18.0.11', '198.18.1.100'],
    ['2001:db8:0:1::11', '2001:db8:0:2::100'],
  ])(
    'mgmt address %s answers a client on another subnet (%s) through its source-routing table',
    async (address, from) => {
      // The filer's main table has no route to `from`: only the rule into mgmt0's table
      // (connected subnet + default via the client) carries the reply.
      await expectEventually(
        async () => expect(await ping(lab.network.client, address, from)).toBe(true),
        {
          timeoutMs: 5_000,
        },
      );
      const main = await inNamespace(lab.network.filer, 'ip', [
        'route',
        'get',
        from.includes(':') ? '2001:db8:0:2::100' : '198.18.1.100',
      ]);
      expect(main.code).not.toBe(0);
    },
    20_000,
  );

  it('gamma (standby copy) is pre-staged: namespace and data0 down, no address, no route', async () => {
    const link = JSON.parse(
      (await must('ip', ['-j', '-n', lab.ns('gamma'), 'link', 'show', 'dev', 'data0'])).stdout,
    ) as {
      flags: string[];
      address: string;
    }[];
    expect(link[0]?.flags).not.toContain('UP');
    expect(link[0]?.address).toBe(
      lab.filer1.vsvrs.find((v) => v.name === 'gamma')?.interfaces[0]?.mac,
    );
    const addrs = await must('ip', ['-n', lab.ns('gamma'), '-br', 'addr', 'show', 'dev', 'data0']);
    expect(addrs.stdout).not.toMatch(/198\.18|2001:db8/);
    expect(await ping(lab.network.client, '198.18.1.23')).toBe(false);
  });

  it('alpha and beta have their own routing tables: only alpha reaches the network behind the client', async () => {
    expect(
      (await must('ip', ['-n', lab.ns('alpha'), 'route', 'show', '198.19.20.0/24'])).stdout,
    ).toContain('via 198.18.1.1');
    expect(
      (await must('ip', ['-n', lab.ns('beta'), 'route', 'show', '198.19.20.0/24'])).stdout,
    ).toBe('');
    await expectEventually(async () =>
      expect(await ping(lab.network.client, '198.18.1.21', '198.19.20.1')).toBe(true),
    );
    await expectEventually(async () =>
      expect(await ping(lab.network.client, '2001:db8:0:2::21', '2001:db8:20::1')).toBe(true),
    );
    expect(await ping(lab.network.client, '198.18.1.22', '198.19.20.1')).toBe(false);
    expect(await ping(lab.network.client, '2001:db8:0:2::22', '2001:db8:20::1')).toBe(false);
  }, 20_000);

  it('alpha and beta have their own counters: a TCP connection to alpha counts in alpha only', async () => {
    const listener = await startTcpListener(lab.ns('alpha'), PORT);
    stops.push(listener.stop);
    try {
      const before = await lab.driver.counters();
      expect(Object.keys(before).sort()).toEqual(['alpha', 'beta', 'gamma']);
      expect(await tcpConnects(lab.network.client, '198.18.1.21', PORT)).toBe(true);
      const after = await lab.driver.counters();
      expect((after.alpha?.tcp.PassiveOpens ?? 0) - (before.alpha?.tcp.PassiveOpens ?? 0)).toBe(1);
      expect(after.beta?.tcp.PassiveOpens).toBe(before.beta?.tcp.PassiveOpens);
      expect(after.alpha?.ip.InReceives ?? 0).toBeGreaterThan(before.alpha?.ip.InReceives ?? 0);
    } finally {
      await listener.stop();
    }
  }, 20_000);
});
