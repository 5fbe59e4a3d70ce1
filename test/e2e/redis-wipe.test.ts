import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  BURST_VSVRS,
  burstChanges,
  kernelHolders,
  sendBurst,
  storedAddresses,
} from './support/burst.js';
import { E2eCluster } from './support/e2e-cluster.js';

// Issue 5 item 5, third case, as processes: the control service's private redis-server is
// wiped (FLUSHALL) and shut down without saving in the middle of a burst of 200 AddAddress
// changes, then started again empty on the same port. The reconcile jobs it held are gone;
// the resync loop queues the filers again, and every acknowledged change reaches the kernels.

const AS_ROOT = process.getuid?.() === 0;
const CHANGES = 200;
const WIPE_AFTER = 80;
/** How long Redis stays away: several resync intervals and commits run into a dead Redis. */
const REDIS_DOWN_MS = 1_500;

let cluster: E2eCluster | undefined;

function running(): E2eCluster {
  if (cluster === undefined) {
    throw new Error('the cluster did not start');
  }
  return cluster;
}

beforeAll(async () => {
  if (AS_ROOT) {
    cluster = await E2eCluster.start('redis');
  }
}, 120_000);

afterAll(async () => {
  await cluster?.teardown();
}, 60_000);

(AS_ROOT ? describe : describe.skip)('Redis wiped and restarted mid-burst', () => {
  it('converges: every acknowledged change is in the kernels, each address once', async () => {
    const c = running();
    const changes = burstChanges(CHANGES, 0xd2);
    const redisPid = c.redis.pid;
    let outage: Promise<void> | undefined;
    const outcome = await sendBurst(c, changes, {
      parallel: 16,
      timeoutMs: 60_000,
      onAcknowledged: (n) => {
        if (n === WIPE_AFTER) {
          outage = (async () => {
            await c.redis.wipeAndStop();
            await new Promise((resolve) => setTimeout(resolve, REDIS_DOWN_MS));
            await c.redis.restart();
          })();
        }
      },
    });
    await outage;
    expect(c.redis.pid).not.toBe(redisPid);
    // Commits do not need Redis: every change was acknowledged at the first try.
    expect(outcome.refused).toEqual([]);
    expect(outcome.acknowledged.length).toBe(CHANGES);

    await c.waitConverged(45_000);

    const holders = kernelHolders(await c.kernelVsvrAddresses());
    const missing = outcome.acknowledged.filter(
      (a) => (holders.get(a.address) ?? []).filter((l) => l.includes(` ${a.vsvr} `)).length !== 1,
    );
    expect(missing).toEqual([]);
    expect([...holders].filter(([, lines]) => lines.length !== 1)).toEqual([]);
    const stored = (await Promise.all(BURST_VSVRS.map((v) => storedAddresses(c, v)))).flat();
    const burst = new Set(changes.map((ch) => ch.address));
    expect(stored.filter((a) => burst.has(a)).sort()).toEqual([...burst].sort());
  }, 120_000);
});
