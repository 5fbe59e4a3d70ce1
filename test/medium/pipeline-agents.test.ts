// The change pipeline end to end inside one test process: a control service (real MariaDB,
// real Redis with a key prefix of its own) and one real agent process per filer of the lab
// cluster, each with the dry-run driver. Agent addresses are set in filer_state directly, as
// JoinFiler would.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addVsvrAddress } from '@vsnet/model';
import { ClusterStateStore, PipelineStore } from '@vsnet/store';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { MetricsService } from '../../apps/control/src/metrics/metrics.service.js';
import { AgentProcess, agentClient, deadline, unary } from '../agent/agent-process.js';
import type { AgentClient, GetStateResponse__Output } from '@vsnet/contracts';
import { freePort, startControl } from './support/control-service.js';
import type { RunningControl } from './support/control-service.js';
import { applyAsAdmin, labCluster } from './support/documents.js';

const FILERS = ['filer1', 'filer2', 'filer3'] as const;
type Filer = (typeof FILERS)[number];

interface FilerProgress {
  filer: string;
  state: string;
  observedGeneration: string;
  error: string;
}
interface ChangeRecord {
  generation: string;
  state: string;
  rpc: string;
  filers: FilerProgress[];
}

/** One filer's agent: a process on a fixed port and state folder, so it can be restarted. */
class FilerAgent {
  process: AgentProcess | undefined;
  readonly client: AgentClient;

  constructor(
    readonly filer: string,
    readonly address: string,
    readonly stateDir: string,
  ) {
    this.client = agentClient(address);
  }

  async start(runsFiler = this.filer): Promise<void> {
    const { agent } = await AgentProcess.start({
      VSNET_FILER: runsFiler,
      VSNET_AGENT_LISTEN: this.address,
      VSNET_AGENT_STATE_DIR: this.stateDir,
    });
    this.process = agent;
  }

  async kill(): Promise<void> {
    await this.process?.kill();
    this.process = undefined;
  }

  state(): Promise<GetStateResponse__Output> {
    return unary((cb) => this.client.GetState({}, deadline(), cb));
  }

  /** How many applies the agent ran (it logs one line for each). */
  applies(): number {
    return (this.process?.logs ?? []).filter((l) => l.msg.startsWith('applied generation')).length;
  }
}

let r: RunningControl;
let pipeline: PipelineStore;
let redis: Redis;
const agents = new Map<Filer, FilerAgent>();
const dirs: string[] = [];

