import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectEventually } from './support/expect-eventually.js';
import { FailoverLab, healthOf, VS_MGMT, VS_MGMT_ADDRESS } from './support/failover-lab.js';

/**
 * Issue 7, acceptance: a partition, then the heal. The filer holding vs_mgmt is cut off (its
 * agent keeps running) for longer than fence-after: vs_mgmt moves to the next filer, and the
 * partitioned agent, hearing no leader, withdraws its vsvr addresses (its own mgmt address
 * stays). When the cables are plugged back in, at no request of an ARP watch on the switch do
 * two filers' ports answer for vs_mgmt's address (every filer uses the same MAC for it, so
 * only the port tells them apart), the probe does not fail, and exactly one filer holds it.
 *
 * Needs the build (`npx nest build cli`): the replicas, the agents and the probe run from dist/.
 * VSNET_LAB_FAILOVER_PROFILE=aggressive runs it with the aggressive heartbeat profile.
 */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('failover: a partition, then the heal', () => {
  let lab: FailoverLab;

  beforeAll(async () => {
    lab = await FailoverLab.start({ label: 'part' });
  }, 180_000);

  afterAll(async () => {
    await lab?.teardown();
  }, 60_000);

  it('fences the partitioned filer, and after the heal exactly one filer answers', async () => {
    await lab.makeLeader('b'); // the leader is on the other side of the partition
    expect(await lab.vsvrHolder()).toBe('filer1');
    const filerAddressesBefore = await lab.filerAddresses('filer1');
    expect(filerAddressesBefore).toEqual(
      expect.arrayContaining(['eth0 198.19.255.11/24', 'mgmt0 198.18.0.11/24']),
    );
    const fenceAfterMs = (await lab.failoverStatus()).heartbeat?.fenceAfterMs ?? 0;
    expect(fenceAfterMs).toBeGreaterThan(0);
    await lab.startResponders();
    const probe = await lab.startProbe();
    const arp = await lab.watchArp();
    await probe.waitForSuccess(probe.mark(), 10_000);

    const cutStarted = Date.now();
    await lab.cutFiler('filer1');
    const cutAt = probe.mark();
    await probe.waitForSuccess(cutAt, 20_000);
    process.stdout.write(
      `partition: vs_mgmt answered again after ${probe.outageSince(cutAt).outageMs.toFixed(0)} ms\n`,
    );

    // The partitioned agent withdraws vs_mgmt's address once fence-after has passed: then
    // filer2 alone holds it, even counting the kernel nobody can reach.
    await sleep(Math.max(0, cutStarted + fenceAfterMs + 1_000 - Date.now()));
    await expectEventually(
      async () => expect(await lab.vsvrHolders(VS_MGMT, VS_MGMT_ADDRESS)).toEqual(['filer2']),
      { timeoutMs: 5_000 },
    );
    expect(await lab.filerAddresses('filer1')).toEqual(filerAddressesBefore);

    await lab.healFiler('filer1');
    const healedAt = probe.mark();
    await expectEventually(
      async () =>
        expect(healthOf(await lab.failoverStatus(), 'filer1')).toBe('FILER_HEALTH_STATE_UP'),
      { timeoutMs: 20_000 },
    );
    await arp.waitRequests(300); // three more seconds of asking, every 10 ms
    const seen = await arp.stop();
    await probe.settle();

    expect(seen.doubleAnswers).toEqual([]);
    expect(seen.perPort.get('f2-eth0')).toBeGreaterThan(0);
    expect(await lab.vsvrHolders(VS_MGMT, VS_MGMT_ADDRESS)).toEqual(['filer2']);
    expect(probe.failures(healedAt)).toEqual([]);
    expect(await lab.filerAddresses('filer1')).toEqual(filerAddressesBefore);
    const status = await lab.failoverStatus();
    expect(status.filers.find((f) => f.filer === 'filer1')).toMatchObject({
      state: 'FILER_HEALTH_STATE_UP',
    });
    process.stdout.write(
      `partition heal: ${seen.sent} ARP requests, answered per port ${JSON.stringify([...seen.perPort])}\n`,
    );
  }, 120_000);
});
