import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import type {
  AgentClient,
  GetStateResponse__Output,
  LeadResponse__Output,
  Received,
  TakeoverResponse__Output,
} from '@vsnet/contracts';
import {
  PING_FENCE_NOW,
  PONG_FENCED,
  PONG_NO_KEY,
  agentGrpc,
  decodeHeartbeat,
  encodeHeartbeat,
} from '@vsnet/contracts';
import type { AgentProcess } from '../../deploy/lab/src/agent-process.js';
import { Lab, labNamespaces, removeStale } from '../../deploy/lab/src/lab.js';
import { AgentApi, applySummary } from './support/agent-client.js';
import { expectEventually } from './support/expect-eventually.js';
import {
  CLIENTS,
  agentsLabDescription,
  compileLab,
  labCluster,
  threePortFiler,
  vsvr,
} from './support/lab-cluster.js';
import { ping, snapshot } from './support/netns.js';
import { stopStarted } from './support/processes.js';
import { PingLoop, startTcpServer, tcpProbe } from './support/tcp.js';

/**
 * Issue 7, the agent's side of failover, with the real agent and Linux driver: two filers, `eng`
 * active on filer1 and pre-staged on filer2, `web` active on filer2 and pre-staged on filer1.
 * This test plays the leader: it calls Lead and Takeover and sends the UDP heartbeats itself.
 * The steps build on each other.
 */
const PREFIX = `af${process.pid % 100_000}`;
const FILERS = ['filer1', 'filer2'] as const;
const STEP_MS = 30_000;
const EPOCH = 2;
const KEY = Buffer.alloc(32, 0x5a);
const LEASE_MS = 1_000;
const FENCE_AFTER_MS = 1_500;
const HEARTBEAT_MS = 20;
const ENG = '198.18.10.41';
const WEB = '198.18.11.51';
const FILER2_MGMT = '198.18.0.12';

const DESCRIPTION = {
  ...agentsLabDescription(PREFIX),
  filers: agentsLabDescription(PREFIX).filers.filter((f) => f.name !== 'filer3'),
};
const SPECS = compileLab(
  labCluster({
    filers: [threePortFiler('filer1', 11), threePortFiler('filer2', 12)],
    vsvrs: [
      vsvr('eng', {
        failoverGroup: ['filer1', 'filer2'],
        addresses: [
          { alias: 'data0', address: `${ENG}/24` },
          { alias: 'data0', address: '2001:db8:0:10::41/64' },
        ],
      }),
      vsvr('web', {
        failoverGroup: ['filer2', 'filer1'],
        routingPolicy: 'data1-only',
        addresses: [{ alias: 'data1', address: `${WEB}/24` }],
      }),
    ],
  }),
);

function specOf(filer: string) {
  const spec = SPECS.get(filer);
  if (spec === undefined) {
    throw new Error(`no spec for ${filer}`);
  }
  return spec;
}

/** The calls of a leader that AgentApi (Apply, GetState) does not make. */
class LeaderApi {
  private readonly client: AgentClient;

  constructor(address: string) {
    const { Agent } = agentGrpc();
    this.client = new Agent(address, grpc.credentials.createInsecure());
  }

  lead(): Promise<LeadResponse__Output> {
    return new Promise((resolve, reject) =>
      this.client.Lead(
        {
          epoch: EPOCH,
          heartbeatKey: KEY,
          leaseMs: LEASE_MS,
          fenceAfterMs: FENCE_AFTER_MS,
          heartbeatIntervalMs: HEARTBEAT_MS,
        },
        { deadline: Date.now() + 10_000 },
        (err, res) => (err || !res ? reject(err ?? new Error('Lead: no answer')) : resolve(res)),
      ),
    );
  }

  takeover(activate: string[], deactivate: string[] = []): Promise<TakeoverResponse__Output> {
    return new Promise((resolve, reject) =>
      this.client.Takeover(
        { epoch: EPOCH, activate, deactivate },
        { deadline: Date.now() + 10_000 },
        (err, res) =>
          err || !res ? reject(err ?? new Error('Takeover: no answer')) : resolve(res),
      ),
    );
  }

  close(): void {
    this.client.close();
  }
}

