import { afterEach, describe, expect, it } from '@jest/globals';
import { EditRefusal } from '@vsnet/model';
import { FailoverOrchestrator } from './failover-orchestrator.js';
import { MoveAborted, NotLeader, VsvrMover } from './vsvr-mover.js';
import {
  FakeAgents,
  FakeClock,
  FakeHealth,
  FakeJournal,
  FakeLeadership,
  FakePlacements,
  placement,
} from './testing/failover-fakes.js';

// The orchestrator and the mover with fakes at every edge: which filers get which Takeover, in
// what order, what is committed and recorded, and what stays put.

const CALLER = { principal: 'alice', rpc: '/vsnet.v1.FailoverService/MoveVsvr', peer: 'test' };

function setup(
  vsvrs = [
    placement('sales', ['filer1', 'filer3', 'filer2']),
    placement('vs_mgmt', ['filer1', 'filer2', 'filer3']),
    placement('eng', ['filer1', 'filer2']),
    placement('legacy', ['filer3', 'filer2']),
  ],
) {
  const clock = new FakeClock();
  const placements = new FakePlacements(vsvrs);
  const health = new FakeHealth({ filer1: 'up', filer2: 'up', filer3: 'up' });
  const agents = new FakeAgents();
  const journal = new FakeJournal();
  const leadership = new FakeLeadership('7');
  const mover = new VsvrMover(placements, health, agents, journal, leadership, clock.read);
  const orchestrator = new FailoverOrchestrator(
    placements,
    health,
    agents,
    journal,
    leadership,
    mover,
    clock.read,
  );
  orchestrator.begin('7');
  running.push(orchestrator);
  return { clock, placements, health, agents, journal, leadership, mover, orchestrator };
}

const running: FailoverOrchestrator[] = [];
afterEach(() => running.splice(0).forEach((o) => o.end()));

