import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AgentProcess } from '../../deploy/lab/src/agent-process.js';
import { Lab, labNamespaces, removeStale } from '../../deploy/lab/src/lab.js';
import { run } from '../../deploy/lab/src/run.js';
import { AgentApi, applySummary } from './support/agent-client.js';
import { expectEventually } from './support/expect-eventually.js';
import { agentsLabDescription, bare, CLIENTS, clientFor } from './support/lab-cluster.js';
import { activeAddresses, labGenerations, specOf } from './support/lab-generations.js';
import {
  globalAddresses,
  mainRoutes,
  neighbours,
  ping,
  snapshot,
  snmpCounter,
} from './support/netns.js';
import type { LongRunning } from './support/processes.js';
import { stopStarted } from './support/processes.js';
import { PingLoop, startTcpServer, TcpSession, tcpProbe } from './support/tcp.js';

/**
 * Issue: the node agent and the Linux dataplane, proven in a multi-filer lab. Three filers
 * (filer3 with a single port carrying mgmt0, san0 and data0, §3.1.1), a real agent per filer
 * with the Linux driver, specs applied over gRPC; every check is what a client sees.
 *
 * The tests run in order and build on each other: generation 1, then removal of `sales`
 * (generation 2), then a route change on `eng` (generation 3), then a crash of filer1's agent.
 */
const PREFIX = `la${process.pid % 100_000}`;
const FILERS = ['filer1', 'filer2', 'filer3'] as const;
const EPOCH = 1;
/** Per test; the whole file must stay well under three minutes. */
const STEP_MS = 30_000;
const DESCRIPTION = agentsLabDescription(PREFIX);

const { GEN1, GEN2, GEN3 } = labGenerations();

