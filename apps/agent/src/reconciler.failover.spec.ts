import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { DryRunDriver, ObservedState } from '@vsnet/dataplane';
import { createDryRunDriver } from '@vsnet/dataplane';
import type { NodeSpec } from '@vsnet/model';
import { labNodeSpec } from '../../../libs/contracts/src/testing/lab-specs.js';
import { AgentError } from './agent.errors.js';
import type { TakeoverCommand } from './apply.types.js';
import { FencingStore } from './fencing-store.js';
import { reconcilerFixture, tempStateDir } from './testing/agent-fixture.js';

// The reconciler's failover paths (decision 0006) over the dry-run kernel: fencing, Takeover,
// and what a restarted agent brings up.

const SPEC = labNodeSpec('filer1');
/** filer1 runs vs_mgmt, sales and archive, and pre-stages eng (filer2 runs it). */
const ACTIVE = SPEC.vsvrs
  .filter((v) => v.active)
  .map((v) => v.name)
  .sort();

function applyCommand(generation: bigint, epoch = 1n, spec: NodeSpec = SPEC) {
  return { spec, generation, epoch, dryRun: false };
}

function takeoverCommand(
  activate: string[],
  deactivate: string[] = [],
  epoch = 1n,
): TakeoverCommand {
  return { epoch, activate, deactivate, arrivedAt: performance.now() };
}

/** The vsvrs whose namespace has a link up, and their addresses, as the kernel holds them. */
function kernelView(state: ObservedState): { up: string[]; addresses: number; filer: number } {
  const up = new Set(
    state.links
      .filter((l) => l.up && l.name !== 'lo' && l.namespace !== '')
      .map((l) => l.namespace),
  );
  return {
    up: [...up].map((ns) => SPEC.vsvrs.find((v) => v.namespace === ns)?.name ?? ns).sort(),
    addresses: state.addresses.filter((a) => a.namespace !== '').length,
    filer: state.addresses.filter((a) => a.namespace === '').length,
  };
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
  throw new Error('expected a refusal');
}

