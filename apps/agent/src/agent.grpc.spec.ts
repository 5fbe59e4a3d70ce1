import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import type {
  AgentClient,
  ApplyRequest,
  ApplyResponse__Output,
  GetStateResponse__Output,
  LeadRequest,
  LeadResponse__Output,
  TakeoverRequest,
  TakeoverResponse__Output,
} from '@vsnet/contracts';
import { agentGrpc, nodeSpecToWire } from '@vsnet/contracts';
import { createDryRunDriver } from '@vsnet/dataplane';
import type { NodeSpec } from '@vsnet/model';
import { labNodeSpec } from '../../../libs/contracts/src/testing/lab-specs.js';
import {
  APPLY_RESPONSE_TRAILER,
  DRIFT_TRAILER,
  FAILED_ITEMS_TRAILER,
  REASON_TRAILER,
  TRAILER_ITEM_LIMIT,
} from './agent.grpc.js';
import { startAgent } from './agent.js';
import type { RunningAgent } from './agent.js';
import type { AgentConfig } from './config.js';
import { Logger } from './logger.js';
import { tempStateDir } from './testing/agent-fixture.js';
import { FakeHeartbeats } from './testing/fake-heartbeats.js';
import { faultyDriver } from './testing/faulty-driver.js';
import type { Faults } from './testing/faulty-driver.js';

const SPEC = labNodeSpec('filer1');
const { Agent } = agentGrpc();

/** filer1's spec with `count` vsvrs, copies of its first one under new names. */
function manyVsvrs(count: number): NodeSpec {
  const [template] = SPEC.vsvrs;
  if (template === undefined) {
    throw new Error('the lab spec of filer1 has no vsvr');
  }
  const vsvrs = Array.from({ length: count }, (_, i) => ({
    ...template,
    name: `bulk${i}`,
    namespace: `vs-bulk${i}`,
  }));
  return { ...SPEC, vsvrs, hash: 'd'.repeat(64) };
}

function apply(client: AgentClient, request: ApplyRequest): Promise<ApplyResponse__Output> {
  return new Promise((resolve, reject) =>
    client.Apply(request, { deadline: Date.now() + 20_000 }, (err, value) =>
      err ? reject(err) : value === undefined ? reject(new Error('no answer')) : resolve(value),
    ),
  );
}

/** The callback of a unary call that settles a promise. */
function settle<T>(
  resolve: (value: T) => void,
  reject: (err: unknown) => void,
): (err: grpc.ServiceError | null, value?: T) => void {
  return (err, value) =>
    err ? reject(err) : value === undefined ? reject(new Error('no answer')) : resolve(value);
}

const deadline = (): grpc.CallOptions => ({ deadline: Date.now() + 20_000 });
const lead = (client: AgentClient, request: LeadRequest): Promise<LeadResponse__Output> =>
  new Promise((resolve, reject) => client.Lead(request, deadline(), settle(resolve, reject)));
const takeover = (
  client: AgentClient,
  request: TakeoverRequest,
): Promise<TakeoverResponse__Output> =>
  new Promise((resolve, reject) => client.Takeover(request, deadline(), settle(resolve, reject)));
const getState = (client: AgentClient): Promise<GetStateResponse__Output> =>
  new Promise((resolve, reject) => client.GetState({}, deadline(), settle(resolve, reject)));

const KEY = Buffer.alloc(32, 7);

async function failure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}