describe('the node agent and the Linux dataplane in a multi-filer lab', () => {
  let lab: Lab;
  let stateRoot: string;
  const agents = new Map<string, AgentProcess>();
  const apis = new Map<string, AgentApi>();
  const sessions: TcpSession[] = [];
  const servers = new Map<string, LongRunning>();

  const api = (filer: string): AgentApi => {
    const a = apis.get(filer);
    if (!a) {
      throw new Error(`no agent for ${filer}`);
    }
    return a;
  };
  const vsvrNs = (filer: string, vsvr: string): string =>
    `${lab.vsvrNamespacePrefix(filer)}vs-${vsvr.toLowerCase()}`;
  const clientNs = (address: string): string =>
    lab.clientNamespace(clientFor(DESCRIPTION, address));

  async function startAgent(filer: string): Promise<void> {
    const agent = await lab.startAgent(filer, { stateDir: join(stateRoot, filer) });
    agents.set(filer, agent);
    apis.get(filer)?.close();
    apis.set(filer, new AgentApi(agent.address));
  }

  beforeAll(async () => {
    await removeStale(PREFIX);
    stateRoot = await mkdtemp(join(tmpdir(), `vsnet-${PREFIX}-`));
    lab = await Lab.build(DESCRIPTION);
    process.stdout.write(`lab ${PREFIX} built in ${lab.buildMs.toFixed(0)} ms\n`);
    await Promise.all(FILERS.map((f) => startAgent(f)));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await stopStarted();
    for (const a of apis.values()) {
      a.close();
    }
    await lab?.teardown();
    await removeStale(PREFIX);
    if (stateRoot) {
      await rm(stateRoot, { recursive: true, force: true });
    }
  }, 30_000);

  it(
    'applies each filer its compiled spec over gRPC (generation 1, epoch 1)',
    async () => {
      const answers = await Promise.all(FILERS.map((f) => api(f).apply(specOf(GEN1, f), 1, EPOCH)));
      for (const answer of answers) {
        expect(applySummary(answer)).toEqual({
          changed: true,
          generation: '1',
          failed: [],
          drift: [],
        });
      }
      for (const f of FILERS) {
        const state = await api(f).getState();
        expect({ filer: state.filer, driver: state.driver, generation: state.generation }).toEqual({
          filer: f,
          driver: 'linux',
          generation: '1',
        });
        expect(state.specHash).toBe(specOf(GEN1, f).hash);
      }
      const active = [...new Set(activeAddresses(GEN1).map((a) => vsvrNs(a.filer, a.vsvr)))];
      expect(await labNamespaces(PREFIX)).toEqual(expect.arrayContaining(active));
      // A server in every active vsvr and in every filer, to test TCP as a client would.
      await Promise.all([
        ...[...new Set(activeAddresses(GEN1).map((a) => `${a.filer}/${a.vsvr}`))].map(
          async (fv) => {
            const [filer = '', vsvr = ''] = fv.split('/');
            servers.set(fv, await startTcpServer(vsvrNs(filer, vsvr), `${vsvr}@${filer}`));
          },
        ),
        ...FILERS.map((f) => startTcpServer(lab.filerNamespace(f), `filer@${f}`)),
      ]);
    },
    STEP_MS,
  );

  it(
    'lets a client reach every active vsvr address by ping and TCP, IPv4 and IPv6',
    async () => {
      const targets = activeAddresses(GEN1);
      expect(targets.length).toBe(11);
      const unreachable: string[] = [];
      await Promise.all(
        targets.map(async ({ vsvr, filer, address }) => {
          const client = clientNs(address);
          try {
            await expectEventually(
              async () => expect(await ping(client, bare(address))).toBe(true),
              {
                timeoutMs: 5_000,
              },
            );
            expect(await tcpProbe(client, bare(address))).toBe(`${vsvr}@${filer}`);
          } catch (err) {
            unreachable.push(
              `${vsvr} ${address} on ${filer}: ${(err as Error).message.split('\n')[0]}`,
            );
          }
        }),
      );
      expect(unreachable).toEqual([]);
    },
    STEP_MS,
  );

  it(
    'lets a client reach every mgmt (and san) address of every filer by ping and TCP',
    async () => {
      const targets = FILERS.flatMap((f) =>
        specOf(GEN1, f).addresses.map((a) => ({ filer: f, ...a })),
      );
      expect(targets.map((t) => `${t.filer} ${t.alias}`)).toContain('filer3 san0');
      const unreachable: string[] = [];
      await Promise.all(
        targets.map(async ({ filer, alias, address }) => {
          const client = clientNs(address);
          try {
            await expectEventually(
              async () => expect(await ping(client, bare(address))).toBe(true),
              {
                timeoutMs: 5_000,
              },
            );
            expect(await tcpProbe(client, bare(address))).toBe(`filer@${filer}`);
          } catch (err) {
            unreachable.push(
              `${filer} ${alias} ${address}: ${(err as Error).message.split('\n')[0]}`,
            );
          }
        }),
      );
      expect(unreachable).toEqual([]);
    },
    STEP_MS,
  );

  it(
    'gives two vsvrs on one filer their own routing table, neighbour table and counters',
    async () => {
      const sales = vsvrNs('filer1', 'sales');
      const eng = vsvrNs('filer1', 'eng');
      // Routing: eng has data1, sales does not; each has its policy's default route.
      expect(await mainRoutes(sales)).toEqual(
        expect.arrayContaining(['198.18.10.0/24 dev data0', 'default via 198.18.10.1 dev data0']),
      );
      expect((await mainRoutes(sales)).filter((r) => r.includes('data1'))).toEqual([]);
      expect(await mainRoutes(eng)).toEqual(
        expect.arrayContaining(['198.18.10.0/24 dev data0', '198.18.11.0/24 dev data1']),
      );
      // Neighbours: only eng has talked to the data1 client.
      expect(await ping(lab.clientNamespace(CLIENTS.data1), '198.18.11.41')).toBe(true);
      expect((await neighbours(eng)).map((n) => n.dst)).toContain('198.18.11.100');
      expect((await neighbours(sales)).map((n) => n.dst)).not.toContain('198.18.11.100');
      // Counters: echo requests to sales are counted in sales only.
      const before = [
        await snmpCounter(sales, 'Icmp', 'InEchos'),
        await snmpCounter(eng, 'Icmp', 'InEchos'),
      ];
      const stateBefore = await api('filer1').getState();
      for (let i = 0; i < 5; i++) {
        expect(await ping(lab.clientNamespace(CLIENTS.data0), '198.18.10.21')).toBe(true);
      }
      const after = [
        await snmpCounter(sales, 'Icmp', 'InEchos'),
        await snmpCounter(eng, 'Icmp', 'InEchos'),
      ];
      expect([after[0]! - before[0]!, after[1]! - before[1]!]).toEqual([5, 0]);
      const stateAfter = await api('filer1').getState();
      expect(Object.keys(stateAfter.counters).sort()).toEqual(
        expect.arrayContaining(['eng', 'sales']),
      );
      const received = (s: typeof stateAfter, v: string): number =>
        Number(s.counters[v]?.ip['InReceives'] ?? Number.NaN);
      expect(received(stateAfter, 'sales') - received(stateBefore, 'sales')).toBeGreaterThanOrEqual(
        5,
      );
      expect(received(stateAfter, 'eng') - received(stateBefore, 'eng')).toBeLessThan(5);
    },
    STEP_MS,
  );

  it(
    'answers changed=false to a second identical Apply and leaves the kernel alone',
    async () => {
      const before = await Promise.all(
        (await labNamespaces(PREFIX)).map(async (ns) => [ns, await snapshot(ns)]),
      );
      const answers = await Promise.all(FILERS.map((f) => api(f).apply(specOf(GEN1, f), 1, EPOCH)));
      for (const answer of answers) {
        expect(applySummary(answer)).toEqual({
          changed: false,
          generation: '1',
          failed: [],
          drift: [],
        });
      }
      const after = await Promise.all(
        (await labNamespaces(PREFIX)).map(async (ns) => [ns, await snapshot(ns)]),
      );
      expect(after).toEqual(before);
    },
    STEP_MS,
  );

  it(
    'removes a vsvr taken out of the cluster (generation 2): its namespace, and nothing else',
    async () => {
      sessions.push(await TcpSession.open(lab.clientNamespace(CLIENTS.data1), '198.18.11.41'));
      sessions.push(await TcpSession.open(lab.clientNamespace(CLIENTS.data0), '198.18.10.31'));
      expect(sessions.map((s) => s.banner)).toEqual(['eng@filer1', 'legacy@filer3']);
      const salesNamespaces = FILERS.filter((f) =>
        specOf(GEN1, f).vsvrs.some((v) => v.name === 'sales'),
      ).map((f) => vsvrNs(f, 'sales'));
      // sales's TCP server still runs inside its namespace, as a vsvr's services may (or the
      // driver's own background arping): `ip netns del` then only drops the name, and the
      // namespace lives on. Its addresses must leave the wire all the same.
      expect(servers.get('filer1/sales')?.running).toBe(true);
      const others = (await labNamespaces(PREFIX)).filter((ns) => !salesNamespaces.includes(ns));
      const before = await Promise.all(others.map(async (ns) => [ns, await snapshot(ns)]));

      const answers = await Promise.all(FILERS.map((f) => api(f).apply(specOf(GEN2, f), 2, EPOCH)));

      for (const answer of answers) {
        expect(applySummary(answer)).toMatchObject({
          changed: true,
          generation: '2',
          failed: [],
          drift: [],
        });
      }
      expect((await labNamespaces(PREFIX)).sort()).toEqual([...others].sort());
      const after = await Promise.all(others.map(async (ns) => [ns, await snapshot(ns)]));
      expect(after).toEqual(before);
      expect(await Promise.all(sessions.map((s, i) => s.echo(`after-removal-${i}`)))).toEqual([
        'after-removal-0',
        'after-removal-1',
      ]);
      // The removed vsvr's addresses answer no more, as soon as the Apply has returned.
      expect(await ping(lab.clientNamespace(CLIENTS.data0), '198.18.10.21')).toBe(false);
      expect(await ping(lab.clientNamespace(CLIENTS.data0), '2001:db8:0:10::21')).toBe(false);
    },
    STEP_MS,
  );

  it(
    'changes the routes of a live vsvr (generation 3) without breaking its established TCP connection',
    async () => {
      const eng = vsvrNs('filer1', 'eng');
      const links = (await snapshot(eng)).filter((l) => l.startsWith('link'));
      const [engSession] = sessions;

      const answers = await Promise.all(FILERS.map((f) => api(f).apply(specOf(GEN3, f), 3, EPOCH)));

      expect(applySummary(answers[0]!)).toEqual({
        changed: true,
        generation: '3',
        failed: [],
        drift: [],
      });
      const routes = await mainRoutes(eng);
      expect(routes).toEqual(
        expect.arrayContaining([
          'default via 198.18.10.254 dev data0',
          '198.19.5.0/24 via 198.18.11.1 dev data1',
        ]),
      );
      expect(routes).not.toContain('default via 198.18.10.1 dev data0');
      expect((await snapshot(eng)).filter((l) => l.startsWith('link'))).toEqual(links);
      expect(engSession?.open).toBe(true);
      expect(await engSession?.echo('after-route-change')).toBe('after-route-change');
    },
    STEP_MS,
  );

  it(
    'restarts a SIGKILLed agent with its state dir alone: cached spec restored, nothing moved, no ping lost',
    async () => {
      const eng = vsvrNs('filer1', 'eng');
      const loop = PingLoop.start(lab.clientNamespace(CLIENTS.data1), '198.18.11.41');
      await loop.replies(5);
      const before = await Promise.all(
        (await labNamespaces(PREFIX)).map(async (ns) => [ns, await snapshot(ns)] as const),
      );

      await agents.get('filer1')?.kill();
      // Drift while no agent runs: someone removes one of eng's addresses by hand.
      await run('ip', ['-n', eng, 'address', 'del', '2001:db8:0:10::41/64', 'dev', 'data0']);
      await startAgent('filer1'); // same state dir, no control service: nobody calls Apply

      const state = await api('filer1').getState();
      expect({
        generation: state.generation,
        restored: state.restoredFromCache,
        hash: state.specHash,
      }).toEqual({
        generation: '3',
        restored: true,
        hash: specOf(GEN3, 'filer1').hash,
      });
      await loop.replies(10);
      const { replies, lost } = await loop.stop();
      expect(lost).toEqual([]);
      expect(replies).toBeGreaterThanOrEqual(10);
      expect(await Promise.all(sessions.map((s, i) => s.echo(`after-restart-${i}`)))).toEqual([
        'after-restart-0',
        'after-restart-1',
      ]);
      // The address removed by hand is back, on eng on filer1, and answers.
      expect(await globalAddresses(eng)).toContain('data0 2001:db8:0:10::41/64');
      await expectEventually(async () =>
        expect(await ping(lab.clientNamespace(CLIENTS.data0), '2001:db8:0:10::41')).toBe(true),
      );
      // Nothing moved: every namespace has the same links (same ifindex and MAC) and addresses.
      const after = await Promise.all(
        before.map(async ([ns]) => [ns, await snapshot(ns)] as const),
      );
      expect(after).toEqual(before);
      for (const { vsvr, filer, address } of activeAddresses(GEN3)) {
        expect(await tcpProbe(clientNs(address), bare(address))).toBe(`${vsvr}@${filer}`);
      }
    },
    STEP_MS,
  );
});
