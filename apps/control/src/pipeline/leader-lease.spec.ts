import { afterEach, describe, expect, it } from '@jest/globals';
import type { PipelineStore } from '@vsnet/store';
import { loadControlConfig } from '../config/control-config.js';
import type { DatabaseProbe } from '../database/database.probe.js';
import { LeaderLease } from './leader-lease.js';

// The lease's own clock: a leader whose database stops answering must stop leading when the
// lease it last renewed runs out, not when the database answers again.

const TTL_MS = 300;

/** A lease store whose first claim succeeds and every later renewal hangs (a silent database). */
function silentAfterFirst(): {
  store: PipelineStore;
  claims: { holder: string; ttlMs: number; endpoint: string }[];
} {
  const claims: { holder: string; ttlMs: number; endpoint: string }[] = [];
  const store = {
    acquireLease(holder: string, ttlMs: number, endpoint: string) {
      claims.push({ holder, ttlMs, endpoint });
      return claims.length === 1 ? Promise.resolve({ epoch: '4' }) : new Promise(() => undefined);
    },
    releaseLease: () => Promise.resolve(),
  };
  return { store: store as unknown as PipelineStore, claims };
}

const database = { connected: () => Promise.resolve() } as unknown as DatabaseProbe;

describe('LeaderLease', () => {
  let lease: LeaderLease | undefined;

  afterEach(async () => {
    await lease?.beforeApplicationShutdown();
  });

  it('stops leading when its lease runs out by its own clock, while the renewal hangs', async () => {
    const config = loadControlConfig({
      VSNET_LEADER_LEASE_MS: String(TTL_MS),
      VSNET_CONTROL_ADVERTISE: '198.19.255.11:7400',
    });
    const { store, claims } = silentAfterFirst();
    lease = new LeaderLease(config, store, database);
    const heard: { epoch: string | undefined; at: number }[] = [];
    lease.onChange((epoch) => heard.push({ epoch, at: performance.now() }));
    const claimed = performance.now();
    lease.onApplicationBootstrap();
    const ended = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`still leading: ${JSON.stringify(heard)}`)),
        3_000,
      );
      lease?.onChange((epoch) => {
        if (epoch === undefined && heard.some((h) => h.epoch === '4')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await ended;
    expect(heard.map((h) => h.epoch)).toEqual([undefined, '4', undefined]);
    // Never before the lease ran out (it was measured from before the claim was sent).
    expect(heard[2]!.at - claimed).toBeGreaterThanOrEqual(TTL_MS);
    expect(lease.epoch()).toBeUndefined();
    // The renewals went out (and hang), each with this instance's endpoint.
    expect(claims.length).toBeGreaterThanOrEqual(2);
    expect(claims[0]).toMatchObject({ ttlMs: TTL_MS, endpoint: '198.19.255.11:7400' });
  });

  it('tells the lease end after each renewal, for a heartbeat worker to stop on its own', async () => {
    const config = loadControlConfig({ VSNET_LEADER_LEASE_MS: String(TTL_MS) });
    const { store } = silentAfterFirst();
    lease = new LeaderLease(config, store, database);
    const renewed = new Promise<number | undefined>((resolve) => {
      lease?.onRenewed(() => resolve(lease?.validUntilUnixMs()));
    });
    const before = Date.now();
    lease.onApplicationBootstrap();
    const until = await renewed;
    // Within the lease from the claim, never beyond it.
    expect(until).toBeGreaterThan(before);
    expect(until).toBeLessThanOrEqual(Date.now() + TTL_MS);
    await new Promise((resolve) => setTimeout(resolve, TTL_MS + 50));
    expect(lease.validUntilUnixMs()).toBeUndefined();
  });
});
