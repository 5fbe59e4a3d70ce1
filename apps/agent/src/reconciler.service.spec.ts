import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createDryRunDriver } from '@vsnet/dataplane';
import type { NodeSpec } from '@vsnet/model';
import { labNodeSpec } from '../../../libs/contracts/src/testing/lab-specs.js';
import { AgentError } from './agent.errors.js';
import type { ApplyCommand } from './apply.types.js';
import { reconcilerFixture, tempStateDir } from './testing/agent-fixture.js';
import { faultyDriver } from './testing/faulty-driver.js';
import type { Faults } from './testing/faulty-driver.js';

function command(spec: NodeSpec, generation: bigint, epoch = 1n, dryRun = false): ApplyCommand {
  return { spec, generation, epoch, dryRun };
}

/** The vsvrs a spec runs on its filer, sorted. */
function active(spec: NodeSpec): string[] {
  return spec.vsvrs
    .filter((v) => v.active)
    .map((v) => v.name)
    .sort();
}

async function refusal(p: Promise<unknown>): Promise<AgentError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AgentError) {
      return err;
    }
    throw err;
  }
  throw new Error('expected the apply to be refused');
}

describe('ReconcilerService', () => {
  const spec = labNodeSpec('filer1');
  let dir: ReturnType<typeof tempStateDir>;
  beforeEach(() => {
    dir = tempStateDir();
  });
  afterEach(() => dir.remove());

  it('applies a spec, then an identical apply changes nothing', async () => {
    const { reconciler } = await reconcilerFixture(dir.path);
    const first = await reconciler.apply(command(spec, 1n));
    expect(first.changed).toBe(true);
    expect(first.generation).toBe(1n);
    expect(first.plan.operations.length).toBeGreaterThan(0);
    expect(first.drift).toEqual([]);
    const second = await reconciler.apply(command(spec, 1n));
    expect(second).toMatchObject({ changed: false, generation: 1n, drift: [] });
    expect(second.plan.operations).toEqual([]);
  });

  it('makes the kernel match the spec, as GetState reads it', async () => {
    const { reconciler } = await reconcilerFixture(dir.path);
    await reconciler.apply(command(spec, 1n));
    const state = await reconciler.state();
    expect(state).toMatchObject({ filer: 'filer1', driver: 'dry-run', generation: 1n, epoch: 1n });
    expect(state.specHash).toBe(spec.hash);
    expect(state.observed.links.map((l) => l.name)).toEqual(
      expect.arrayContaining(['bond0', 'fail0', 'mgmt0']),
    );
    expect(Object.keys(state.counters).length).toBe(spec.vsvrs.length);
  });

  it('refuses an older generation and an older epoch after applying', async () => {
    const { reconciler } = await reconcilerFixture(dir.path);
    await reconciler.apply(command(spec, 5n, 3n));
    expect((await refusal(reconciler.apply(command(spec, 4n, 3n)))).code).toBe('stale-generation');
    expect((await refusal(reconciler.apply(command(spec, 6n, 2n)))).code).toBe('fenced');
  });

  it('remembers a higher epoch even when its apply then fails', async () => {
    const faults: Faults = { inspectThrows: 'netlink socket closed' };
    const driver = faultyDriver(createDryRunDriver(), faults);
    const { reconciler } = await reconcilerFixture(dir.path, 'filer1', driver);
    const err = await refusal(reconciler.apply(command(spec, 1n, 9n)));
    expect(err.code).toBe('driver-failed');
    expect(err.message).toBe(
      "the dry-run driver failed, so the kernel may be partly changed; check the agent log and retry the apply once the cause is fixed (the kernel's own error follows): netlink socket closed",
    );
    expect(reconciler.status()).toMatchObject({ epoch: 9n, generation: 0n });
  });

  it('refuses a spec compiled for another filer', async () => {
    const { reconciler } = await reconcilerFixture(dir.path, 'filer2');
    const err = await refusal(reconciler.apply(command(spec, 1n)));
    expect(err.code).toBe('invalid-request');
    expect(err.message).toMatch(/^the spec is for filer filer1, but this agent runs filer filer2/);
  });

  it('previews without changing the kernel, the cache or fencing', async () => {
    const { reconciler, cache } = await reconcilerFixture(dir.path);
    const preview = await reconciler.apply(command(spec, 3n, 7n, true));
    expect(preview.changed).toBe(true);
    expect(preview.generation).toBe(0n);
    expect(preview.items).toEqual([]);
    expect((await reconciler.state()).observed.namespaces).toEqual([]);
    expect(reconciler.status()).toMatchObject({ generation: 0n, epoch: 0n });
    await expect(cache.read()).resolves.toBeUndefined();
  });

  it('reports failed items as apply-failed, with the outcome, and keeps the old generation', async () => {
    const faults: Faults = {};
    const driver = faultyDriver(createDryRunDriver(), faults);
    const { reconciler, events, cache } = await reconcilerFixture(dir.path, 'filer1', driver);
    await reconciler.apply(command(spec, 1n));
    faults.failItemsContaining = 'vs-';
    const other = labNodeSpec('filer2');
    const changed = { ...spec, vsvrs: other.vsvrs, hash: 'c'.repeat(64) };
    const err = await refusal(reconciler.apply(command(changed, 2n)));
    expect(err.code).toBe('apply-failed');
    expect(err.message).toMatch(
      /^generation 2 was not applied \(the node keeps generation 1\): \d+ item\(s\) failed \(first: /,
    );
    expect(err.message).toMatch(
      /; the failed items and differences are in the response, and each item's kernel error in the agent log$/,
    );
    expect(err.outcome?.generation).toBe(1n);
    expect(err.outcome?.items.some((i) => i.status === 'failed')).toBe(true);
    expect(events.map((e) => e.kind)).toEqual(['applied', 'apply-failed']);
    expect((await cache.read())?.generation).toBe(1n);
  });

  it('runs applies one at a time and refuses one queued behind a newer generation', async () => {
    const { reconciler } = await reconcilerFixture(dir.path);
    const newer = reconciler.apply(command(spec, 8n));
    const older = reconciler.apply(command(spec, 7n));
    await expect(newer).resolves.toMatchObject({ generation: 8n, changed: true });
    expect((await refusal(older)).code).toBe('stale-generation');
  });

  it('skips an apply whose caller gave up while it waited', async () => {
    const { reconciler } = await reconcilerFixture(dir.path);
    const abort = new AbortController();
    const first = reconciler.apply(command(spec, 1n));
    const waiting = reconciler.apply({ ...command(spec, 2n), signal: abort.signal });
    abort.abort();
    await first;
    expect((await refusal(waiting)).code).toBe('cancelled');
  });

  it('after close, finishes the running apply and refuses the rest', async () => {
    const { reconciler } = await reconcilerFixture(dir.path);
    const running = reconciler.apply(command(spec, 1n));
    const queued = reconciler.apply(command(spec, 2n));
    await reconciler.close();
    await expect(running).resolves.toMatchObject({ generation: 1n });
    expect((await refusal(queued)).code).toBe('shutting-down');
    expect((await refusal(reconciler.apply(command(spec, 3n)))).code).toBe('shutting-down');
  });

  it('restores the cached spec at start-up, and a restart over an unchanged kernel moves nothing', async () => {
    const driver = createDryRunDriver();
    const before = await reconcilerFixture(dir.path, 'filer1', driver);
    await before.reconciler.apply(command(spec, 4n, 2n));

    // Same kernel (same dry-run driver), new agent: level-based restore plans nothing.
    const after = await reconcilerFixture(dir.path, 'filer1', driver);
    await expect(after.reconciler.restoreFromCache()).resolves.toBe(true);
    expect(after.reconciler.status()).toMatchObject({
      generation: 4n,
      epoch: 2n,
      specHash: spec.hash,
      restoredFromCache: true,
    });
    expect(after.logs).toContainEqual(
      expect.objectContaining({
        msg: 'restored cached spec generation 4',
        changed: false,
        operations: 0,
      }),
    );
    expect(after.reconciler.standingEvents().map((e) => e.kind)).toEqual(['cache-restored']);

    // A new kernel (a rebooted filer) is rebuilt from the cache, every vsvr a standby copy:
    // one may have failed over meanwhile, so none comes up before the leader says so.
    const rebooted = await reconcilerFixture(dir.path, 'filer1', createDryRunDriver());
    await rebooted.reconciler.restoreFromCache();
    expect(rebooted.logs).toContainEqual(
      expect.objectContaining({ msg: 'restored cached spec generation 4', changed: true }),
    );
    expect(rebooted.reconciler.status().activeVsvrs).toEqual([]);
    // The leader re-sends the same generation: accepted and applied, no longer "restored".
    await expect(rebooted.reconciler.apply(command(spec, 4n, 2n))).resolves.toMatchObject({
      changed: true,
    });
    expect(rebooted.reconciler.status()).toMatchObject({
      restoredFromCache: false,
      activeVsvrs: active(spec),
    });
  });

  it('starts without a cache and refuses the cache of another filer', async () => {
    const empty = await reconcilerFixture(dir.path);
    await expect(empty.reconciler.restoreFromCache()).resolves.toBe(false);
    await empty.reconciler.apply(command(spec, 1n));
    const wrong = await reconcilerFixture(dir.path, 'filer3');
    await expect(wrong.reconciler.restoreFromCache()).rejects.toThrow(
      /holds the spec of filer filer1, not of filer3; point VSNET_AGENT_STATE_DIR/,
    );
  });

  it('keeps serving when the driver throws while restoring the cache: logs it and emits apply-failed', async () => {
    const before = await reconcilerFixture(dir.path);
    await before.reconciler.apply(command(spec, 4n, 2n));

    const faults: Faults = { inspectThrows: 'netlink socket closed' };
    const driver = faultyDriver(createDryRunDriver(), faults);
    const after = await reconcilerFixture(dir.path, 'filer1', driver);
    await expect(after.reconciler.restoreFromCache()).resolves.toBe(false);
    expect(after.events.map((e) => e.kind)).toEqual(['apply-failed']);
    expect(after.events[0]?.message).toMatch(
      /^restoring the cached spec of generation 4 failed: the dry-run driver failed, .*netlink socket closed; the agent serves anyway/,
    );
    expect(after.logs).toContainEqual(expect.objectContaining({ level: 'error', generation: '4' }));
    expect(after.reconciler.status().restoredFromCache).toBe(false);

    // Control can still reach it and repair the node once the fault is gone.
    delete faults.inspectThrows;
    await expect(after.reconciler.apply(command(spec, 5n, 2n))).resolves.toMatchObject({
      generation: 5n,
    });
  });
});
