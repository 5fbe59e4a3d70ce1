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
 * Issue 7, acceptance: a filer is lost (its cables cut at the switch and its agent killed)
 * while the leader runs on another filer. vs_mgmt comes back on the next filer of its failover
 * group (filer1 → filer2) before the other vsvrs move (eng: filer1 → filer3): the kernels show
 * it, the client's probe connects again, and the failover status tells the story with every
 * phase of the failover.
 *
 * Needs the build (`npx nest build cli`): the replicas, the agents and the probe run from dist/.
 * VSNET_LAB_FAILOVER_PROFILE=aggressive runs it with the aggressive heartbeat profile.
 */
const ENG_ADDRESS = '198.18.10.41';

describe('failover: a filer is lost while the leader runs elsewhere', () => {
  let lab: FailoverLab;

  beforeAll(async () => {
    lab = await FailoverLab.start({ label: 'loss' });
  }, 180_000);

  afterAll(async () => {
    await lab?.teardown();
  }, 60_000);

  it('moves vs_mgmt to the next filer of its group, then eng to its own next filer', async () => {
    await lab.makeLeader('b'); // replica b runs in filer2: the leader is not on filer1
    expect(await lab.vsvrHolder()).toBe('filer1');
    expect(await lab.vsvrHolder('eng', ENG_ADDRESS)).toBe('filer1');
    await lab.startResponders();
    const probe = await lab.startProbe();
    await probe.waitForSuccess(probe.mark(), 10_000);
    const mark = probe.mark();

    await lab.cutFiler('filer1');
    await lab.killAgent('filer1');
    const cutAt = probe.mark();

    // Nothing reaches filer1 any more: a success now is another filer answering.
    await probe.waitForSuccess(cutAt, 20_000);
    const { outageMs, failed } = probe.outageSince(mark);
    process.stdout.write(
      `filer loss (${lab.profile}): vs_mgmt answered again after ${outageMs.toFixed(0)} ms, ${failed} failed probes\n`,
    );
    // filer1 is dead (cut), not fenced: its kernel still has the addresses; nobody can reach it.
    await expectEventually(
      async () => {
        expect(
          (await lab.vsvrHolders(VS_MGMT, VS_MGMT_ADDRESS)).filter((f) => f !== 'filer1'),
        ).toEqual(['filer2']);
        expect((await lab.vsvrHolders('eng', ENG_ADDRESS)).filter((f) => f !== 'filer1')).toEqual([
          'filer3',
        ]);
      },
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
    expect(healthOf(status, 'filer1')).toBe('FILER_HEALTH_STATE_DOWN');
    expect(healthOf(status, 'filer2')).toBe('FILER_HEALTH_STATE_UP');
    expect(healthOf(status, 'filer3')).toBe('FILER_HEALTH_STATE_UP');
    expect(placementOf(status, VS_MGMT)).toBe('filer2');
    expect(placementOf(status, 'eng')).toBe('filer3');
    expect(status.vsvrs.find((v) => v.vsvr === VS_MGMT)).toMatchObject({
      home: 'filer1',
      reason: 'PLACEMENT_REASON_FAILOVER',
    });

    const failover = failoverOf(status, 'filer1');
    expect(failover?.epoch).toBe(String((await lab.leader()).epoch));
    expect(failover?.detectionMs).toBeGreaterThan(0);
    const moves = new Map((failover?.moves ?? []).map((m) => [m.vsvr, m]));
    expect([...moves.keys()].sort()).toEqual(['eng', VS_MGMT]);
    for (const [vsvr, to] of [
      [VS_MGMT, 'filer2'],
      ['eng', 'filer3'],
    ] as const) {
      const move = moves.get(vsvr);
      expect({ vsvr, from: move?.from, to: move?.to, error: move?.error }).toEqual({
        vsvr,
        from: 'filer1',
        to,
        error: '',
      });
      // detected → target chosen → plumbed → announced → committed, in that order.
      const phases = [
        move?.targetChosenMs,
        move?.plumbedMs,
        move?.announcedMs,
        move?.committedMs,
      ].map(Number);
      expect(phases[3]).toBeGreaterThan(0);
      expect([...phases].sort((x, y) => x - y)).toEqual(phases);
    }
    // vs_mgmt first: it was plumbed before eng was.
    expect(moves.get(VS_MGMT)?.plumbedMs).toBeLessThanOrEqual(moves.get('eng')?.plumbedMs ?? 0);

    const cli = await lab.vsnet(['failover', 'status']);
    expect({ status: cli.status, stderr: cli.stderr }).toEqual({ status: 0, stderr: '' });
    expect(cli.stdout).toMatch(/filer1\s+down/i);
    expect(cli.stdout).toMatch(/vs_mgmt\s+filer2/);
    process.stdout.write(`vsnet failover status:\n${cli.stdout}\n`);
  }, 120_000);
});