describe('ReconcilerService failover', () => {
  let dir: ReturnType<typeof tempStateDir>;
  let driver: DryRunDriver;
  beforeEach(() => {
    dir = tempStateDir();
    driver = createDryRunDriver();
  });
  afterEach(() => dir.remove());

  it('fences: withdraws every vsvr, keeps the filer addresses, records it, logs one line', async () => {
    const { reconciler, logs } = await reconcilerFixture(dir.path, 'filer1', driver);
    await reconciler.apply(applyCommand(1n));
    const before = kernelView(await driver.inspect());
    expect(before.up).toEqual(ACTIVE);

    await reconciler.fence('no valid heartbeat for 6000 ms');
    await reconciler.fence('again');

    const after = kernelView(await driver.inspect());
    expect(after).toEqual({ up: [], addresses: 0, filer: before.filer });
    expect(reconciler.status()).toMatchObject({ fenced: true, activeVsvrs: [] });
    expect(logs.filter((l) => String(l['msg']).startsWith('fenced: '))).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: `fenced: no valid heartbeat for 6000 ms; withdrew ${ACTIVE.join(', ')} until the leader's next Apply`,
      }),
    ]);
    expect((await FencingStore.open(dir.path)).failover?.fenced).toBe(true);
  });

  it("ends a fence with the leader's Apply, even of the generation already applied", async () => {
    const { reconciler, logs } = await reconcilerFixture(dir.path, 'filer1', driver);
    await reconciler.apply(applyCommand(1n));
    await reconciler.fence('test');
    const outcome = await reconciler.apply(applyCommand(1n));
    expect(outcome.changed).toBe(true);
    expect(kernelView(await driver.inspect()).up).toEqual(ACTIVE);
    expect(reconciler.status()).toMatchObject({ fenced: false, activeVsvrs: ACTIVE });
    expect(logs.map((l) => l['msg'])).toContain(
      'unfenced: the leader applied generation 1 (epoch 1)',
    );
    expect((await FencingStore.open(dir.path)).failover).toEqual({ fenced: false, withheld: [] });
  });

  it('takes over a standby vsvr touching its namespace alone, and gives one up', async () => {
    const { reconciler } = await reconcilerFixture(dir.path, 'filer1', driver);
    await reconciler.apply(applyCommand(1n));
    const applied = driver.history().length;

    const taken = await reconciler.takeover(takeoverCommand(['eng']));

    expect(taken.activeVsvrs).toEqual([...ACTIVE, 'eng'].sort());
    expect(taken.plumbedMs).toBeGreaterThan(0);
    expect(taken.announcedMs).toBe(taken.plumbedMs);
    const operations = driver.history().slice(applied);
    expect(operations.length).toBeGreaterThan(0);
    expect(new Set(operations.map((o) => o.operation.namespace))).toEqual(new Set(['vs-eng']));
    expect(kernelView(await driver.inspect()).up).toEqual([...ACTIVE, 'eng'].sort());

    const given = await reconciler.takeover(takeoverCommand([], ['sales']));
    expect(given.activeVsvrs).toEqual([...ACTIVE, 'eng'].filter((n) => n !== 'sales').sort());
    expect(given.announcedMs).toBe(0);
    const state = await driver.inspect();
    expect(state.addresses.filter((a) => a.namespace === 'vs-sales')).toEqual([]);
    expect(state.namespaces).toContain('vs-sales');
  });

  it('keeps takeovers over a re-sent spec, and drops them for a newer generation', async () => {
    const { reconciler } = await reconcilerFixture(dir.path, 'filer1', driver);
    await reconciler.apply(applyCommand(4n));
    await reconciler.takeover(takeoverCommand(['eng'], ['sales']));
    const overridden = [...ACTIVE, 'eng'].filter((n) => n !== 'sales').sort();

    await reconciler.apply(applyCommand(4n));
    expect(kernelView(await driver.inspect()).up).toEqual(overridden);
    expect((await refusal(reconciler.apply(applyCommand(3n)))).code).toBe('stale-generation');
    expect(kernelView(await driver.inspect()).up).toEqual(overridden);

    await reconciler.apply(applyCommand(5n));
    expect(kernelView(await driver.inspect()).up).toEqual(ACTIVE);
    expect(reconciler.status().activeVsvrs).toEqual(ACTIVE);
  });

  it('refuses a takeover of an older epoch, of an unknown vsvr, or before any spec', async () => {
    const { reconciler } = await reconcilerFixture(dir.path, 'filer1', driver);
    const early = await refusal(reconciler.takeover(takeoverCommand(['eng'])));
    expect(early.code).toBe('not-found');
    expect(early.message).toMatch(/^this agent has no spec yet/);
    await reconciler.apply(applyCommand(1n, 3n));
    expect((await refusal(reconciler.takeover(takeoverCommand(['eng'], [], 2n)))).code).toBe(
      'fenced',
    );
    const unknown = await refusal(reconciler.takeover(takeoverCommand(['legacy'], [], 3n)));
    expect(unknown.code).toBe('not-found');
    expect(unknown.message).toMatch(/^legacy is not in this filer's spec \(generation 1\); /);
    const both = await refusal(reconciler.takeover(takeoverCommand(['eng'], ['eng'], 3n)));
    expect(both.code).toBe('invalid-request');
    expect(kernelView(await driver.inspect()).up).toEqual(ACTIVE);
  });

  it('brings up only the vsvr a takeover activates on a fenced agent', async () => {
    const { reconciler, logs } = await reconcilerFixture(dir.path, 'filer1', driver);
    await reconciler.apply(applyCommand(1n));
    await reconciler.fence('test');
    const taken = await reconciler.takeover(takeoverCommand(['eng']));
    await reconciler.idle();
    expect(taken.activeVsvrs).toEqual(['eng']);
    expect(kernelView(await driver.inspect()).up).toEqual(['eng']);
    expect(reconciler.status().fenced).toBe(false);
    expect(logs.map((l) => l['msg'])).toContain('unfenced: the leader took over eng here');
  });

  it('adopts what the kernel runs after an agent crash: nothing moves, takeovers included', async () => {
    const first = await reconcilerFixture(dir.path, 'filer1', driver);
    await first.reconciler.apply(applyCommand(1n));
    await first.reconciler.takeover(takeoverCommand(['eng'], ['sales']));
    await first.reconciler.idle();
    const operations = driver.history().length;

    const restarted = await reconcilerFixture(dir.path, 'filer1', driver);
    await expect(restarted.reconciler.restoreFromCache()).resolves.toBe(true);

    expect(driver.history().length).toBe(operations);
    const overridden = [...ACTIVE, 'eng'].filter((n) => n !== 'sales').sort();
    expect(restarted.reconciler.status().activeVsvrs).toEqual(overridden);
    expect(kernelView(await driver.inspect()).up).toEqual(overridden);
  });

  it('keeps down, after a restart, a vsvr the cache says active that the kernel no longer runs', async () => {
    const first = await reconcilerFixture(dir.path, 'filer1', driver);
    await first.reconciler.apply(applyCommand(1n));
    // While no agent runs, sales goes down (its kernel state lost, or withdrawn).
    const salesDown = {
      ...SPEC,
      vsvrs: SPEC.vsvrs.map((v) => (v.name === 'sales' ? { ...v, active: false } : v)),
    };
    await driver.apply(driver.plan(salesDown, await driver.inspect()));

    const restarted = await reconcilerFixture(dir.path, 'filer1', driver);
    await restarted.reconciler.restoreFromCache();

    const others = ACTIVE.filter((n) => n !== 'sales');
    expect(kernelView(await driver.inspect()).up).toEqual(others);
    expect(restarted.reconciler.status().activeVsvrs).toEqual(others);
    expect(restarted.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: expect.stringMatching(/^kept down sales: active in the cached spec but not running/),
      }),
    );
    // The leader's Apply says sales runs here: it comes back.
    await restarted.reconciler.apply(applyCommand(1n));
    expect(kernelView(await driver.inspect()).up).toEqual(ACTIVE);
  });

  it('stays fenced across a restart, and keeps the vsvrs down', async () => {
    const first = await reconcilerFixture(dir.path, 'filer1', driver);
    await first.reconciler.apply(applyCommand(1n));
    await first.reconciler.fence('test');

    const rebooted = createDryRunDriver();
    const restarted = await reconcilerFixture(dir.path, 'filer1', rebooted);
    await restarted.reconciler.restoreFromCache();
    expect(restarted.reconciler.status()).toMatchObject({ fenced: true, activeVsvrs: [] });
    const kernel = await rebooted.inspect();
    expect(kernelView(kernel).up).toEqual([]);
    // The standby copies are staged, ready for a takeover.
    expect(kernel.namespaces).toEqual(expect.arrayContaining(SPEC.vsvrs.map((v) => v.namespace)));
  });
});
