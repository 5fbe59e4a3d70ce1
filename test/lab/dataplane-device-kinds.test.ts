import { afterAll, describe, expect, it } from '@jest/globals';
import { createLinuxDriver } from '@vsnet/dataplane';
import type { NodeSpec } from '@vsnet/model';
import { bondedClusterDocument } from '../../libs/dataplane/src/testing/bonded-cluster.js';
import {
  must,
  namespacesStartingWith,
  removeNamespaces,
  removeStaleLabs,
} from '../../libs/dataplane/src/testing/lab-network.js';
import { compileSpecs } from '../../libs/dataplane/src/testing/specs.js';
import { runProcess } from '../../libs/dataplane/src/linux/run-process.js';

/**
 * bond#, fail# and VLAN devices against the kernel — where the kernel has them. LAB.md: the
 * development kernel has neither bonding nor 8021q, so here the probe test says so and the
 * kernel test is reported as skipped; their iproute2 commands are unit-tested (ip-commands.spec.ts).
 */
const ROOT = 'vsdpk';
const PREFIX = `${ROOT}${process.pid}-`;

interface Probe {
  readonly available: boolean;
  readonly reason: string;
}

/** Tries to create one device of each kind in a scratch namespace, then deletes it. */
async function probeDeviceKinds(): Promise<{ bond: Probe; vlan: Probe }> {
  await removeStaleLabs(ROOT);
  const scratch = `${PREFIX}probe`;
  await must('ip', ['netns', 'add', scratch]);
  try {
    const attempt = async (args: string[]): Promise<Probe> => {
      const r = await runProcess('ip', ['-n', scratch, 'link', 'add', ...args], {
        timeoutMs: 5_000,
      });
      return { available: r.code === 0, reason: r.code === 0 ? 'created' : r.stderr.trim() };
    };
    await must('ip', ['-n', scratch, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']);
    return {
      bond: await attempt(['b0', 'type', 'bond', 'mode', 'active-backup']),
      vlan: await attempt(['link', 'p0', 'name', 'p0.5', 'type', 'vlan', 'id', '5']),
    };
  } finally {
    await must('ip', ['netns', 'del', scratch]);
  }
}

const probe = await probeDeviceKinds();
const available = probe.bond.available && probe.vlan.available;
const NOT_RUN = 'bond devices not available on this kernel: kernel tests for bond/vlan are not run';

describe('bond, failover and vlan devices in the kernel', () => {
  afterAll(async () => {
    await removeNamespaces(PREFIX);
    expect(await namespacesStartingWith(PREFIX)).toEqual([]);
  });

  it(`capability probe: bond ${probe.bond.available ? 'available' : `missing (${probe.bond.reason})`}, vlan ${probe.vlan.available ? 'available' : `missing (${probe.vlan.reason})`}`, () => {
    if (!available) {
      console.log(`${NOT_RUN} (bond: ${probe.bond.reason}; vlan: ${probe.vlan.reason})`);
      // Missing means the kernel refused the kind, not that the probe itself broke.
      for (const p of [probe.bond, probe.vlan].filter((x) => !x.available)) {
        expect(p.reason).toMatch(/Unknown device type|not supported|No such device/i);
      }
    } else {
      expect([probe.bond.reason, probe.vlan.reason]).toEqual(['created', 'created']);
    }
  });

  (available ? it : it.skip)(
    `applies a filer with bonds, vlans, a failover bond and a VLAN of an alias; re-plan is empty${available ? '' : ` (skipped: ${NOT_RUN})`}`,
    async () => {
      const [spec] = compileSpecs(bondedClusterDocument()) as [NodeSpec];
      const filer = `${PREFIX}filer`;
      await must('ip', ['netns', 'add', filer]);
      await must('ip', ['netns', 'add', `${PREFIX}peer`]);
      for (const eth of ['eth0', 'eth1', 'eth2', 'eth3']) {
        await must('ip', [
          '-n',
          filer,
          'link',
          'add',
          eth,
          'type',
          'veth',
          'peer',
          'name',
          `p-${eth}`,
          'netns',
          `${PREFIX}peer`,
        ]);
      }
      const driver = createLinuxDriver({
        filerNamespace: filer,
        namespacePrefix: PREFIX,
        timeoutMs: 10_000,
        reuseReadMs: 0,
      });
      const report = await driver.apply(driver.plan(spec, await driver.inspect()));
      expect(report.items.filter((i) => i.status === 'failed')).toEqual([]);
      expect(driver.plan(spec, await driver.inspect()).operations).toEqual([]);
      const fail0 = JSON.parse(
        (await must('ip', ['-j', '-d', '-n', filer, 'link', 'show', 'dev', 'fail0'])).stdout,
      ) as {
        linkinfo: { info_data: { mode: string } };
      }[];
      expect(fail0[0]?.linkinfo.info_data.mode).toBe('active-backup');
      await driver.announcementsIdle();
    },
    30_000,
  );
});
