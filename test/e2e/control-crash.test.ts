import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  BURST_VSVRS,
  burstChanges,
  kernelHolders,
  sendBurst,
  storedAddresses,
} from './support/burst.js';
import type { BurstOutcome } from './support/burst.js';
import { E2eCluster } from './support/e2e-cluster.js';

// Issue 5 item 5, second case, as processes: the control service is SIGKILLed in the middle of
// a burst of 200 AddAddress changes spread over the three filers and started again while the
// client retries what got no answer. Afterwards every acknowledged change is in an agent's
// kernel, each address exactly once and on one filer only, and the kernels hold exactly what
// the control service stores.

const AS_ROOT = process.getuid?.() === 0;
const CHANGES = 200;
const KILL_AFTER = 80;

let cluster: E2eCluster | undefined;

function running(): E2eCluster {
  if (cluster === undefined) {
    throw new Error('the cluster did not start');
  }
  return cluster;
}

beforeAll(async () => {
  if (AS_ROOT) {
    cluster = await E2eCluster.start('crash');
  }
}, 120_000);

afterAll(async () => {
  await cluster?.teardown();
}, 60_000);

(AS_ROOT ? describe : describe.skip)('the control service killed mid-burst', () => {
  it('applies every acknowledged change exactly once, on one filer, after a restart', async () => {
    const c = running();
    const changes = burstChanges(CHANGES, 0xc1);
    const killedPid = c.controlPid;
    let crash: Promise<void> | undefined;
    let restartFailed: string | undefined;
    const outcome: BurstOutcome = await sendBurst(c, changes, {
      parallel: 16,
      timeoutMs: 60_000,
      onAcknowledged: (n) => {
        if (n === KILL_AFTER) {
          crash = c
            .killControl()
            .then(() => c.startControl())
            .catch((err: unknown) => {
              restartFailed = `the restart failed: ${String(err)}`;
              throw err;
            });
        }
      },
      abandon: () => restartFailed,
    });
    await crash;
    expect(c.controlPid).not.toBe(killedPid);
    expect(outcome.refused).toEqual([]);
    // The kill came in the middle: some calls got no answer and were sent again.
    expect(outcome.acknowledged.length).toBeGreaterThan(KILL_AFTER);
    expect(outcome.unanswered).toBeGreaterThan(0);
    expect(outcome.acknowledged.length + outcome.committedUnanswered.length).toBe(CHANGES);
    // Every acknowledged change is a commit of its own.
    const generations = outcome.acknowledged.map((a) => a.generation);
    expect(new Set(generations).size).toBe(generations.length);

    await c.waitConverged(60_000);

    const holders = kernelHolders(await c.kernelVsvrAddresses());
    const stored = (
      await Promise.all(
        BURST_VSVRS.map(async (v) => (await storedAddresses(c, v)).map((a) => [v, a])),
      )
    ).flat();
    const burst = new Set(changes.map((ch) => ch.address));
    const storedBurst = stored.filter(([, a]) => burst.has(a ?? ''));
    // Each burst address is stored once, on the vsvr it was sent to.
    expect(storedBurst.length).toBe(CHANGES);
    expect(new Set(storedBurst.map(([, a]) => a)).size).toBe(CHANGES);

    const problems: string[] = [];
    for (const change of outcome.acknowledged) {
      const lines = holders.get(change.address) ?? [];
      if (lines.length !== 1 || !(lines[0] ?? '').includes(` ${change.vsvr} `)) {
        problems.push(
          `${change.vsvr} ${change.address} (generation ${change.generation}): ${JSON.stringify(lines)}`,
        );
      }
    }
    for (const [address, lines] of holders) {
      if (lines.length !== 1) {
        problems.push(`${address} held ${lines.length} times: ${lines.join(' | ')}`);
      }
    }
    const inKernel = [...holders.keys()].filter((a) => burst.has(a)).sort();
    expect(problems).toEqual([]);
    expect(inKernel).toEqual([...burst].sort());
  }, 150_000);
});
