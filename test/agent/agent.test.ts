import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import type {
  AgentClient,
  ApplyRequest,
  ApplyResponse__Output,
  GetStateResponse__Output,
  HealthCheckResponse__Output,
  WatchResponse__Output,
} from '@vsnet/contracts';
import { nodeSpecToWire } from '@vsnet/contracts';
import { labNodeSpec } from '../../libs/contracts/src/testing/lab-specs.js';
import {
  AgentProcess,
  REPO,
  WAIT_MS,
  agentClient,
  deadline,
  failure,
  healthClient,
  parseLogLine,
  unary,
  withTimeout,
} from './agent-process.js';

const SPEC = labNodeSpec('filer1');
const OTHER_SPEC = labNodeSpec('filer2');

function apply(client: AgentClient, request: ApplyRequest): Promise<ApplyResponse__Output> {
  return unary((cb) => client.Apply(request, deadline(), cb));
}

function getState(client: AgentClient): Promise<GetStateResponse__Output> {
  return unary((cb) => client.GetState({}, deadline(), cb));
}

/** Reads a Watch stream until `enough` says so, then cancels it. */
function watch(
  client: AgentClient,
  intervalMs: number,
  enough: (received: WatchResponse__Output[]) => boolean,
): Promise<WatchResponse__Output[]> {
  const received: WatchResponse__Output[] = [];
  const call = client.Watch({ intervalMs }, deadline());
  return withTimeout(
    new Promise<WatchResponse__Output[]>((resolve, reject) => {
      call.on('data', (m: WatchResponse__Output) => {
        received.push(m);
        if (enough(received)) {
          call.cancel();
          resolve(received);
        }
      });
      call.on('error', (err: grpc.ServiceError) => {
        if (err.code !== grpc.status.CANCELLED) {
          reject(err);
        }
      });
    }),
    'Watch messages',
  );
}

const heartbeats = (ms: WatchResponse__Output[]) =>
  ms.flatMap((m) => (m.heartbeat ? [m.heartbeat] : []));
const events = (ms: WatchResponse__Output[]) => ms.flatMap((m) => (m.event ? [m.event] : []));