/** Lets pending promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
}

describe('FailoverOrchestrator: a filer lost', () => {
  it('takes vs_mgmt over first and waits for it, then the others in parallel, one call per target', async () => {
    const f = setup();
    f.health.states.set('filer1', 'down');
    let open!: () => void;
    f.agents.gate = new Promise((resolve) => (open = resolve));
    const done = f.orchestrator.filerLost('filer1', f.clock.now, f.clock.now - 104);
    await settle();
    // Only vs_mgmt's Takeover is out while it has not answered.
    expect(f.agents.calls).toEqual([
      { filer: 'filer2', activate: ['vs_mgmt'], deactivate: [], epoch: '7' },
    ]);
    open();
    const event = await done;
    expect(f.agents.calls.slice(1)).toEqual(
      expect.arrayContaining([
        { filer: 'filer3', activate: ['sales'], deactivate: [], epoch: '7' },
        { filer: 'filer2', activate: ['eng'], deactivate: [], epoch: '7' },
      ]),
    );
    expect(f.agents.calls).toHaveLength(3);
    // One commit for all of them, by vsnet-failover.
    expect(f.placements.placed).toEqual([
      {
        moves: [
          { vsvr: 'vs_mgmt', filer: 'filer2' },
          { vsvr: 'sales', filer: 'filer3' },
          { vsvr: 'eng', filer: 'filer2' },
        ],
        caller: expect.objectContaining({
          principal: 'vsnet-failover',
          rpc: '/vsnet.v1.FailoverService/Failover',
          reason: 'failover',
          epoch: '7',
        }),
      },
    ]);
    expect(f.placements.where('legacy')).toBe('filer3');
    expect(f.journal.events).toHaveLength(1);
    expect(event).toMatchObject({
      id: '1',
      kind: 'filer-lost',
      filer: 'filer1',
      epoch: '7',
      principal: 'vsnet-failover',
      detectionMs: 104,
      generation: '11',
    });
    expect(event?.moves.map((m) => [m.vsvr, m.from, m.to, m.error])).toEqual([
      ['vs_mgmt', 'filer1', 'filer2', ''],
      ['sales', 'filer1', 'filer3', ''],
      ['eng', 'filer1', 'filer2', ''],
    ]);
    // The agent's plumbed/announced times (4, 5 ms after the request) on the failover's clock.
    expect(event?.moves[0]).toMatchObject({ plumbedMs: 4, announcedMs: 5 });
  });

  it('picks the first candidate that is up: not recovering, agent-down, down or unknown', async () => {
    const f = setup([placement('sales', ['filer1', 'filer2', 'filer3', 'filer4'])]);
    f.health.states.set('filer1', 'down');
    f.health.states.set('filer2', 'recovering');
    f.health.states.set('filer3', 'agent-down');
    f.health.states.set('filer4', 'up');
    await f.orchestrator.filerLost('filer1', f.clock.now, undefined);
    expect(f.agents.calls.map((c) => c.filer)).toEqual(['filer4']);
    expect(f.placements.where('sales')).toBe('filer4');
  });

  it('passes a vsvr to the next candidate when its target refuses', async () => {
    const f = setup([placement('sales', ['filer1', 'filer2', 'filer3'])]);
    f.health.states.set('filer1', 'down');
    f.agents.failing.add('filer2');
    const event = await f.orchestrator.filerLost('filer1', f.clock.now, undefined);
    expect(f.agents.calls.map((c) => c.filer)).toEqual(['filer2', 'filer3']);
    expect(event?.moves[0]).toMatchObject({ to: 'filer3', error: '' });
    expect(f.placements.where('sales')).toBe('filer3');
  });

  it('leaves a vsvr no filer can take where it is, says why, and takes it once one can', async () => {
    const f = setup([
      placement('eng', ['filer1', 'filer2']),
      placement('sales', ['filer1', 'filer3']),
    ]);
    f.health.states.set('filer1', 'down');
    f.health.states.set('filer2', 'down');
    const event = await f.orchestrator.filerLost('filer1', f.clock.now, undefined);
    expect(event?.moves).toEqual([
      expect.objectContaining({
        vsvr: 'eng',
        to: '',
        error: expect.stringContaining(
          'no other filer of its failover group (filer1, filer2) is up',
        ),
      }),
      expect.objectContaining({ vsvr: 'sales', to: 'filer3', error: '' }),
    ]);
    expect(f.placements.where('eng')).toBe('filer1');
    expect(f.placements.where('sales')).toBe('filer3');
    // Nothing more while no filer can take it.
    await f.orchestrator.sweep();
    expect(f.journal.events).toHaveLength(1);
    f.health.states.set('filer2', 'up');
    await f.orchestrator.sweep();
    expect(f.placements.where('eng')).toBe('filer2');
    expect(f.journal.events).toHaveLength(2);
    expect(f.journal.events[1]).toMatchObject({ kind: 'filer-lost', filer: 'filer1' });
  });

  it('commits nothing once this instance stopped leading during the failover', async () => {
    const f = setup();
    f.health.states.set('filer1', 'down');
    f.agents.onCall = () => {
      f.leadership.current = undefined; // the lease ran out while vs_mgmt was being taken over
    };
    const event = await f.orchestrator.filerLost('filer1', f.clock.now, undefined);
    expect(event).toBeUndefined();
    expect(f.agents.calls).toHaveLength(1);
    expect(f.placements.placed).toEqual([]);
    expect(f.journal.events).toEqual([]);
  });

  it('does nothing after end()', async () => {
    const f = setup();
    f.orchestrator.end();
    expect(await f.orchestrator.filerLost('filer1', f.clock.now, undefined)).toBeUndefined();
    expect(f.agents.calls).toEqual([]);
  });
});

describe('FailoverOrchestrator: auto-revert', () => {
  it('sends a failback: auto vsvr home once its home has been up for the hold-down, not before', async () => {
    const f = setup([
      placement('sales', ['filer1', 'filer2'], {
        filer: 'filer2',
        reason: 'failover',
        failback: 'auto',
        failbackHoldDownSeconds: 30,
      }),
      placement('eng', ['filer1', 'filer2'], { filer: 'filer2', reason: 'failover' }),
    ]);
    f.health.upFrom.set('filer1', f.clock.now);
    f.clock.tick(29_999);
    await f.orchestrator.sweep();
    expect(f.agents.calls).toEqual([]);
    f.clock.tick(1);
    await f.orchestrator.sweep();
    // Withdrawn where it ran first, then taken over at home; the manual one stays.
    expect(f.agents.calls).toEqual([
      { filer: 'filer2', activate: [], deactivate: ['sales'], epoch: '7' },
      { filer: 'filer1', activate: ['sales'], deactivate: [], epoch: '7' },
    ]);
    expect(f.placements.placed[0]?.moves).toEqual([{ vsvr: 'sales', filer: null }]);
    expect(f.placements.where('sales')).toBe('filer1');
    expect(f.placements.where('eng')).toBe('filer2');
    expect(f.journal.events[0]).toMatchObject({ kind: 'revert', principal: 'vsnet-failover' });
  });

  it('does not revert while the home filer is recovering', async () => {
    const f = setup([
      placement('sales', ['filer1', 'filer2'], {
        filer: 'filer2',
        failback: 'auto',
        failbackHoldDownSeconds: 0,
      }),
    ]);
    f.health.states.set('filer1', 'recovering');
    f.clock.tick(3_600_000);
    await f.orchestrator.sweep();
    expect(f.agents.calls).toEqual([]);
  });
});

describe('VsvrMover: vsnet vsvr move', () => {
  it('withdraws, takes over, commits, records', async () => {
    const f = setup();
    const done = await f.mover.move('SALES', 'filer3', CALLER);
    expect(f.agents.calls).toEqual([
      { filer: 'filer1', activate: [], deactivate: ['sales'], epoch: '7' },
      { filer: 'filer3', activate: ['sales'], deactivate: [], epoch: '7' },
    ]);
    expect(f.placements.placed).toEqual([
      {
        moves: [{ vsvr: 'sales', filer: 'filer3' }],
        caller: { ...CALLER, reason: 'move', epoch: '7' },
      },
    ]);
    expect(done.generation).toBe('11');
    expect(done.failover).toMatchObject({
      kind: 'move',
      filer: 'filer1',
      principal: 'alice',
      generation: '11',
    });
  });

  it('refuses what cannot be, before touching an agent', async () => {
    const f = setup();
    f.health.states.set('filer4', 'up');
    f.health.states.set('filer2', 'recovering');
    const cases: [string, string, string][] = [
      ['nosuch', 'filer2', 'not-found'],
      ['sales', 'filer9', 'not-found'],
      ['eng', 'filer3', 'failed-precondition'], // not of its failover group
      ['eng', 'filer4', 'failed-precondition'], // a filer of the cluster, not of eng's group
      ['sales', 'filer1', 'failed-precondition'], // runs there already
      ['sales', 'filer2', 'failed-precondition'], // not up
    ];
    for (const [vsvr, filer, kind] of cases) {
      const err = await f.mover.move(vsvr, filer, CALLER).catch((e: unknown) => e);
      expect({ vsvr, filer, kind: err instanceof EditRefusal ? err.kind : String(err) }).toEqual({
        vsvr,
        filer,
        kind,
      });
    }
    await expect(f.mover.move('sales', 'filer3', CALLER, '3')).rejects.toThrow(
      /generation 10, not 3/,
    );
    expect(f.agents.calls).toEqual([]);
  });

  it('gives the vsvr back to its filer when the target fails, and commits nothing', async () => {
    const f = setup();
    f.agents.failing.add('filer3');
    await expect(f.mover.move('sales', 'filer3', CALLER)).rejects.toThrow(MoveAborted);
    expect(f.agents.calls.map((c) => [c.filer, c.activate, c.deactivate])).toEqual([
      ['filer1', [], ['sales']],
      ['filer3', ['sales'], []],
      ['filer1', ['sales'], []],
    ]);
    expect(f.placements.placed).toEqual([]);
    expect(f.journal.events[0]?.moves[0]?.error).toMatch(
      /filer3 did not take sales over .*it runs on filer1 again/,
    );
  });

  it('moves nothing when the filer it runs on does not let it go', async () => {
    const f = setup();
    f.agents.failing.add('filer1');
    await expect(f.mover.move('sales', 'filer3', CALLER)).rejects.toThrow(
      /filer1 did not withdraw sales/,
    );
    expect(f.agents.calls).toHaveLength(1);
  });

  it('does not ask a down filer to let go', async () => {
    const f = setup();
    f.health.states.set('filer1', 'down');
    await f.mover.move('sales', 'filer3', CALLER);
    expect(f.agents.calls.map((c) => c.filer)).toEqual(['filer3']);
  });

  it('is refused on an instance that does not lead', async () => {
    const f = setup();
    f.leadership.current = undefined;
    await expect(f.mover.move('sales', 'filer3', CALLER)).rejects.toThrow(NotLeader);
  });
});
