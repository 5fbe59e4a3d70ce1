import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AgentError } from './agent.errors.js';
import { labNodeSpec } from '../../../libs/contracts/src/testing/lab-specs.js';
import { AGENT_STATE_FILE, FENCING_FILE, FencingStore } from './fencing-store.js';
import type { CachedSpec } from './spec-cache.js';
import { tempStateDir } from './testing/agent-fixture.js';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

/** An apply of generation `generation` of a spec with hash `hash`. */
function applied(generation: bigint, hash: string, epoch = 0n): CachedSpec {
  return { generation, epoch, spec: { ...labNodeSpec('filer1'), hash } };
}

function refusal(fn: () => void): AgentError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AgentError) {
      return err;
    }
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('FencingStore', () => {
  let dir: ReturnType<typeof tempStateDir>;
  beforeEach(() => {
    dir = tempStateDir();
  });
  afterEach(() => dir.remove());

  it('admits anything on a node that never applied', async () => {
    const store = await FencingStore.open(dir.path);
    expect(store.state).toEqual({ highestEpoch: 0n, lastGeneration: 0n, specHash: '' });
    expect(() => store.admit(1n, 0n, HASH_A)).not.toThrow();
  });

  it('refuses a generation older than the last applied, naming both numbers', async () => {
    const store = await FencingStore.open(dir.path);
    await store.recordApplied(applied(7n, HASH_A));
    const err = refusal(() => store.admit(6n, 0n, HASH_B));
    expect(err.code).toBe('stale-generation');
    expect(err.message).toBe(
      'generation 6 is older than generation 7 already applied; send the spec of generation 7 or later',
    );
  });

  it('refuses an epoch older than the highest seen as fenced', async () => {
    const store = await FencingStore.open(dir.path);
    await store.recordEpoch(5n);
    const err = refusal(() => store.admit(1n, 4n, HASH_A));
    expect(err.code).toBe('fenced');
    expect(err.message).toMatch(/^fenced: epoch 4 is older than epoch 5 already seen/);
  });

  it('checks the epoch before the generation: a deposed leader is told it is fenced', async () => {
    const store = await FencingStore.open(dir.path);
    await store.recordEpoch(5n);
    await store.recordApplied(applied(7n, HASH_A));
    expect(refusal(() => store.admit(1n, 1n, HASH_A)).code).toBe('fenced');
  });

  it('admits the same generation with the same hash, refuses it with another', async () => {
    const store = await FencingStore.open(dir.path);
    await store.recordApplied(applied(7n, HASH_A));
    expect(() => store.admit(7n, 0n, HASH_A)).not.toThrow();
    expect(refusal(() => store.admit(7n, 0n, HASH_B)).code).toBe('generation-conflict');
  });

  it('admits newer generations and epochs, and never lowers the highest epoch', async () => {
    const store = await FencingStore.open(dir.path);
    await store.recordEpoch(3n);
    await store.recordEpoch(2n);
    expect(store.state.highestEpoch).toBe(3n);
    expect(() => store.admit(8n, 9n, HASH_B)).not.toThrow();
  });

  it('keeps refusing after a restart: a new instance reads the persisted numbers', async () => {
    const first = await FencingStore.open(dir.path);
    await first.recordEpoch(12n);
    await first.recordApplied(applied(40n, HASH_A));

    const second = await FencingStore.open(dir.path);
    expect(second.state).toEqual({ highestEpoch: 12n, lastGeneration: 40n, specHash: HASH_A });
    expect(refusal(() => second.admit(39n, 12n, HASH_B)).code).toBe('stale-generation');
    expect(refusal(() => second.admit(41n, 11n, HASH_B)).code).toBe('fenced');
  });

  it('stores 64-bit numbers exactly', async () => {
    const first = await FencingStore.open(dir.path);
    await first.recordEpoch(18_446_744_073_709_551_615n);
    const second = await FencingStore.open(dir.path);
    expect(second.state.highestEpoch).toBe(18_446_744_073_709_551_615n);
    expect(readFileSync(join(dir.path, AGENT_STATE_FILE), 'utf8')).toContain(
      '"18446744073709551615"',
    );
  });

  it('remembers an epoch carried by an apply it records', async () => {
    const store = await FencingStore.open(dir.path);
    await store.recordApplied(applied(3n, HASH_A, 6n));
    const second = await FencingStore.open(dir.path);
    expect(second.state).toEqual({ highestEpoch: 6n, lastGeneration: 3n, specHash: HASH_A });
  });

  it('refuses to start from a damaged record rather than forget the epoch', async () => {
    writeFileSync(join(dir.path, AGENT_STATE_FILE), '{"version": 2, "highestEpoch": 3');
    await expect(FencingStore.open(dir.path)).rejects.toThrow(
      /agent-state\.json is not an agent state written by vsnet-agent \(it is not JSON\); restore it from a backup/,
    );
    writeFileSync(join(dir.path, AGENT_STATE_FILE), '{"version": 2, "highestEpoch": "3"}');
    await expect(FencingStore.open(dir.path)).rejects.toThrow(
      /\(it lacks highestEpoch, lastGeneration or specHash\)/,
    );
  });

  it('refuses to start from a damaged version 1 fencing file rather than forget the epoch', async () => {
    writeFileSync(join(dir.path, FENCING_FILE), '{"highestEpoch": 3');
    await expect(FencingStore.open(dir.path)).rejects.toThrow(
      /fencing\.json is not a fencing state written by vsnet-agent/,
    );
  });

  it('remembers the last Lead and what failover changed, across a restart', async () => {
    const store = await FencingStore.open(dir.path);
    await store.recordApplied(applied(3n, HASH_A, 1n));
    const failover = {
      fenced: true,
      withheld: ['sales', 'vs_mgmt'],
      overrides: { generation: 3n, active: { eng: true } },
    };
    await Promise.all([store.recordLead(5n, 2_000), store.recordFailover(failover)]);
    const second = await FencingStore.open(dir.path);
    expect(second.state).toEqual({ highestEpoch: 5n, lastGeneration: 3n, specHash: HASH_A });
    expect(second.fenceAfterMs).toBe(2_000);
    expect(second.failover).toEqual(failover);
    expect(second.cached?.generation).toBe(3n);
    expect(refusal(() => second.admitEpoch(4n)).code).toBe('fenced');
  });

  it('fences an older epoch as soon as a Lead is admitted, before its write is done', async () => {
    const store = await FencingStore.open(dir.path);
    const writing = store.recordLead(6n, 3_000);
    expect(refusal(() => store.admit(1n, 5n, HASH_A)).code).toBe('fenced');
    await writing;
  });

  it('reads a record written before failover, and refuses a damaged failover part', async () => {
    const path = join(dir.path, AGENT_STATE_FILE);
    const legacy = { version: 2, highestEpoch: '2', lastGeneration: '1', specHash: HASH_A };
    writeFileSync(path, JSON.stringify(legacy));
    const store = await FencingStore.open(dir.path);
    expect({ fenceAfterMs: store.fenceAfterMs, failover: store.failover }).toEqual({
      fenceAfterMs: undefined,
      failover: undefined,
    });
    writeFileSync(path, JSON.stringify({ ...legacy, failover: { fenced: 'yes', withheld: [] } }));
    await expect(FencingStore.open(dir.path)).rejects.toThrow(
      /is not an agent state written by vsnet-agent \(its failover part is not fenced, withheld and overrides\)/,
    );
    writeFileSync(path, JSON.stringify({ ...legacy, fenceAfterMs: -1 }));
    await expect(FencingStore.open(dir.path)).rejects.toThrow(
      /\(its fenceAfterMs is not a positive whole number\)/,
    );
  });
});