/** The leader's heartbeat socket: pings on demand, or every HEARTBEAT_MS to chosen agents. */
class Heartbeater {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private seq = 0;

  private constructor(private readonly socket: Socket) {}

  static async open(): Promise<Heartbeater> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new Heartbeater(socket);
  }

  /** One ping to `port`; the answer decoded with KEY, or undefined after 1 s. */
  exchange(port: number, flags = 0): Promise<Received | undefined> {
    const seq = ++this.seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), 1_000);
      const onMessage = (datagram: Buffer): void => {
        const received = decodeHeartbeat(datagram, KEY);
        if (received?.message.seq === seq) {
          done(received);
        }
      };
      const done = (r: Received | undefined): void => {
        clearTimeout(timer);
        this.socket.off('message', onMessage);
        resolve(r);
      };
      this.socket.on('message', onMessage);
      this.send(port, seq, flags);
    });
  }

  /** Pings `port` every HEARTBEAT_MS, as the leader's worker does, until {@link stop}. */
  start(filer: string, port: number): void {
    this.stop(filer);
    this.timers.set(
      filer,
      setInterval(() => this.send(port, ++this.seq, 0), HEARTBEAT_MS),
    );
  }

  stop(filer: string): void {
    clearInterval(this.timers.get(filer));
    this.timers.delete(filer);
  }

  close(): void {
    [...this.timers.keys()].forEach((f) => this.stop(f));
    this.socket.close();
  }

  private send(port: number, seq: number, flags: number): void {
    this.socket.send(
      encodeHeartbeat({ kind: 'ping', epoch: BigInt(EPOCH), seq, flags }, KEY),
      port,
      '127.0.0.1',
    );
  }
}

