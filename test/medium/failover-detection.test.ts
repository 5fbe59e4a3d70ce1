// Filer-loss detection and failover in one control service (real MariaDB and Redis), against
// fake agents on 127.0.0.1 (support/fake-failover-agent.ts): the real heartbeat worker pings
// them over UDP and probes their ports over TCP. An agent killed on a live filer (its port
// refuses connections) is agent-down and nothing moves; a filer that is gone (its port drops
// SYNs) is down and its vsvrs fail over, vs_mgmt first; back, it is fenced, recovering, then
// up; MoveVsvr brings a vsvr home. Needs the build: the heartbeat worker runs from dist/.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { PipelineStore, storeDataSourceOptions } from '@vsnet/store';
import { DataSource } from 'typeorm';
import { schemaMigrations } from '../../migrations/index.js';
import type { GetFailoverStatusResponse__Output } from '../../libs/contracts/src/generated/vsnet/v1/GetFailoverStatusResponse.js';
import type { MoveVsvrResponse__Output } from '../../libs/contracts/src/generated/vsnet/v1/MoveVsvrResponse.js';
import { clusterApiGrpc } from '../../libs/contracts/src/cluster-api.js';
import { createControlApp } from '../../apps/control/src/control-app.js';
import { JsonLogger } from '../../apps/control/src/logging/json-logger.js';
import { expectEventually } from '../lab/support/expect-eventually.js';
import { DEADLINE_MS, freePort, startControl } from './support/control-service.js';
import type { RunningControl } from './support/control-service.js';
import { applyAsAdmin, labCluster } from './support/documents.js';
import { FakeFailoverAgent } from './support/fake-failover-agent.js';

