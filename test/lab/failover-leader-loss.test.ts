import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectEventually } from './support/expect-eventually.js';
import {
  FailoverLab,
  failoverCommitted,
  failoverOf,
  healthOf,
  placementOf,
  VS_MGMT,
  VS_MGMT_ADDRESS,
} from './support/failover-lab.js';

/**
 * Issue 7, acceptance: the leader and vs_mgmt are on the same filer, and that filer is lost
 * (cables cut, its agent and the control replica running there SIGKILLed). The other replica
 * takes the lease with a higher epoch, finds filer1 silent, and moves vs_mgmt to filer2.
 *
 * Needs the build (`npx nest build cli`): the replicas, the agents and the probe run from dist/.
 * VSNET_LAB_FAILOVER_PROFILE=aggressive runs it with the aggressive heartbeat profile.
 */
describe('failover: the filer of the leader and of vs_mgmt is lost', () => {
  let lab: FailoverLab;

  beforeAll(async () => {
    lab = await FailoverLab.start({ label: 'lead' });
  }, 180_000);

  afterAll(async () => {
    await lab?.teardown();
  }, 60_000);

  it('moves leadership to the other replica and vs_mgmt to the next filer', async () => {
    const epoch = await lab.makeLeader('a'); // replica a runs in filer1, beside vs_mgmt
    expect(await lab.vsvrHolder()).toBe('filer1');
    await lab.startResponders();
    const probe = await lab.startProbe();
    await probe.waitForSuccess(probe.mark(), 10_000);
    const mark = probe.mark();

    await lab.cutFiler('filer1');
    await Promise.all([lab.killAgent('filer1'), lab.killReplica('a')]);
    const cutAt = probe.mark();

    const newEpoch = await lab.waitLeader('b', 15_000);
    expect(newEpoch).toBeGreaterThan(epoch);
    await probe.waitForSuccess(cutAt, 20_000);
    const { outageMs, failed } = probe.outageSince(mark);
    process.stdout.write(
      `leader and filer loss (${lab.profile}): vs_mgmt answered again after ${outageMs.toFixed(0)} ms, ${failed} failed probes, epoch ${epoch} → ${newEpoch}\n`,
    );
    await expectEventually(
      async () =>
        expect(
          (await lab.vsvrHolders(VS_MGMT, VS_MGMT_ADDRESS)).filter((f) => f !== 'filer1'),
        ).toEqual(['filer2']),
      { timeoutMs: 10_000 },
    );

    const status = await expectEventually(
      async () => {
        const s = await lab.failoverStatus();
        expect(failoverCommitted(s, 'filer1')).toBe(true);
        return s;
      },
      { timeoutMs: 10_000 },
    );
    expect(status.leader?.epoch).toBe(String(newEpoch));
    expect(Number(status.leader?.holder.split('/')[1])).toBe(lab.replicaPid('b'));
    expect(healthOf(status, 'filer1')).toBe('FILER_HEALTH_STATE_DOWN');
    expect(placementOf(status, VS_MGMT)).toBe('filer2');
    const failover = failoverOf(status, 'filer1');
    expect(failover?.epoch).toBe(String(newEpoch));
    expect(failover?.moves.find((m) => m.vsvr === VS_MGMT)).toMatchObject({
      from: 'filer1',
      to: 'filer2',
      error: '',
    });
  }, 120_000);
});