describe('vsnet-agent as a process, over gRPC (dry-run driver)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vsnet-agent-e2e-'));
  const started: AgentProcess[] = [];
  const clients: grpc.Client[] = [];
  let agent: AgentProcess;
  let address: string;
  let client: AgentClient;

  async function startAgent(): Promise<void> {
    const run = await AgentProcess.start({
      VSNET_FILER: 'filer1',
      VSNET_AGENT_STATE_DIR: stateDir,
      VSNET_AGENT_LISTEN: '127.0.0.1:0',
    });
    started.push(run.agent);
    agent = run.agent;
    address = run.address;
    client = agentClient(address);
    clients.push(client);
  }

  beforeAll(startAgent, WAIT_MS * 2);

  afterAll(async () => {
    for (const c of clients) {
      c.close();
    }
    // The state folder goes only once no agent can still write to it.
    await Promise.all(started.map((a) => a.kill()));
    rmSync(stateDir, { recursive: true, force: true });
  }, WAIT_MS * 2);

  it('logs its bound address as JSON, with the real port', () => {
    expect(address).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    expect(agent.logs.find((l) => l.msg === 'listening')).toMatchObject({
      level: 'info',
      filer: 'filer1',
    });
  });

  it('answers the health check with SERVING, overall and for the Agent service', async () => {
    const health = healthClient(address);
    clients.push(health);
    for (const service of ['', 'vsnet.agent.v1.Agent']) {
      const answer = await unary<HealthCheckResponse__Output>((cb) =>
        health.Check({ service }, deadline(), cb),
      );
      expect(answer.status).toBe('SERVING');
    }
  });

  it('lists vsnet.agent.v1.Agent through server reflection, and buf curl can call it', () => {
    const bufCurl = (...args: string[]) =>
      spawnSync(
        join(REPO, 'node_modules/.bin/buf'),
        ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args],
        { encoding: 'utf8', timeout: WAIT_MS },
      );
    const list = bufCurl('--list-services', `http://${address}`);
    expect(list.stderr).toBe('');
    expect(list.stdout.split('\n')).toEqual(
      expect.arrayContaining(['vsnet.agent.v1.Agent', 'grpc.health.v1.Health']),
    );
    // The agent describes its own API only, not the cluster-wide one it does not serve.
    expect(list.stdout).not.toContain('vsnet.v1.');
    const call = bufCurl(`http://${address}/vsnet.agent.v1.Agent/GetState`);
    expect(call.stderr).toBe('');
    expect(JSON.parse(call.stdout)).toMatchObject({ filer: 'filer1', driver: 'dry-run' });
  });

  it('applies a spec (changed), and the same spec again changes nothing', async () => {
    const request = { spec: nodeSpecToWire(SPEC), generation: 3, epoch: 2 };
    const first = await apply(client, request);
    expect(first.changed).toBe(true);
    expect(first.generation).toBe('3');
    expect(first.items.length).toBeGreaterThan(0);
    expect(first.items.every((i) => i.status !== 'ITEM_OUTCOME_FAILED')).toBe(true);
    expect(first.drift).toEqual([]);
    const second = await apply(client, request);
    expect(second).toMatchObject({
      changed: false,
      generation: '3',
      items: [],
      plan: [],
      drift: [],
    });
  });

  it('refuses an older generation with FAILED_PRECONDITION naming both numbers', async () => {
    const err = await failure(
      apply(client, { spec: nodeSpecToWire(SPEC), generation: 2, epoch: 2 }),
    );
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.details).toBe(
      'generation 2 is older than generation 3 already applied; send the spec of generation 3 or later',
    );
    expect(err.metadata.get('vsnet-reason')).toEqual(['STALE_GENERATION']);
  });

  it('refuses an older epoch with FAILED_PRECONDITION (fenced)', async () => {
    const err = await failure(
      apply(client, { spec: nodeSpecToWire(SPEC), generation: 4, epoch: 1 }),
    );
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.details).toMatch(/^fenced: epoch 1 is older than epoch 2 already seen/);
    expect(err.metadata.get('vsnet-reason')).toEqual(['FENCED']);
  });

  it('refuses a malformed request or a spec of another filer with INVALID_ARGUMENT', async () => {
    const noSpec = await failure(apply(client, { generation: 4, epoch: 2 }));
    expect(noSpec.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(noSpec.details).toBe('spec is missing; send the NodeSpec compiled for this filer');
    const wrongFiler = await failure(
      apply(client, { spec: nodeSpecToWire(OTHER_SPEC), generation: 4, epoch: 2 }),
    );
    expect(wrongFiler.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(wrongFiler.details).toMatch(
      /^the spec is for filer filer2, but this agent runs filer filer1/,
    );
  });

  it('previews a dry run without applying it', async () => {
    const changed = { ...OTHER_SPEC, filer: 'filer1' };
    const preview = await apply(client, {
      spec: nodeSpecToWire(changed),
      generation: 9,
      epoch: 2,
      dryRun: true,
    });
    expect(preview.changed).toBe(true);
    expect(preview.plan.length).toBeGreaterThan(0);
    expect(preview.generation).toBe('3');
    expect((await getState(client)).generation).toBe('3');
  });

  it('reports the applied spec and the kernel in GetState', async () => {
    const state = await getState(client);
    expect(state).toMatchObject({
      filer: 'filer1',
      driver: 'dry-run',
      generation: '3',
      epoch: '2',
      specHash: SPEC.hash,
      restoredFromCache: false,
    });
    expect(state.namespaces.sort()).toEqual(SPEC.vsvrs.map((v) => v.namespace).sort());
    expect(state.links.map((l) => l.name)).toEqual(
      expect.arrayContaining(['bond0', 'fail0', 'mgmt0']),
    );
    const mgmt = SPEC.addresses.find((a) => a.alias === 'mgmt0');
    expect(state.addresses).toContainEqual(
      expect.objectContaining({ dev: 'mgmt0', address: mgmt?.address }),
    );
    expect(Object.keys(state.counters).sort()).toEqual(SPEC.vsvrs.map((v) => v.name).sort());
  });

  it('streams heartbeats at the asked interval, numbered from 1', async () => {
    const received = await watch(client, 50, (ms) => heartbeats(ms).length >= 6);
    const beats = heartbeats(received);
    expect(beats.map((b) => b.seq)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(beats[0]).toMatchObject({ filer: 'filer1', generation: '3', epoch: '2' });
    // Beats sit on a grid from the first one: a timer never fires early, and a late beat does
    // not push the next ones later (5 ms of slack: Node's timers and clocks round differently).
    const since = beats.map((b) => b.monotonicMs - beats[0]!.monotonicMs);
    since.forEach((ms, i) => expect(ms).toBeGreaterThanOrEqual(i * 50 - 5));
  });

  it('streams an applied event when a new generation is applied', async () => {
    // The first heartbeat is sent at once: once it is here, the stream is subscribed to events.
    let streaming!: () => void;
    const firstBeat = new Promise<void>((resolve) => (streaming = resolve));
    const stream = watch(client, 1000, (ms) => {
      if (heartbeats(ms).length > 0) {
        streaming();
      }
      return events(ms).length > 0;
    });
    await withTimeout(firstBeat, 'the first heartbeat');
    await apply(client, { spec: nodeSpecToWire(SPEC), generation: 4, epoch: 2 });
    const [event] = events(await stream);
    expect(event).toMatchObject({
      kind: 'EVENT_KIND_APPLIED',
      generation: '4',
      specHash: SPEC.hash,
    });
  });

  it(
    'after a kill, restarts from its cached spec and keeps fencing',
    async () => {
      await agent.stop('SIGKILL');
      await startAgent();
      const restored = await agent.waitForLog((l) => l.msg === 'restored cached spec generation 4');
      expect(restored).toMatchObject({ generation: '4', specHash: SPEC.hash });
      const state = await getState(client);
      expect(state).toMatchObject({
        generation: '4',
        epoch: '2',
        specHash: SPEC.hash,
        restoredFromCache: true,
      });
      expect(state.namespaces.sort()).toEqual(SPEC.vsvrs.map((v) => v.namespace).sort());
      const [first] = await watch(client, 1000, (ms) => ms.length >= 1);
      expect(first?.event).toMatchObject({ kind: 'EVENT_KIND_CACHE_RESTORED', generation: '4' });
      const fenced = await failure(
        apply(client, { spec: nodeSpecToWire(SPEC), generation: 5, epoch: 1 }),
      );
      expect(fenced.code).toBe(grpc.status.FAILED_PRECONDITION);
    },
    WAIT_MS * 2,
  );

  it('stops on SIGTERM with exit status 0', async () => {
    await expect(agent.stop('SIGTERM')).resolves.toBe(0);
    expect(agent.logs.at(-1)).toMatchObject({ msg: 'stopped' });
  });
});

describe('vsnet-agent configuration errors', () => {
  it('exits 2 with one clear line when VSNET_FILER is missing', () => {
    const run = spawnSync(process.execPath, [join(REPO, 'dist/apps/agent/src/main.js')], {
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
      timeout: WAIT_MS,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      "vsnet-agent: VSNET_FILER is not set: set it to this filer's name in the cluster document, e.g. VSNET_FILER=filer1\n",
    );
  });
});

describe('agent-process helpers', () => {
  it('reads a non-JSON stdout line as no log line instead of throwing', () => {
    expect(parseLogLine('node: warning: something')).toBeUndefined();
    expect(parseLogLine('[1, 2]')).toBeUndefined();
    expect(parseLogLine('{"level":"info","msg":"listening"}')).toEqual({
      level: 'info',
      msg: 'listening',
    });
  });
});