describe('Agent service over gRPC, in process', () => {
  let dir: ReturnType<typeof tempStateDir>;
  let agent: RunningAgent;
  let client: AgentClient;
  let heartbeats: FakeHeartbeats;
  const faults: Faults = {};

  beforeEach(async () => {
    dir = tempStateDir();
    delete faults.failItemsContaining;
    const config: AgentConfig = {
      filer: 'filer1',
      listen: '127.0.0.1:0',
      stateDir: dir.path,
      driver: 'dry-run',
      filerNamespace: '',
      namespacePrefix: '',
      commandTimeoutMs: 5_000,
    };
    heartbeats = new FakeHeartbeats();
    agent = await startAgent(config, new Logger(() => undefined), {
      driver: faultyDriver(createDryRunDriver(), faults),
      heartbeats: heartbeats.factory,
    });
    client = new Agent(agent.address, grpc.credentials.createInsecure());
  });

  afterEach(async () => {
    client.close();
    await agent.stop();
    dir.remove();
  });

  it('answers a large failed apply with ABORTED and a trailer cut to fit, with the totals', async () => {
    faults.failItemsContaining = 'vs-bulk';
    const spec = manyVsvrs(300);
    const err = await failure(
      apply(client, { spec: nodeSpecToWire(spec), generation: 1, epoch: 1 }),
    );
    expect(err.code).toBe(grpc.status.ABORTED);
    expect(err.details).toMatch(/^generation 1 was not applied /);
    expect(err.details).toMatch(
      new RegExp(
        `\\(the ${APPLY_RESPONSE_TRAILER} trailer carries ${TRAILER_ITEM_LIMIT} of \\d+ failed item\\(s\\) and \\d+ of \\d+ difference\\(s\\), without the plan; GetState and the agent log show the rest\\)$`,
      ),
    );
    const [bytes] = err.metadata.get(APPLY_RESPONSE_TRAILER);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    const response = Agent.service.Apply.responseDeserialize(bytes as Buffer);
    expect(response.items).toHaveLength(TRAILER_ITEM_LIMIT);
    expect(response.items.every((i) => i.status === 'ITEM_OUTCOME_FAILED')).toBe(true);
    expect(response.drift.length).toBeLessThanOrEqual(TRAILER_ITEM_LIMIT);
    expect(response.plan).toEqual([]);
    expect(response.generation).toBe('0');
    const failedTotal = Number(err.metadata.get(FAILED_ITEMS_TRAILER)[0]);
    expect(failedTotal).toBeGreaterThan(300);
    expect(err.details).toContain(`${TRAILER_ITEM_LIMIT} of ${failedTotal} failed item(s)`);
    expect(Number(err.metadata.get(DRIFT_TRAILER)[0])).toBeGreaterThanOrEqual(
      response.drift.length,
    );
  }, 30_000);

  it('says why a FAILED_PRECONDITION was refused in the vsnet-reason trailer', async () => {
    const wire = nodeSpecToWire(SPEC);
    await apply(client, { spec: wire, generation: 5, epoch: 2 });
    const reason = async (request: ApplyRequest) => {
      const err = await failure(apply(client, request));
      expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
      return err.metadata.get(REASON_TRAILER);
    };
    await expect(reason({ spec: wire, generation: 6, epoch: 1 })).resolves.toEqual(['FENCED']);
    await expect(reason({ spec: wire, generation: 4, epoch: 2 })).resolves.toEqual([
      'STALE_GENERATION',
    ]);
    const other = nodeSpecToWire({ ...SPEC, hash: 'e'.repeat(64) });
    await expect(reason({ spec: other, generation: 5, epoch: 2 })).resolves.toEqual([
      'GENERATION_CONFLICT',
    ]);
  });

  it('refuses a hostile name in the spec with INVALID_ARGUMENT naming the field', async () => {
    const wire = nodeSpecToWire(SPEC);
    const [first, ...rest] = wire.vsvrs ?? [];
    const hostile = { ...first, name: 'a\nnetns exec x /bin/sh' };
    const err = await failure(
      apply(client, { spec: { ...wire, vsvrs: [hostile, ...rest] }, generation: 1, epoch: 1 }),
    );
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^spec\.vsvrs\[0\]\.name is "a\\nnetns exec x \/bin\/sh"; /);
  });

  it('answers a Lead with the filer, what runs there and the heartbeat port, and hands the key on', async () => {
    await apply(client, { spec: nodeSpecToWire(SPEC), generation: 3, epoch: 1 });
    const answer = await lead(client, {
      epoch: 2,
      heartbeatKey: KEY,
      leaseMs: 1_000,
      fenceAfterMs: 0,
      heartbeatIntervalMs: 20,
    });
    expect(answer).toEqual({
      filer: 'filer1',
      generation: '3',
      specHash: SPEC.hash,
      fenced: false,
      activeVsvrs: SPEC.vsvrs
        .filter((v) => v.active)
        .map((v) => v.name)
        .sort(),
      heartbeatPort: heartbeats.port,
    });
    // The responder got the key, the epoch and fence-after (twice the lease when not given).
    const merged = heartbeats.merged();
    expect(merged.lead?.epoch).toBe(2n);
    expect(Buffer.from(merged.lead?.key ?? [])).toEqual(KEY);
    expect(merged.fenceAfterMs).toBe(2_000);
    // An older leader is refused as an Apply of its epoch would be.
    const old = await failure(
      lead(client, { epoch: 1, heartbeatKey: KEY, leaseMs: 1_000, heartbeatIntervalMs: 20 }),
    );
    expect(old.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(old.metadata.get(REASON_TRAILER)).toEqual(['FENCED']);
    const shortKey = await failure(lead(client, { epoch: 3, heartbeatKey: Buffer.alloc(8) }));
    expect(shortKey.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(shortKey.details).toBe('heartbeat_key has 8 bytes; send a fresh random key of 32 bytes');
  });

  it('takes over a standby vsvr, and withdraws every vsvr when the responder says to fence', async () => {
    await apply(client, { spec: nodeSpecToWire(SPEC), generation: 3, epoch: 1 });
    const standby = SPEC.vsvrs.find((v) => !v.active)?.name ?? '';
    expect(standby).toBe('eng');
    const missing = await failure(takeover(client, { epoch: 1, activate: ['nosuch'] }));
    expect(missing.code).toBe(grpc.status.NOT_FOUND);
    expect(missing.details).toMatch(/^nosuch is not in this filer's spec \(generation 3\)/);

    const hostile = await failure(takeover(client, { epoch: 1, activate: ['a;b'] }));
    expect(hostile.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(hostile.details).toBe('activate names "a;b", which is not a vsvr name');

    const taken = await takeover(client, { epoch: 1, activate: [standby] });
    expect(taken.activeVsvrs).toContain(standby);
    expect(taken.plumbedMs).toBeGreaterThan(0);
    expect(taken.announcedMs).toBe(taken.plumbedMs);
    expect(taken.items.some((i) => i.item.includes('vs-eng'))).toBe(true);
    const running = await getState(client);
    expect({ fenced: running.fenced, active: running.activeVsvrs }).toEqual({
      fenced: false,
      active: [...taken.activeVsvrs],
    });

    heartbeats.signal({ kind: 'fence', silentMs: 2_500 });
    await expectEventuallyFenced(client);
    const fenced = await getState(client);
    expect(fenced.activeVsvrs).toEqual([]);
    expect(fenced.addresses.filter((a) => a.namespace.startsWith('vs-'))).toEqual([]);
    // Filer-owned addresses stay.
    expect(fenced.addresses.filter((a) => a.namespace === '').length).toBeGreaterThan(0);
    // The responder learnt it, for its pongs.
    expect(heartbeats.merged().status?.fenced).toBe(true);
  });
});

/** Fenced, and the withdrawal done: `fenced` is reported as soon as the fence starts. */
async function expectEventuallyFenced(client: AgentClient): Promise<void> {
  for (let i = 0; i < 250; i++) {
    const state = await getState(client);
    if (state.fenced && state.activeVsvrs.length === 0) {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the agent did not fence');
}