describe('failover on the agent: heartbeats, takeover, fencing, restart', () => {
  let lab: Lab;
  let stateRoot: string;
  let heartbeats: Heartbeater;
  const agents = new Map<string, AgentProcess>();
  const apis = new Map<string, AgentApi>();
  const leaders = new Map<string, LeaderApi>();
  const timings: { plumbedMs: number; announcedMs: number }[] = [];

  const api = (filer: string): AgentApi => {
    const a = apis.get(filer);
    if (!a) {
      throw new Error(`no agent for ${filer}`);
    }
    return a;
  };
  const leader = (filer: string): LeaderApi => {
    const l = leaders.get(filer);
    if (!l) {
      throw new Error(`no agent for ${filer}`);
    }
    return l;
  };
  /** The agent's heartbeat port: the number of its gRPC port (VSNET_AGENT_HEARTBEAT_PORT unset). */
  const port = (filer: string): number => Number(agents.get(filer)?.address.split(':')[1]);
  const eng = (filer: string): string => `${lab.vsvrNamespacePrefix(filer)}vs-eng`;
  const state = (filer: string): Promise<GetStateResponse__Output> => api(filer).getState();
  const running = async (filer: string) => {
    const s = await state(filer);
    return { fenced: s.fenced, active: s.activeVsvrs };
  };
  const client0 = (): string => lab.clientNamespace(CLIENTS.data0);

  async function startAgent(filer: string): Promise<void> {
    const agent = await lab.startAgent(filer, { stateDir: join(stateRoot, filer) });
    agents.set(filer, agent);
    apis.get(filer)?.close();
    apis.set(filer, new AgentApi(agent.address));
    leaders.get(filer)?.close();
    leaders.set(filer, new LeaderApi(agent.address));
  }

  async function takeover(filer: string, activate: string[], deactivate: string[] = []) {
    const answer = await leader(filer).takeover(activate, deactivate);
    timings.push({ plumbedMs: answer.plumbedMs, announcedMs: answer.announcedMs });
    return answer;
  }

  beforeAll(async () => {
    await removeStale(PREFIX);
    stateRoot = await mkdtemp(join(tmpdir(), `vsnet-${PREFIX}-`));
    lab = await Lab.build(DESCRIPTION);
    heartbeats = await Heartbeater.open();
    await Promise.all(FILERS.map((f) => startAgent(f)));
    for (const f of FILERS) {
      expect(applySummary(await api(f).apply(specOf(f), 1, 1))).toMatchObject({
        failed: [],
        drift: [],
      });
    }
    // A server in eng's namespace on both filers (the standby copy exists on filer2): the
    // banner says which filer answers for eng's address.
    await Promise.all(FILERS.map((f) => startTcpServer(eng(f), `eng@${f}`)));
  }, 60_000);

  afterAll(async () => {
    heartbeats?.close();
    await stopStarted();
    for (const c of [...apis.values(), ...leaders.values()]) {
      c.close();
    }
    await lab?.teardown();
    await removeStale(PREFIX);
    if (stateRoot) {
      await rm(stateRoot, { recursive: true, force: true });
    }
    if (timings.length > 0) {
      const plumbed = timings.map((t) => t.plumbedMs.toFixed(1)).join(', ');
      process.stdout.write(`takeover plumbed_ms: ${plumbed}; announced_ms equal to it\n`);
    }
  }, 30_000);

  it(
    'answers NO_KEY until a leader leads it, then signed pongs saying who it is',
    async () => {
      const before = await heartbeats.exchange(port('filer1'));
      expect(before?.authentic).toBe(false);
      expect(before?.message.flags).toBe(PONG_NO_KEY);

      for (const f of FILERS) {
        const answer = await leader(f).lead();
        expect(answer).toEqual({
          filer: f,
          generation: '1',
          specHash: specOf(f).hash,
          fenced: false,
          activeVsvrs: [f === 'filer1' ? 'eng' : 'web'],
          heartbeatPort: port(f),
        });
        heartbeats.start(f, port(f));
      }
      const after = await heartbeats.exchange(port('filer1'));
      expect(after).toEqual({
        authentic: true,
        message: expect.objectContaining({
          kind: 'pong',
          filer: 'filer1',
          generation: 1n,
          flags: 0,
        }),
      });
    },
    STEP_MS,
  );

  it(
    "moves eng to filer2 with Takeover: the client's ping and TCP reach filer2",
    async () => {
      expect(await tcpProbe(client0(), ENG)).toBe('eng@filer1');
      // Back and forth, for the timings; eng ends on filer2.
      for (let i = 0; i < 3; i++) {
        await takeover('filer1', [], ['eng']);
        const taken = await takeover('filer2', ['eng']);
        expect(taken.activeVsvrs).toEqual(['eng', 'web']);
        expect(taken.items.some((it) => it.status === 'ITEM_OUTCOME_FAILED')).toBe(false);
        await expectEventually(async () =>
          expect(await tcpProbe(client0(), ENG)).toBe('eng@filer2'),
        );
        if (i < 2) {
          await takeover('filer2', [], ['eng']);
          await takeover('filer1', ['eng']);
          await expectEventually(async () =>
            expect(await tcpProbe(client0(), ENG)).toBe('eng@filer1'),
          );
        }
      }
      expect(await ping(client0(), ENG)).toBe(true);
      expect(await running('filer2')).toEqual({ fenced: false, active: ['eng', 'web'] });
      expect(await running('filer1')).toEqual({ fenced: false, active: [] });

      // The leader re-sends generation 1: the takeover holds on both filers.
      for (const f of FILERS) {
        expect(applySummary(await api(f).apply(specOf(f), 1, EPOCH))).toMatchObject({ failed: [] });
      }
      expect(await tcpProbe(client0(), ENG)).toBe('eng@filer2');
      expect(await running('filer1')).toEqual({ fenced: false, active: [] });
    },
    STEP_MS,
  );

  it(
    "withdraws filer2's vsvr addresses after fence-after without a heartbeat; its mgmt address stays",
    async () => {
      heartbeats.stop('filer2');
      const silent = performance.now();
      await expectEventually(
        async () => expect(await running('filer2')).toEqual({ fenced: true, active: [] }),
        { timeoutMs: FENCE_AFTER_MS + 3_000, intervalMs: 10 },
      );
      process.stdout.write(
        `fenced ${(performance.now() - silent).toFixed(0)} ms after the last ping (fence-after ${FENCE_AFTER_MS} ms)\n`,
      );
      expect(await ping(client0(), ENG)).toBe(false);
      expect(await ping(lab.clientNamespace(CLIENTS.data1), WEB)).toBe(false);
      expect(await ping(lab.clientNamespace(CLIENTS.mgmt), FILER2_MGMT)).toBe(true);
      // filer1 kept hearing its heartbeats: not fenced.
      expect((await state('filer1')).fenced).toBe(false);
      const pong = await heartbeats.exchange(port('filer2'));
      expect(pong?.authentic).toBe(true);
      expect(pong?.message.flags).toBe(PONG_FENCED);
    },
    STEP_MS,
  );

  it(
    "comes back with the leader's Apply of the same generation, the takeover still held",
    async () => {
      heartbeats.start('filer2', port('filer2'));
      const answer = await api('filer2').apply(specOf('filer2'), 1, EPOCH);
      expect(applySummary(answer)).toMatchObject({ changed: true, failed: [], drift: [] });
      expect(await running('filer2')).toEqual({ fenced: false, active: ['eng', 'web'] });
      await expectEventually(async () => expect(await tcpProbe(client0(), ENG)).toBe('eng@filer2'));
      expect(await ping(lab.clientNamespace(CLIENTS.data1), WEB)).toBe(true);
    },
    STEP_MS,
  );

  it(
    'withdraws at once on a FENCE_NOW heartbeat',
    async () => {
      const sent = performance.now();
      const pong = await heartbeats.exchange(port('filer2'), PING_FENCE_NOW);
      expect(pong?.authentic).toBe(true);
      await expectEventually(
        async () => expect(await running('filer2')).toEqual({ fenced: true, active: [] }),
        { timeoutMs: 3_000, intervalMs: 10 },
      );
      process.stdout.write(
        `FENCE_NOW: eng withdrawn ${(performance.now() - sent).toFixed(0)} ms after the ping\n`,
      );
      expect(await ping(client0(), ENG)).toBe(false);
      expect(await ping(lab.clientNamespace(CLIENTS.mgmt), FILER2_MGMT)).toBe(true);

      await api('filer2').apply(specOf('filer2'), 1, EPOCH);
      await expectEventually(async () => expect(await tcpProbe(client0(), ENG)).toBe('eng@filer2'));
    },
    STEP_MS,
  );

  it(
    'keeps eng answering on filer2 through a SIGKILL and restart of its agent, which adopts it',
    async () => {
      const loop = PingLoop.start(client0(), ENG, 0.02);
      await loop.replies(5);
      const namespaces = (await labNamespaces(PREFIX)).filter((ns) =>
        ns.startsWith(lab.filerNamespace('filer2')),
      );
      const before = await Promise.all(namespaces.map(async (ns) => [ns, await snapshot(ns)]));

      heartbeats.stop('filer2');
      await agents.get('filer2')?.kill();
      await startAgent('filer2');
      // The restarted agent has no key: it says so, and the leader leads it again.
      const noKey = await heartbeats.exchange(port('filer2'));
      expect(noKey?.message.flags).toBe(PONG_NO_KEY);
      const led = await leader('filer2').lead();
      expect({ fenced: led.fenced, active: led.activeVsvrs }).toEqual({
        fenced: false,
        active: ['eng', 'web'],
      });
      heartbeats.start('filer2', port('filer2'));
      expect((await heartbeats.exchange(port('filer2')))?.authentic).toBe(true);

      const restored = await state('filer2');
      expect({
        restored: restored.restoredFromCache,
        fenced: restored.fenced,
        active: restored.activeVsvrs,
      }).toEqual({ restored: true, fenced: false, active: ['eng', 'web'] });
      await loop.replies(40);
      const { lost, replies } = await loop.stop();
      expect(lost).toEqual([]);
      expect(replies).toBeGreaterThanOrEqual(40);
      // Nothing moved: same links (ifindex, MAC, state) and addresses in every namespace.
      const after = await Promise.all(namespaces.map(async (ns) => [ns, await snapshot(ns)]));
      expect(after).toEqual(before);
      expect(await tcpProbe(client0(), ENG)).toBe('eng@filer2');
      expect(agents.get('filer2')?.output()).not.toMatch(/"msg":"fenced/);
    },
    STEP_MS,
  );
});