function agentOf(filer: Filer): FilerAgent {
  const agent = agents.get(filer);
  if (agent === undefined) {
    throw new Error(`no agent for ${filer}`);
  }
  return agent;
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) {
        return value;
      }
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) {
      throw new Error(
        `timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function change(generation: string): Promise<ChangeRecord> {
  const { res, err } = await r.call<{ change: ChangeRecord }>(
    'ChangeService',
    'GetChange',
    { generation },
    r.adminToken,
  );
  if (err !== undefined || res === undefined) {
    throw new Error(`GetChange ${generation}: ${err?.message}`);
  }
  return res.change;
}

function changeIn(generation: string, state: string, timeoutMs?: number): Promise<ChangeRecord> {
  return waitFor(
    `change ${generation} to be ${state}`,
    async () => {
      const c = await change(generation);
      return c.state === state ? c : undefined;
    },
    timeoutMs,
  );
}

async function addAddress(vsvr: string, alias: string, address: string): Promise<string> {
  const { res, err } = await r.call<{ generation: string }>(
    'VsvrService',
    'AddAddress',
    { vsvr, alias, address, nextFree: true },
    r.adminToken,
  );
  if (err !== undefined || res === undefined) {
    throw new Error(`AddAddress ${vsvr} ${address}: ${err?.message}`);
  }
  return res.generation;
}

async function addressesOn(filer: Filer): Promise<string[]> {
  return (await agentOf(filer).state()).addresses.map((a) => a.address);
}

async function filerStatus(): Promise<{
  generation: string;
  filers: { filer: string; observedGeneration: string; state: string; agentAddress: string }[];
}> {
  const { res, err } = await r.call<Awaited<ReturnType<typeof filerStatus>>>(
    'ChangeService',
    'ListFilerStatus',
    {},
    r.adminToken,
  );
  if (err !== undefined || res === undefined) {
    throw new Error(`ListFilerStatus: ${err?.message}`);
  }
  return res;
}

/** A TCP server that accepts connections and never answers: an agent that hangs. */
async function blackHole(): Promise<{ address: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) {
        s.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

beforeAll(async () => {
  r = await startControl('pipeline', {
    env: {
      VSNET_RESYNC_INTERVAL_MS: '200',
      VSNET_AGENT_DEADLINE_MS: '3000',
      VSNET_LEADER_LEASE_MS: '1500',
    },
  });
  pipeline = r.app.get(PipelineStore);
  redis = new Redis(r.config.redisUrl, { maxRetriesPerRequest: 1 });
  await applyAsAdmin(r, labCluster());
  for (const filer of FILERS) {
    const dir = mkdtempSync(join(tmpdir(), `vsnet-pipeline-${filer}-`));
    dirs.push(dir);
    const agent = new FilerAgent(filer, `127.0.0.1:${await freePort()}`, dir);
    agents.set(filer, agent);
    await agent.start();
    expect(await pipeline.setAgentAddress(filer, agent.address)).toBe(true);
  }
  const generation = (await filerStatus()).generation;
  await waitFor('every filer to apply the lab cluster', async () => {
    const status = await filerStatus();
    return status.filers.every((f) => f.state === 'FILER_PROGRESS_STATE_APPLIED') &&
      status.filers.length === 3
      ? status
      : undefined;
  });
  const first = await agentOf('filer1').state();
  expect(first.generation).toBe(generation);
  // The first leader of this database holds epoch 1, and every Apply carried it.
  expect(first.epoch).toBe('1');
}, 60_000);

afterAll(async () => {
  for (const agent of agents.values()) {
    agent.client.close();
    await agent.kill();
  }
  for (const dir of dirs) {
    rmSync(dir, { recursive: true, force: true });
  }
  if (redis !== undefined) {
    const keys = await redis.keys(`${r.config.pipeline.queuePrefix}:*`);
    if (keys.length > 0) {
      await redis.del(...keys);
    }
    redis.disconnect();
  }
  await r?.stop();
});

describe('the change pipeline', () => {
  it('brings an AddAddress to the agents of the filers it touches', async () => {
    const generation = await addAddress('sales', 'data0', '198.51.100.22/24');
    const applied = await changeIn(generation, 'CHANGE_STATE_APPLIED');
    expect(applied.rpc).toBe('/vsnet.v1.VsvrService/AddAddress');
    expect(applied.filers.map((f) => f.filer)).toEqual(['filer1', 'filer2', 'filer3']);
    for (const f of applied.filers) {
      expect(f.state).toBe('FILER_PROGRESS_STATE_APPLIED');
      expect(BigInt(f.observedGeneration)).toBeGreaterThanOrEqual(BigInt(generation));
    }
    const placed = await Promise.all(FILERS.map((f) => addressesOn(f)));
    expect(placed.filter((list) => list.includes('198.51.100.22/24')).length).toBeGreaterThan(0);
    const status = await filerStatus();
    for (const f of status.filers) {
      expect(BigInt(f.observedGeneration)).toBeGreaterThanOrEqual(BigInt(generation));
      expect(f.agentAddress).toBe(agentOf(f.filer as Filer).address);
    }
    const listed = await r.call<{ changes: ChangeRecord[] }>(
      'ChangeService',
      'ListChanges',
      { pageSize: 2 },
      r.adminToken,
    );
    expect(listed.res?.changes[0]).toMatchObject({ generation, state: 'CHANGE_STATE_APPLIED' });
    const metrics = await r.app.get(MetricsService).text();
    expect(metrics).toMatch(/^vsnet_agent_applies_total\{result="applied"\} [1-9]/m);
    expect(metrics).toMatch(/^vsnet_agent_apply_duration_seconds_count [1-9]/m);
    expect(metrics).toMatch(/^vsnet_reconcile_queue_depth \d+$/m);
  });

  it('applies a change to one filer while another filer hangs', async () => {
    const { res } = await r.call<{ generation: string }>(
      'VsvrService',
      'CreateVsvr',
      { name: 'solo', failoverGroup: { filers: ['filer3'] } },
      r.adminToken,
    );
    await changeIn(res!.generation, 'CHANGE_STATE_APPLIED');
    const hole = await blackHole();
    try {
      await pipeline.setAgentAddress('filer1', hole.address);
      const stuck = await addAddress('archive', 'data0.5', '198.18.5.52/24');
      expect((await change(stuck)).filers.map((f) => f.filer)).toContain('filer1');
      const started = Date.now();
      const quick = await addAddress('solo', 'data0', '198.51.100.61/24');
      const applied = await changeIn(quick, 'CHANGE_STATE_APPLIED', 2_500);
      expect(applied.filers.map((f) => f.filer)).toEqual(['filer3']);
      expect(Date.now() - started).toBeLessThan(2_500);
      // filer1's apply is still waiting for its 3 s deadline.
      expect((await change(stuck)).state).toBe('CHANGE_STATE_PENDING');
      const unreachable = await waitFor('filer1 to be unreachable', async () => {
        const f = (await change(stuck)).filers.find((p) => p.filer === 'filer1');
        return f?.state === 'FILER_PROGRESS_STATE_UNREACHABLE' ? f : undefined;
      });
      expect(unreachable.error).toContain(hole.address);
    } finally {
      await pipeline.setAgentAddress('filer1', agentOf('filer1').address);
      await hole.close();
    }
    expect(await addressesOn('filer3')).toContain('198.51.100.61/24');
  }, 30_000);

  it('coalesces a burst of 100 changes to one filer into far fewer applies', async () => {
    const before = agentOf('filer3').applies();
    const addresses = Array.from({ length: 100 }, (_, i) => `198.18.7.${i + 1}/24`);
    const generations = await Promise.all(addresses.map((a) => addAddress('solo', 'data0', a)));
    const last = generations.map((g) => BigInt(g)).reduce((a, b) => (a > b ? a : b));
    await changeIn(String(last), 'CHANGE_STATE_APPLIED');
    const seen = await addressesOn('filer3');
    expect(addresses.filter((a) => !seen.includes(a))).toEqual([]);
    const applies = agentOf('filer3').applies() - before;
    process.stdout.write(`burst of 100 changes to filer3: ${applies} applies\n`);
    expect(applies).toBeGreaterThan(0);
    expect(applies).toBeLessThanOrEqual(30);
    for (const g of generations) {
      expect((await change(g)).state).toBe('CHANGE_STATE_APPLIED');
    }
  }, 60_000);

  it('applies a change another control instance committed, compiling its spec itself', async () => {
    // This instance holds the specs its own last commit compiled; for a generation committed
    // elsewhere it must load and compile the cluster, or it would send a stale spec.
    const other = new ClusterStateStore(r.app.get(DataSource));
    const done = await other.edit(
      (current) =>
        addVsvrAddress(current, {
          vsvr: 'solo',
          alias: 'data0',
          address: '198.51.100.71/24',
          instance: 'next-free',
        }),
      { principal: 'admin', rpc: '/test/OtherInstance', peer: 'test' },
    );
    expect(done.filers).toEqual(['filer3']);
    // Nothing queued it here: the resync loop finds filer3 behind.
    await changeIn(done.generation, 'CHANGE_STATE_APPLIED');
    expect(await addressesOn('filer3')).toContain('198.51.100.71/24');
  });

  it('leaves a down agent unreachable, applies the others, and converges when it is back', async () => {
    await agentOf('filer2').kill();
    const generation = await addAddress('archive', 'data0.5', '198.18.5.53/24');
    const pending = await waitFor('filer2 to be unreachable and filer1 applied', async () => {
      const c = await change(generation);
      const by = new Map(c.filers.map((f) => [f.filer, f.state]));
      return by.get('filer2') === 'FILER_PROGRESS_STATE_UNREACHABLE' &&
        by.get('filer1') === 'FILER_PROGRESS_STATE_APPLIED'
        ? c
        : undefined;
    });
    expect(pending.state).toBe('CHANGE_STATE_PENDING');
    expect(pending.filers.find((f) => f.filer === 'filer2')?.error).toContain(
      agentOf('filer2').address,
    );
    // Stays so while the agent is down: resync retries it, no one else waits.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await change(generation)).state).toBe('CHANGE_STATE_PENDING');
    await agentOf('filer2').start();
    await changeIn(generation, 'CHANGE_STATE_APPLIED');
    expect((await agentOf('filer2').state()).generation).toBe(
      (await filerStatus()).filers.find((f) => f.filer === 'filer2')?.observedGeneration,
    );
  }, 30_000);

  it('converges when the queue is wiped from Redis in the middle of a burst', async () => {
    const addresses = Array.from({ length: 40 }, (_, i) => `198.18.8.${i + 1}/24`);
    let wiped = 0;
    const generations = await Promise.all(
      addresses.map(async (a, i) => {
        const g = await addAddress('solo', 'data0', a);
        if (i === 10) {
          const keys = await redis.keys(`${r.config.pipeline.queuePrefix}:*`);
          wiped = keys.length;
          if (keys.length > 0) {
            await redis.del(...keys);
          }
        }
        return g;
      }),
    );
    const last = generations.map((g) => BigInt(g)).reduce((a, b) => (a > b ? a : b));
    await changeIn(String(last), 'CHANGE_STATE_APPLIED');
    expect(wiped).toBeGreaterThan(0);
    const seen = await addressesOn('filer3');
    expect(addresses.filter((a) => !seen.includes(a))).toEqual([]);
  }, 60_000);

  it("shows the agent's error when it refuses the apply, and recovers", async () => {
    const impostor = new FilerAgent(
      'filer3',
      `127.0.0.1:${await freePort()}`,
      mkdtempSync(join(tmpdir(), 'vsnet-pipeline-impostor-')),
    );
    dirs.push(impostor.stateDir);
    await impostor.start('filer9');
    try {
      await pipeline.setAgentAddress('filer3', impostor.address);
      const generation = await addAddress('solo', 'data0', '198.51.100.62/24');
      const failed = await changeIn(generation, 'CHANGE_STATE_FAILED');
      expect(failed.filers).toEqual([
        expect.objectContaining({
          filer: 'filer3',
          state: 'FILER_PROGRESS_STATE_FAILED',
          error: expect.stringContaining(
            'the spec is for filer filer3, but this agent runs filer filer9',
          ),
        }),
      ]);
      await pipeline.setAgentAddress('filer3', agentOf('filer3').address);
      await changeIn(generation, 'CHANGE_STATE_APPLIED');
    } finally {
      impostor.client.close();
      await impostor.kill();
    }
  }, 30_000);

  it('does not let a late failure overwrite a newer applied state', async () => {
    const applied = await pipeline.filerState('filer1');
    expect(applied?.state).toBe('applied');
    const observed = applied!.observedGeneration;
    // An apply of the generation filer1 already observed, failing after the one that succeeded.
    expect(
      await pipeline.recordApply('filer1', {
        ok: false,
        address: agentOf('filer1').address,
        generation: observed,
        state: 'unreachable',
        error: 'late: deadline exceeded',
      }),
    ).toBe(false);
    // Results from the address filer1's agent had before it moved are not filer1's any more.
    const elsewhere = '127.0.0.1:9';
    expect(
      await pipeline.recordApply('filer1', {
        ok: false,
        address: elsewhere,
        generation: String(BigInt(observed) + 1n),
        state: 'failed',
        error: 'late: refused',
      }),
    ).toBe(false);
    expect(
      await pipeline.recordApply('filer1', {
        ok: true,
        address: elsewhere,
        generation: String(BigInt(observed) + 1n),
        hash: 'f'.repeat(64),
      }),
    ).toBe(false);
    const status = (await filerStatus()).filers.find((f) => f.filer === 'filer1');
    expect(status).toMatchObject({
      state: 'FILER_PROGRESS_STATE_APPLIED',
      observedGeneration: observed,
      error: '',
    });
  });

  it('backs off from an agent that refuses connections instead of retrying it every pass', async () => {
    const unreachable = async (): Promise<number> => {
      const text = await r.app.get(MetricsService).text();
      return Number(
        /^vsnet_agent_applies_total\{result="unreachable"\} (\d+)/m.exec(text)?.[1] ?? 0,
      );
    };
    const closed = `127.0.0.1:${await freePort()}`;
    const before = await unreachable();
    await pipeline.setAgentAddress('filer1', closed);
    try {
      await waitFor('filer1 to be unreachable', async () => {
        const f = (await filerStatus()).filers.find((p) => p.filer === 'filer1');
        return f?.state === 'FILER_PROGRESS_STATE_UNREACHABLE' ? f : undefined;
      });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      // A pass every 200 ms would have tried it about 16 times by now; doubling waits from
      // 200 ms allow about 5.
      const tries = (await unreachable()) - before;
      expect(tries).toBeGreaterThanOrEqual(2);
      expect(tries).toBeLessThanOrEqual(8);
    } finally {
      await pipeline.setAgentAddress('filer1', agentOf('filer1').address);
    }
    // A new address is new work: tried at once, not after the backoff.
    const started = Date.now();
    await waitFor('filer1 to be applied again', async () => {
      const f = (await filerStatus()).filers.find((p) => p.filer === 'filer1');
      return f?.state === 'FILER_PROGRESS_STATE_APPLIED' ? f : undefined;
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  }, 30_000);

  it("clears a removed filer's vsvrs and addresses, then forgets the filer", async () => {
    expect((await agentOf('filer3').state()).namespaces.length).toBeGreaterThan(0);
    const doc = labCluster() as unknown as {
      filers: { name: string }[];
      vsvrs: { failoverGroup?: string[] }[];
    };
    doc.filers = doc.filers.filter((f) => f.name !== 'filer3');
    for (const v of doc.vsvrs) {
      v.failoverGroup = v.failoverGroup?.filter((f) => f !== 'filer3');
    }
    const removal = await applyAsAdmin(r, doc as never);
    const applied = await changeIn(removal, 'CHANGE_STATE_APPLIED');
    expect(applied.filers.map((f) => f.filer)).toContain('filer3');
    const left = await agentOf('filer3').state();
    expect(left.generation).toBe(removal);
    expect(left.namespaces).toEqual([]);
    expect(left.addresses.map((a) => a.address)).toEqual([]);
    expect((await filerStatus()).filers.map((f) => f.filer)).toEqual(['filer1', 'filer2']);
    // The vsvrs it ran are still up on the filers that remain.
    expect((await agentOf('filer1').state()).namespaces.length).toBeGreaterThan(0);
  }, 30_000);
});
