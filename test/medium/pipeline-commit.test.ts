// What a commit records for the change pipeline, without agents: the filers whose compiled spec
// a change altered (change_targets), their desired generation (filer_state), and what
// ChangeService shows of it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { PipelineStore } from '@vsnet/store';
import {
  clusterApiGrpc,
  loadClusterApiPackageDefinition,
} from '../../libs/contracts/src/cluster-api.js';
import { freePort, startControl } from './support/control-service.js';
import type { RunningControl } from './support/control-service.js';
import { applyAsAdmin, labCluster } from './support/documents.js';

interface ChangeRecord {
  generation: string;
  state: string;
  filers: { filer: string; state: string; error: string }[];
}

let r: RunningControl;

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

/** Every message of WatchChange until the stream ends, or its error. */
function watch(
  generation: string,
  ms: number,
): Promise<{ messages: ChangeRecord[]; err?: grpc.ServiceError }> {
  const api = clusterApiGrpc(loadClusterApiPackageDefinition()) as unknown as Record<
    string,
    typeof grpc.Client
  >;
  const client = new api.ChangeService!(r.address, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${r.adminToken}`);
  const stream = (
    client as unknown as {
      watchChange(
        req: object,
        md: grpc.Metadata,
        o: grpc.CallOptions,
      ): grpc.ClientReadableStream<{
        change: ChangeRecord;
      }>;
    }
  ).watchChange({ generation }, md, { deadline: Date.now() + ms });
  const messages: ChangeRecord[] = [];
  return new Promise((resolve) => {
    stream.on('data', (m: { change: ChangeRecord }) => messages.push(m.change));
    stream.on('error', (err: grpc.ServiceError) => {
      client.close();
      resolve({ messages, err });
    });
    stream.on('end', () => {
      client.close();
      resolve({ messages });
    });
  });
}

beforeAll(async () => {
  r = await startControl('pipeline_commit');
});

afterAll(async () => {
  await r?.stop();
});

describe('the commit records each change for the pipeline', () => {
  it('targets every filer of a new cluster, each unreachable until its agent joins', async () => {
    const generation = await applyAsAdmin(r, labCluster());
    const created = await change(generation);
    expect(created.state).toBe('CHANGE_STATE_PENDING');
    expect(created.filers.map((f) => [f.filer, f.state])).toEqual([
      ['filer1', 'FILER_PROGRESS_STATE_UNREACHABLE'],
      ['filer2', 'FILER_PROGRESS_STATE_UNREACHABLE'],
      ['filer3', 'FILER_PROGRESS_STATE_UNREACHABLE'],
    ]);
    expect(created.filers[0]?.error).toContain('no agent has joined as filer filer1');
    const states = await r.app.get(PipelineStore).filerStates();
    expect(states.map((s) => [s.filer, s.desiredGeneration, s.observedGeneration])).toEqual([
      ['filer1', generation, '0'],
      ['filer2', generation, '0'],
      ['filer3', generation, '0'],
    ]);
  });

  it('targets only the filers whose spec changed', async () => {
    const { res } = await r.call<{ generation: string }>(
      'VsvrService',
      'CreateVsvr',
      { name: 'solo', failoverGroup: { filers: ['filer3'] } },
      r.adminToken,
    );
    const solo = await change(res!.generation);
    expect(solo.filers.map((f) => f.filer)).toEqual(['filer3']);
    const states = await r.app.get(PipelineStore).filerStates();
    expect(states.find((s) => s.filer === 'filer3')?.desiredGeneration).toBe(res!.generation);
    expect(states.find((s) => s.filer === 'filer1')?.desiredGeneration).not.toBe(res!.generation);
  });

  it('calls a change that alters no spec applied at once; WatchChange sends it and ends', async () => {
    const doc = labCluster() as unknown as { sites: { name: string; subnets: string[] }[] };
    doc.sites.push({ name: 'lab9', subnets: ['2001:db8:9::/48'] });
    const generation = await applyAsAdmin(r, labCluster());
    // The lab document again drops "solo": that change targets filer3 only.
    expect((await change(generation)).filers.map((f) => f.filer)).toEqual(['filer3']);
    const siteOnly = await applyAsAdmin(r, doc as never);
    const record = await change(siteOnly);
    expect(record).toMatchObject({ state: 'CHANGE_STATE_APPLIED', filers: [] });
    const watched = await watch(siteOnly, 5_000);
    expect(watched.err).toBeUndefined();
    expect(watched.messages.map((m) => m.state)).toEqual(['CHANGE_STATE_APPLIED']);
  });

  it('WatchChange keeps a pending change open until the deadline; an unknown one is NOT_FOUND', async () => {
    const list = await r.call<{ changes: ChangeRecord[] }>(
      'ChangeService',
      'ListChanges',
      {},
      r.adminToken,
    );
    const pending = list.res!.changes.find((c) => c.state === 'CHANGE_STATE_PENDING')!;
    const watched = await watch(pending.generation, 800);
    expect(watched.messages.map((m) => m.state)).toEqual(['CHANGE_STATE_PENDING']);
    expect(watched.err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    const unknown = await watch('999999', 5_000);
    expect(unknown.err?.code).toBe(grpc.status.NOT_FOUND);
  });

  it('drops the state of a removed filer that never had an agent; its changes count as applied there', async () => {
    const generation = await applyAsAdmin(r, withoutFiler3());
    const states = await r.app.get(PipelineStore).filerStates();
    expect(states.map((s) => s.filer)).toEqual(['filer1', 'filer2']);
    const first = (await change('1')).filers.find((f) => f.filer === 'filer3');
    expect(first?.state).toBe('FILER_PROGRESS_STATE_APPLIED');
    expect(BigInt(generation)).toBeGreaterThan(1n);
  });

  it('keeps a removed filer whose agent joined as retiring, its changes pending, until cleared', async () => {
    const pipeline = r.app.get(PipelineStore);
    await applyAsAdmin(r, labCluster());
    // An agent that never answers: nothing can clear the filer in this test.
    expect(await pipeline.setAgentAddress('filer3', `127.0.0.1:${await freePort()}`)).toBe(true);
    const removal = await applyAsAdmin(r, withoutFiler3());
    const record = await change(removal);
    expect(record.state).toBe('CHANGE_STATE_PENDING');
    expect(record.filers.find((f) => f.filer === 'filer3')?.state).toBe(
      'FILER_PROGRESS_STATE_RETIRING',
    );
    const status = await r.call<{ filers: { filer: string; state: string }[] }>(
      'ChangeService',
      'ListFilerStatus',
      {},
      r.adminToken,
    );
    expect(status.res?.filers.map((f) => [f.filer, f.state])).toEqual([
      ['filer1', 'FILER_PROGRESS_STATE_UNREACHABLE'],
      ['filer2', 'FILER_PROGRESS_STATE_UNREACHABLE'],
      ['filer3', 'FILER_PROGRESS_STATE_RETIRING'],
    ]);
    // The resync loop tries it (the agent is down); it stays retiring, with why.
    const tried = await waitFor(async () => {
      const s = await pipeline.filerState('filer3');
      return s?.error !== null && s?.error !== undefined ? s : undefined;
    });
    expect(tried).toMatchObject({ state: 'retiring', desiredGeneration: removal });
    expect(tried.error).toContain('did not answer');
    // Added back before it was cleared: it is an ordinary filer with work pending again.
    const back = await applyAsAdmin(r, labCluster());
    expect((await change(back)).filers.map((f) => f.filer)).toContain('filer3');
    expect((await pipeline.filerState('filer3'))?.state).not.toBe('retiring');
  });
});

/** The lab cluster without filer3 (its vsvrs keep their other filers). */
function withoutFiler3(): never {
  const doc = labCluster() as unknown as {
    filers: { name: string }[];
    vsvrs: { failoverGroup?: string[] }[];
  };
  doc.filers = doc.filers.filter((f) => f.name !== 'filer3');
  for (const v of doc.vsvrs) {
    v.failoverGroup = v.failoverGroup?.filter((f) => f !== 'filer3');
  }
  return doc as never;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  for (const until = Date.now() + timeoutMs; ;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > until) {
      throw new Error('timed out');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
