import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectEventually } from './support/expect-eventually.js';
import { FailoverLab, healthOf, VS_MGMT, VS_MGMT_ADDRESS } from './support/failover-lab.js';
import { snapshot } from './support/netns.js';

/**
 * Issue 7, acceptance: an agent SIGKILLed on a live filer is not a filer loss. The leader sees
 * the heartbeats stop but the filer's kernel still answers: the filer is agent-down, nothing
 * moves, the client's probe never fails and no second filer answers ARP for vs_mgmt. The
 * restarted agent adopts the vsvrs its kernel still runs without touching them, and the filer
 * is up again.
 *
 * Needs the build (`npx nest build cli`): the replicas, the agents and the probe run from dist/.
 * VSNET_LAB_FAILOVER_PROFILE=aggressive runs it with the aggressive heartbeat profile.
 */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('failover: only the agent of a filer dies', () => {
  let lab: FailoverLab;

  beforeAll(async () => {
    lab = await FailoverLab.start({ label: 'agent' });
  }, 180_000);

  afterAll(async () => {
    await lab?.teardown();
  }, 60_000);

  it('moves nothing, loses no probe, and the restarted agent adopts its vsvrs', async () => {
    expect(await lab.vsvrHolder()).toBe('filer1');
    await lab.startResponders();
    const probe = await lab.startProbe();
    const arp = await lab.watchArp();
    await probe.waitForSuccess(probe.mark(), 10_000);
    const before = await lab.failoverStatus();
    expect(healthOf(before, 'filer1')).toBe('FILER_HEALTH_STATE_UP');
    const kernelBefore = await snapshot(lab.vsvrNamespace('filer1', VS_MGMT));
    const mark = probe.mark();

    await lab.killAgent('filer1');

    await expectEventually(
      async () =>
        expect(healthOf(await lab.failoverStatus(), 'filer1')).toBe(
          'FILER_HEALTH_STATE_AGENT_DOWN',
        ),
      { timeoutMs: 10_000 },
    );
    // Well past any detection time (and the lease): still nothing moves.
    const heartbeat = before.heartbeat;
    await sleep(Math.max(3_000, 2 * (heartbeat?.fenceAfterMs ?? 0)));
    const down = await lab.failoverStatus();
    expect(healthOf(down, 'filer1')).toBe('FILER_HEALTH_STATE_AGENT_DOWN');
    expect(down.recent.map((f) => f.id)).toEqual(before.recent.map((f) => f.id));
    expect(await lab.vsvrHolders(VS_MGMT, VS_MGMT_ADDRESS)).toEqual(['filer1']);

    await lab.startAgent('filer1', { join: false });
    await expectEventually(
      async () =>
        expect(healthOf(await lab.failoverStatus(), 'filer1')).toBe('FILER_HEALTH_STATE_UP'),
      { timeoutMs: 15_000 },
    );
    await lab.waitConverged(30_000);

    // The address never left: the same links (ifindex, MAC, state) and addresses as before.
    expect(await snapshot(lab.vsvrNamespace('filer1', VS_MGMT))).toEqual(kernelBefore);
    expect(await lab.vsvrHolders(VS_MGMT, VS_MGMT_ADDRESS)).toEqual(['filer1']);
    const after = await lab.failoverStatus();
    expect(after.recent.map((f) => f.id)).toEqual(before.recent.map((f) => f.id));

    await probe.settle();
    const { outageMs, failed, attempts } = probe.outageSince(mark);
    process.stdout.write(
      `agent kill: ${attempts} probes, ${failed} failed, largest gap ${outageMs.toFixed(0)} ms\n`,
    );
    expect(attempts).toBeGreaterThan(100);
    expect(probe.failures(mark)).toEqual([]);
    const seen = await arp.stop();
    expect(seen.doubleAnswers).toEqual([]);
    expect([...seen.perPort.keys()]).toEqual(['f1-eth0']);
  }, 120_000);
});