const FILERS = ['filer1', 'filer2', 'filer3'] as const;
type Filer = (typeof FILERS)[number];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('failover detection against fake agents', () => {
  let r: RunningControl;
  let dataSource: DataSource;
  const agents = {} as Record<Filer, FakeFailoverAgent>;

  async function status(): Promise<GetFailoverStatusResponse__Output> {
    const { res, err } = await r.call<GetFailoverStatusResponse__Output>(
      'FailoverService',
      'GetFailoverStatus',
      { recent: 20 },
      r.adminToken,
    );
    if (res === undefined) {
      throw new Error(`GetFailoverStatus failed: ${err?.details ?? 'no answer'}`);
    }
    return res;
  }

  async function health(filer: Filer): Promise<string | undefined> {
    return (await status()).filers.find((f) => f.filer === filer)?.state;
  }

  function placed(s: GetFailoverStatusResponse__Output): Record<string, string> {
    return Object.fromEntries(s.vsvrs.map((v) => [v.vsvr, v.filer]));
  }

  beforeAll(async () => {
    for (const filer of FILERS) {
      agents[filer] = await FakeFailoverAgent.start(filer);
    }
    r = await startControl('fodetect', {
      // A long lease: a test process starved of CPU must not lose the leadership midway.
      env: {
        VSNET_FAILOVER_PROFILE: 'default',
        VSNET_FILER_UP_HOLD_MS: '500',
        VSNET_LEADER_LEASE_MS: '10000',
      },
    });
    await applyAsAdmin(r, labCluster());
    dataSource = new DataSource(
      storeDataSourceOptions({ url: r.db.url, migrations: schemaMigrations(r.config.dbEngine) }),
    );
    await dataSource.initialize();
    const pipeline = new PipelineStore(dataSource);
    for (const filer of FILERS) {
      // As JoinFiler records a joined agent.
      await pipeline.setAgentAddress(filer, agents[filer].address);
    }
    await expectEventually(
      async () =>
        expect((await status()).filers.map((f) => [f.filer, f.state])).toEqual(
          FILERS.map((f) => [f, 'FILER_HEALTH_STATE_UP']),
        ),
      { timeoutMs: 10_000 },
    );
  }, 60_000);

  afterAll(async () => {
    await dataSource?.destroy();
    await r?.stop();
    for (const filer of FILERS) {
      await agents[filer]?.stop();
    }
  }, 30_000);

  it('introduces the leader to every agent: epoch, a 32-byte key, timing; pongs are signed', async () => {
    const s = await status();
    expect(s.leader?.holder).not.toBe('');
    expect(s.heartbeat).toMatchObject({
      profile: 'custom',
      intervalMs: 20,
      misses: 4,
      upHoldMs: 500,
    });
    for (const filer of FILERS) {
      const lead = agents[filer].leads[0];
      expect(lead?.epoch).toBe(s.leader?.epoch);
      expect(lead?.heartbeatKey.length).toBe(32);
      expect(lead).toMatchObject({
        leaseMs: 10_000,
        fenceAfterMs: 20_000,
        heartbeatIntervalMs: 20,
      });
      expect(agents[filer].signedPongs).toBeGreaterThan(0);
    }
  });

  it('an agent killed on a live filer: agent-down, nothing fails over; restarted, it is led again', async () => {
    const before = await status();
    await agents.filer3.kill();
    await expectEventually(async () =>
      expect(await health('filer3')).toBe('FILER_HEALTH_STATE_AGENT_DOWN'),
    );
    // Its kernel keeps refusing connections: it must stay agent-down, however long it lasts.
    await sleep(1_500);
    const after = await status();
    expect(after.filers.find((f) => f.filer === 'filer3')?.state).toBe(
      'FILER_HEALTH_STATE_AGENT_DOWN',
    );
    expect(after.recent).toEqual([]);
    expect(placed(after)).toEqual(placed(before));
    expect(FILERS.flatMap((f) => agents[f].takeovers)).toEqual([]);

    const leads = agents.filer3.leads.length;
    await agents.filer3.restart(); // no key: it answers NO_KEY, and the leader leads it again
    await expectEventually(async () =>
      expect(await health('filer3')).toBe('FILER_HEALTH_STATE_UP'),
    );
    await expectEventually(() => expect(agents.filer3.leads.length).toBeGreaterThan(leads));
    const signed = agents.filer3.signedPongs;
    await expectEventually(() => expect(agents.filer3.signedPongs).toBeGreaterThan(signed));
  }, 20_000);

  it('a lost filer: down, its vsvrs fail over to the first up filer of their group, vs_mgmt first', async () => {
    const before = await status();
    const onFiler1 = before.vsvrs.filter((v) => v.filer === 'filer1').map((v) => v.vsvr);
    expect(onFiler1).toContain('vs_mgmt');
    await agents.filer1.lose();
    const event = await expectEventually(
      async () => {
        const s = await status();
        expect(s.filers.find((f) => f.filer === 'filer1')?.state).toBe('FILER_HEALTH_STATE_DOWN');
        const lost = s.recent.find((e) => e.kind === 'FAILOVER_KIND_FILER_LOST');
        expect(lost).toBeDefined();
        return lost!;
      },
      { timeoutMs: 5_000 },
    );
    expect(event).toMatchObject({
      filer: 'filer1',
      principal: 'vsnet-failover',
      epoch: before.leader?.epoch,
    });
    // Not before four intervals without an answer.
    expect(event.detectionMs).toBeGreaterThanOrEqual(80);
    expect(event.moves.map((m) => m.vsvr)).toEqual([
      'vs_mgmt',
      ...onFiler1.filter((v) => v !== 'vs_mgmt'),
    ]);
    for (const m of event.moves) {
      expect(m).toMatchObject({ from: 'filer1', error: '' });
      expect(['filer2', 'filer3']).toContain(m.to);
      expect(m.committedMs).toBeGreaterThanOrEqual(m.announcedMs);
    }
    const after = await status();
    for (const m of event.moves) {
      expect(after.vsvrs.find((v) => v.vsvr === m.vsvr)).toMatchObject({
        filer: m.to,
        reason: 'PLACEMENT_REASON_FAILOVER',
      });
    }
    expect(after.generation).toBe(event.generation);
    // vs_mgmt's Takeover went out alone, first.
    const takeovers = [agents.filer2, agents.filer3].flatMap((a) =>
      a.takeovers.map((t) => ({ ...t, at: a.filer })),
    );
    expect(takeovers.find((t) => t.activate.includes('vs_mgmt'))?.activate).toEqual(['vs_mgmt']);
  }, 20_000);

  it('the lost filer back: told to fence, recovering, up after the up-hold', async () => {
    await agents.filer1.restart();
    await expectEventually(
      async () => expect(await health('filer1')).toBe('FILER_HEALTH_STATE_RECOVERING'),
      {
        timeoutMs: 5_000,
        intervalMs: 20,
      },
    );
    await expectEventually(() => expect(agents.filer1.fenceNowPings).toBeGreaterThan(0));
    await expectEventually(
      async () => expect(await health('filer1')).toBe('FILER_HEALTH_STATE_UP'),
      {
        timeoutMs: 5_000,
      },
    );
  }, 20_000);

  it('MoveVsvr brings a vsvr home: withdrawn where it ran, taken over at home, committed', async () => {
    const before = await status();
    const from = before.vsvrs.find((v) => v.vsvr === 'vs_mgmt')?.filer as Filer;
    expect(from).not.toBe('filer1');
    const { res, err } = await r.call<MoveVsvrResponse__Output>(
      'FailoverService',
      'MoveVsvr',
      { vsvr: 'vs_mgmt', filer: 'filer1' },
      r.adminToken,
    );
    expect(err?.details).toBeUndefined();
    expect(res?.failover).toMatchObject({
      kind: 'FAILOVER_KIND_MOVE',
      filer: from,
      principal: 'admin',
    });
    expect(agents[from].takeovers.at(-1)).toMatchObject({ deactivate: ['vs_mgmt'], activate: [] });
    expect(agents.filer1.takeovers.at(-1)).toMatchObject({ activate: ['vs_mgmt'], deactivate: [] });
    const after = await status();
    expect(after.vsvrs.find((v) => v.vsvr === 'vs_mgmt')).toMatchObject({
      filer: 'filer1',
      reason: 'PLACEMENT_REASON_HOME',
    });
    expect(after.generation).toBe(res?.generation);
    // A filer that is not up is refused, and so is a filer the vsvr already runs on.
    const again = await r.call(
      'FailoverService',
      'MoveVsvr',
      { vsvr: 'vs_mgmt', filer: 'filer1' },
      r.adminToken,
    );
    expect(again.err?.details).toMatch(/already runs on filer1/);
  });

  it('a replica that does not lead shows what the leader wrote, and passes MoveVsvr on to it', async () => {
    const port = await freePort();
    const logs: string[] = [];
    const replica = await createControlApp(
      {
        ...r.config,
        grpcPort: port,
        failover: { ...r.config.failover, advertise: `127.0.0.1:${port}` },
      },
      new JsonLogger('warn', (line) => logs.push(line)),
    );
    await replica.startAllMicroservices();
    await replica.init();
    const client = new (clusterApiGrpc().FailoverService)(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${r.adminToken}`);
    const options = (): grpc.CallOptions => ({ deadline: Date.now() + DEADLINE_MS });
    try {
      const leader = await status();
      const seen = await expectEventually(async () => {
        const s = await new Promise<GetFailoverStatusResponse__Output>((resolve, reject) =>
          client.GetFailoverStatus({ recent: 5 }, md, options(), (err, res) =>
            err || res === undefined ? reject(err ?? new Error('no answer')) : resolve(res),
          ),
        );
        // The health the leader wrote behind (filer_health), not a view of its own.
        expect(s.filers.map((f) => [f.filer, f.state])).toEqual(
          leader.filers.map((f) => [f.filer, f.state]),
        );
        return s;
      });
      expect(seen.leader).toMatchObject({ holder: leader.leader?.holder, endpoint: r.address });
      const from = leader.vsvrs.find((v) => v.vsvr === 'sales')?.filer;
      const to = from === 'filer3' ? 'filer2' : 'filer3';
      const moved = await new Promise<MoveVsvrResponse__Output>((resolve, reject) =>
        client.MoveVsvr({ vsvr: 'sales', filer: to }, md, options(), (err, res) =>
          err || res === undefined ? reject(err ?? new Error('no answer')) : resolve(res),
        ),
      );
      // The leader did it, as the caller.
      expect(moved.failover).toMatchObject({
        kind: 'FAILOVER_KIND_MOVE',
        principal: 'admin',
        epoch: leader.leader?.epoch,
      });
      expect(agents[to].takeovers.at(-1)).toMatchObject({ activate: ['sales'] });
      expect((await status()).vsvrs.find((v) => v.vsvr === 'sales')).toMatchObject({
        filer: to,
        reason: 'PLACEMENT_REASON_MOVE',
      });
    } finally {
      client.close();
      await replica.close();
    }
  }, 30_000);
});
