import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ping } from '../lab/support/netns.js';
import { expectEventually } from '../lab/support/expect-eventually.js';
import { CLIENTS, E2eCluster } from './support/e2e-cluster.js';
import type { CliResult } from './support/e2e-cluster.js';

// Issue 5 item 5, first case, as processes: a vsvr made with bin/vsnet answers from a client
// namespace once `--wait` returns; its address changed (remove + add) answers at the new one
// only; deleted, it answers nowhere and its namespace is gone.

const AS_ROOT = process.getuid?.() === 0;
const VSVR = 'probe';
const FIRST = '198.18.10.71';
const SECOND = '198.18.10.72';

let cluster: E2eCluster | undefined;

function running(): E2eCluster {
  if (cluster === undefined) {
    throw new Error('the cluster did not start');
  }
  return cluster;
}

/** `bin/vsnet args… --wait`, expected to succeed. */
async function applied(args: string[]): Promise<CliResult> {
  const r = await running().vsnet([...args, '--wait', '--wait-timeout', '30s']);
  expect({ args, ...r }).toMatchObject({ args, status: 0, stderr: '' });
  return r;
}

function answers(address: string): Promise<boolean> {
  return ping(running().clientNamespace(CLIENTS.data0), address);
}

beforeAll(async () => {
  if (AS_ROOT) {
    cluster = await E2eCluster.start('reach');
  }
}, 120_000);

afterAll(async () => {
  await cluster?.teardown();
}, 60_000);

(AS_ROOT ? describe : describe.skip)('a vsvr seen from a client namespace', () => {
  it('answers at its address once applied, at the new one only after a change, nowhere once deleted', async () => {
    await applied(['vsvr', 'create', VSVR, '--failover-group', 'filer2']);
    expect(await answers(FIRST)).toBe(false);

    const added = await applied(['vsvr', 'address', 'add', VSVR, 'data0', `${FIRST}/24`]);
    expect(added.stdout).toMatch(/applied on filer2/);
    await expectEventually(async () => expect(await answers(FIRST)).toBe(true), {
      timeoutMs: 5_000,
    });
    expect(await running().kernelVsvrAddresses()).toContain(`filer2 ${VSVR} data0 ${FIRST}/24`);

    // A changed address: the old one is removed, the new one added, each waited for.
    await applied(['vsvr', 'address', 'remove', VSVR, `${FIRST}/24`]);
    await applied(['vsvr', 'address', 'add', VSVR, 'data0', `${SECOND}/24`]);
    expect(await answers(FIRST)).toBe(false);
    await expectEventually(async () => expect(await answers(SECOND)).toBe(true), {
      timeoutMs: 5_000,
    });
    const kernel = await running().kernelVsvrAddresses();
    expect(kernel.filter((line) => line.includes(` ${VSVR} `))).toEqual([
      `filer2 ${VSVR} data0 ${SECOND}/24`,
    ]);

    await applied(['vsvr', 'delete', VSVR]);
    expect(await answers(SECOND)).toBe(false);
    expect((await running().kernelVsvrAddresses()).join('\n')).not.toContain(` ${VSVR} `);
  }, 90_000);
});
