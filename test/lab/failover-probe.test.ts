import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Lab, removeStale } from '../../deploy/lab/src/lab.js';
import { ipBatch } from '../../deploy/lab/src/run.js';
import { cutCables, plugCables, sleep } from '../bench/failover/cables.js';
import type { Probe, Responder } from '../bench/failover/probe.js';
import { monotonicMs, startProbe, startResponder } from '../bench/failover/probe.js';

/**
 * The failover probe (test/bench/failover/probe.ts) on the real kernel: a client namespace
 * connecting every 10 ms to a responder in a server namespace sees every attempt through while
 * nothing happens, and an outage covering a pulled cable. The failover tests and the benchmark
 * read their figures from it.
 *
 * Needs the build (`npx nest build cli`): the probe's halves run from dist/.
 */
const PREFIX = `fp${process.pid % 100_000}`;
const ADDRESS = '198.18.61.1';
const PORT = 7720;

describe('the failover probe', () => {
  let lab: Lab | undefined;
  let responder: Responder | undefined;
  let probe: Probe | undefined;

  beforeAll(async () => {
    await removeStale(PREFIX);
    lab = await Lab.build({
      prefix: PREFIX,
      segments: ['lan'],
      filers: [{ name: 'server', ports: [{ eth: 'eth0', segment: 'lan' }] }],
      clients: [{ name: 'client', segment: 'lan', addresses: ['198.18.61.100/24'] }],
    });
    await ipBatch([`addr add ${ADDRESS}/24 dev eth0`], {
      namespace: lab.filerNamespace('server'),
    });
    responder = await startResponder({ namespace: lab.filerNamespace('server'), port: PORT });
    probe = await startProbe({
      namespace: lab.clientNamespace('client'),
      address: ADDRESS,
      port: PORT,
    });
  }, 30_000);

  afterAll(async () => {
    await probe?.stop();
    await responder?.stop();
    await lab?.teardown();
  });

  it('gets through on every attempt while nothing happens', async () => {
    const p = probe!;
    const mark = p.mark();
    await p.waitForSuccess(mark, 5_000);
    await sleep(300);
    await p.settle();
    const outage = p.outageSince(mark);
    expect(outage).toMatchObject({ recovered: true, failed: 0 });
    expect(outage.attempts).toBeGreaterThan(1);
    expect(p.failures(mark)).toEqual([]);
  });

  it('sees an outage at least as long as the cable was out, and the failed attempts', async () => {
    const p = probe!;
    const mark = p.mark();
    await cutCables(lab!, 'server');
    const cutMs = monotonicMs();
    await sleep(300);
    const plugMs = monotonicMs();
    await plugCables(lab!, 'server');
    await p.waitForSuccess(plugMs, 10_000);
    await p.settle();

    const outage = p.outageSince(mark);
    expect(outage.recovered).toBe(true);
    // No connection can complete while the cable is out.
    expect(outage.outageMs).toBeGreaterThanOrEqual(plugMs - cutMs);
    const failed = p.failures(mark);
    expect(failed.length).toBe(outage.failed);
    expect(failed.length).toBeGreaterThan(0);
    expect(new Set(failed.map((a) => a.code))).toEqual(new Set(['TIMEOUT']));
  }, 20_000);

  it('counts a refused connection as a failure, and an answer again as a success', async () => {
    const p = probe!;
    await responder?.stop();
    expect(responder?.running).toBe(false);
    const stoppedMs = p.mark();
    await sleep(100);
    await p.settle();
    expect(p.failures(stoppedMs).map((a) => a.code)).toContain('ECONNREFUSED');

    responder = await startResponder({ namespace: lab!.filerNamespace('server'), port: PORT });
    const back = await p.waitForSuccess(p.mark(), 5_000);
    expect(back.ok).toBe(true);
  });

  it('stops, and its attempts stay readable', async () => {
    const p = probe!;
    const before = p.attempts().length;
    await p.stop();
    expect(p.running).toBe(false);
    expect(p.attempts().length).toBeGreaterThanOrEqual(before);
  });
});
