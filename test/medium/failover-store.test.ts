// Where vsvrs run (ClusterStateStore.place/placements), the failover history and filer health
// (FailoverStore), and the lease's endpoint, against the real MariaDB/MySQL and migrations.
import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { ClusterDocument } from '@vsnet/model';
import { EditRefusal } from '@vsnet/model';
import type { CompiledCluster } from '@vsnet/store';
import {
  applyMigrations,
  ClusterStateStore,
  FailoverStore,
  PipelineStore,
  storeDataSourceOptions,
} from '@vsnet/store';
import { DataSource } from 'typeorm';
import { loadControlConfig } from '../../apps/control/src/config/control-config.js';
import { schemaMigrations } from '../../migrations/index.js';
import { correctedSeed } from './support/documents.js';
import { createTestDatabase, isMariaDb } from './support/test-database.js';
import type { TestDatabase } from './support/test-database.js';

const config = loadControlConfig(process.env);

const APPLY = {
  dryRun: false,
  principal: 'admin',
  rpc: '/vsnet.v1.ConfigService/Apply',
  peer: 'test',
};
const FAILOVER = {
  principal: 'vsnet-failover',
  rpc: 'failover',
  peer: 'leader',
  reason: 'failover',
  epoch: '7',
} as const;

let db: TestDatabase;
let dataSource: DataSource;
let store: ClusterStateStore;

async function connect(): Promise<DataSource> {
  const flavor = (await isMariaDb(db.url)) ? 'mariadb' : 'mysql';
  const ds = new DataSource(
    storeDataSourceOptions({ url: db.url, migrations: schemaMigrations(config.dbEngine), flavor }),
  );
  await ds.initialize();
  return ds;
}

/** `CHECKSUM TABLE` of every table: equal sums mean nothing was written. */
async function checksums(): Promise<Record<string, string>> {
  const tables: { name: string }[] = await dataSource.query(
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
    [db.name],
  );
  const sums: Record<string, string> = {};
  for (const { name } of tables) {
    const rows: { Checksum: unknown }[] = await dataSource.query(`CHECKSUM TABLE \`${name}\``);
    sums[name] = String(rows[0]?.Checksum);
  }
  return sums;
}

async function placementRows(): Promise<{ vsvr: string; filer: string; reason: string }[]> {
  return dataSource.query('SELECT vsvr, filer, reason FROM vsvr_placement ORDER BY vsvr');
}

/** `filer:priority*` of one vsvr in every spec of a compiled generation (`*`: active). */
function roles(compiled: CompiledCluster, vsvr: string): string[] {
  return [...compiled.specs.values()].flatMap((s) =>
    s.vsvrs
      .filter((v) => v.name === vsvr)
      .map((v) => `${s.filer}:${v.priority}${v.active ? '*' : ''}`),
  );
}

async function refusal(work: Promise<unknown>): Promise<EditRefusal> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof EditRefusal)) {
    throw new Error(`expected an EditRefusal, got ${String(err)}`);
  }
  return err;
}

beforeEach(async () => {
  db = await createTestDatabase('failover');
  dataSource = await connect();
  await applyMigrations(dataSource, config.dbEngine);
  store = new ClusterStateStore(dataSource);
  const applied = await store.apply(correctedSeed(), APPLY);
  expect(applied).toMatchObject({ ok: true, generation: '1' });
});

afterEach(async () => {
  await dataSource?.destroy();
  await db?.drop();
});

describe('ClusterStateStore placement', () => {
  it('places a vsvr on another filer: one generation, one audit row, new specs to the listeners', async () => {
    const told: CompiledCluster[] = [];
    store.onCommitted((_generation, _filers, compiled) => told.push(compiled));
    const placed = await store.place([{ vsvr: 'vsvra', filer: 'filer2' }], FAILOVER);
    expect(placed).toEqual({ generation: '2', filers: ['Filer1', 'Filer2'] });

    expect(told).toHaveLength(1);
    expect(told[0]?.generation).toBe('2');
    expect(told[0]?.placement).toEqual(new Map([['vsvra', 'Filer2']]));
    expect(roles(told[0] as CompiledCluster, 'VsvrA')).toEqual(['Filer1:1', 'Filer2:0*']);
    expect(roles(told[0] as CompiledCluster, 'VsvrB')).toEqual(['Filer1:0*', 'Filer2:1']);

    expect(await placementRows()).toEqual([{ vsvr: 'vsvra', filer: 'Filer2', reason: 'failover' }]);
    const audit: { principal: string; target: string; generation: string; after: string }[] =
      await dataSource.query(
        'SELECT principal, target, generation, after_summary AS after FROM audit ORDER BY id',
      );
    expect(audit.slice(1)).toEqual([
      {
        principal: 'vsnet-failover',
        target: 'vsvr/VsvrA',
        generation: '2',
        after: JSON.stringify({ placement: { VsvrA: 'Filer2' }, reason: 'failover', epoch: '7' }),
      },
    ]);
    const filerState: { filer: string; generation: string }[] = await dataSource.query(
      'SELECT filer, desired_generation AS generation FROM filer_state ORDER BY filer',
    );
    expect(filerState).toEqual([
      { filer: 'Filer1', generation: '2' },
      { filer: 'Filer2', generation: '2' },
    ]);

    // Another process (a fresh store) reads the same placement with the cluster.
    const other = new ClusterStateStore(dataSource);
    const { generation, vsvrs } = await other.placements();
    expect(generation).toBe('2');
    const byName = new Map(vsvrs.map((v) => [v.vsvr, v]));
    expect(byName.get('VsvrA')).toMatchObject({
      filer: 'Filer2',
      home: 'Filer1',
      reason: 'failover',
      failback: 'manual',
      failbackHoldDownSeconds: 60,
      candidates: ['Filer1', 'Filer2'],
    });
    expect(byName.get('VsvrA')?.sinceUnixMs).toBeGreaterThan(Date.now() - 60_000);
    expect(byName.get('VsvrB')).toMatchObject({ filer: 'Filer1', reason: 'home', sinceUnixMs: 0 });
    expect(byName.get('VsvrC')).toMatchObject({ filer: 'Filer2', home: 'Filer2', reason: 'home' });
  });

  it('export and apply of the export keep the placement and change nothing', async () => {
    await store.place([{ vsvr: 'VsvrA', filer: 'Filer2' }], FAILOVER);
    const exported = (await store.export()) as ClusterDocument;
    const again = await store.apply(exported, APPLY);
    expect(again).toMatchObject({ ok: true, changes: [], generation: '2' });
    expect(await placementRows()).toHaveLength(1);
  });

  it('refuses unknown vsvrs and filers, filers that cannot run the vsvr and stale generations, writing nothing', async () => {
    const before = await checksums();
    const cases: [Promise<unknown>, string, string][] = [
      [store.place([{ vsvr: 'VsvrZ', filer: 'Filer2' }], FAILOVER), 'not-found', 'vsvr'],
      [store.place([{ vsvr: 'VsvrA', filer: 'Filer9' }], FAILOVER), 'not-found', 'filer'],
      [store.place([{ vsvr: 'VsvrC', filer: 'Filer1' }], FAILOVER), 'failed-precondition', 'filer'],
      [
        store.place(
          [
            { vsvr: 'VsvrA', filer: 'Filer2' },
            { vsvr: 'VsvrC', filer: 'Filer1' },
          ],
          FAILOVER,
        ),
        'failed-precondition',
        'moves[1].filer',
      ],
      [
        store.place([{ vsvr: 'VsvrA', filer: 'Filer2' }], { ...FAILOVER, expectedGeneration: '5' }),
        'failed-precondition',
        'expectedGeneration',
      ],
    ];
    for (const [work, kind, field] of cases) {
      const err = await refusal(work);
      expect({ kind: err.kind, field: err.violations[0]?.field }).toEqual({ kind, field });
    }
    expect(await checksums()).toEqual(before);
    expect((await store.placements()).generation).toBe('1');
  });

  it('moving a vsvr to where it runs changes nothing; null sends it home', async () => {
    const before = await checksums();
    expect(await store.place([{ vsvr: 'VsvrA', filer: 'Filer1' }], FAILOVER)).toEqual({
      generation: '1',
      filers: [],
    });
    expect(await checksums()).toEqual(before);

    await store.place([{ vsvr: 'VsvrA', filer: 'Filer2' }], FAILOVER);
    const moved = { ...FAILOVER, reason: 'move' as const, expectedGeneration: '2' };
    expect(await store.place([{ vsvr: 'VsvrA', filer: 'Filer2' }], moved)).toEqual({
      generation: '2',
      filers: [],
    });
    const home = await store.place([{ vsvr: 'VsvrA', filer: null }], moved);
    expect(home).toEqual({ generation: '3', filers: ['Filer1', 'Filer2'] });
    expect(await placementRows()).toEqual([]);
    const vsvrA = (await store.placements()).vsvrs.find((v) => v.vsvr === 'VsvrA');
    expect(vsvrA).toMatchObject({ filer: 'Filer1', reason: 'home' });
  });

  it("refuses a deposed leader's placement: the lease moved on to another epoch", async () => {
    const pipeline = new PipelineStore(dataSource);
    const lease = await pipeline.acquireLease('replica-a', 60_000);
    expect(lease?.epoch).toBe('1');
    const before = await checksums();
    const deposed = await refusal(
      store.place([{ vsvr: 'VsvrA', filer: 'Filer2' }], { ...FAILOVER, epoch: '0' }),
    );
    expect(deposed.kind).toBe('failed-precondition');
    expect(deposed.message).toMatch(/leadership of epoch 0 has ended .*epoch 1/);
    expect(await checksums()).toEqual(before);
    const current = await store.place([{ vsvr: 'VsvrA', filer: 'Filer2' }], {
      ...FAILOVER,
      epoch: '1',
    });
    expect(current.generation).toBe('2');
  });

  it('the commit that removes a vsvr removes its placement', async () => {
    await store.place(
      [
        { vsvr: 'VsvrA', filer: 'Filer2' },
        { vsvr: 'VsvrB', filer: 'Filer2' },
      ],
      { ...FAILOVER, reason: 'move' },
    );
    expect(await placementRows()).toHaveLength(2);
    const doc = correctedSeed();
    doc.vsvrs = doc.vsvrs?.filter((v) => v.name !== 'VsvrB');
    expect(await store.apply(doc, APPLY)).toMatchObject({ ok: true, generation: '3' });
    expect(await placementRows()).toEqual([{ vsvr: 'vsvra', filer: 'Filer2', reason: 'move' }]);
  });

  it('stores the failback policy with the vsvr and exports it', async () => {
    const doc = correctedSeed();
    const vsvrA = doc.vsvrs?.find((v) => v.name === 'VsvrA');
    Object.assign(vsvrA ?? {}, { failback: 'auto', failbackHoldDown: 30 });
    expect(await store.apply(doc, APPLY)).toMatchObject({ ok: true, generation: '2' });
    const fresh = new ClusterStateStore(dataSource);
    const exported = await fresh.export();
    expect(exported?.vsvrs?.find((v) => v.name === 'VsvrA')).toMatchObject({
      failback: 'auto',
      failbackHoldDown: 30,
    });
    expect((await fresh.placements()).vsvrs.find((v) => v.vsvr === 'VsvrA')).toMatchObject({
      failback: 'auto',
      failbackHoldDownSeconds: 30,
    });
    expect(await fresh.apply(exported, APPLY)).toMatchObject({ ok: true, changes: [] });
  });
});

describe('FailoverStore', () => {
  it('records failovers and lists them newest first, moves and all', async () => {
    const failovers = new FailoverStore(dataSource);
    const move = {
      vsvr: 'vs_mgmt',
      from: 'Filer1',
      to: 'Filer2',
      targetChosenMs: 0.4,
      plumbedMs: 9.5,
      announcedMs: 11.25,
      committedMs: 40,
      error: '',
    };
    const first = await failovers.record({
      kind: 'filer-lost',
      filer: 'Filer1',
      epoch: '3',
      principal: 'vsnet-failover',
      detectedUnixMs: 1_800_000_000_123,
      detectionMs: 104.5,
      generation: '12',
      moves: [move, { ...move, vsvr: 'VsvrA', to: '', error: 'no filer of its group is up' }],
    });
    const second = await failovers.record({
      kind: 'move',
      filer: 'Filer2',
      epoch: '3',
      principal: 'admin',
      detectedUnixMs: 1_800_000_100_000,
      detectionMs: 0,
      generation: '0',
      moves: [],
    });
    const recent = await failovers.recent(10);
    expect(recent.map((e) => e.id)).toEqual([second, first]);
    expect(recent[1]).toEqual({
      id: first,
      kind: 'filer-lost',
      filer: 'Filer1',
      epoch: '3',
      principal: 'vsnet-failover',
      detectedUnixMs: 1_800_000_000_123,
      detectionMs: 104.5,
      generation: '12',
      moves: [move, { ...move, vsvr: 'VsvrA', to: '', error: 'no filer of its group is up' }],
    });
    expect(await failovers.recent(1)).toHaveLength(1);
  });

  it('keeps a failover of thousands of vsvrs bounded, first moves kept', async () => {
    const failovers = new FailoverStore(dataSource);
    const moves = Array.from({ length: 3000 }, (_, i) => ({
      vsvr: `vs${i}`,
      from: 'Filer1',
      to: 'Filer2',
      targetChosenMs: 1,
      plumbedMs: 2,
      announcedMs: 3,
      committedMs: 4,
      error: i === 0 ? 'x'.repeat(5000) : '',
    }));
    const input = {
      kind: 'filer-lost' as const,
      filer: 'Filer1',
      epoch: '1',
      principal: 'vsnet-failover',
      detectedUnixMs: 1,
      detectionMs: 1,
      generation: '2',
      moves,
    };
    await failovers.record(input);
    const [event] = await failovers.recent(1);
    expect(event?.moves[0]?.vsvr).toBe('vs0');
    expect(event?.moves[0]?.error.length).toBeLessThan(600);
    expect((event?.moves.length ?? 0) + (event?.omittedMoves ?? 0)).toBe(3000);
    expect(event?.omittedMoves).toBeGreaterThan(0);
  });

  it('upserts filer health', async () => {
    const failovers = new FailoverStore(dataSource);
    const up = {
      filer: 'Filer1',
      state: 'up',
      sinceUnixMs: 1_800_000_000_000,
      generation: '4',
      fenced: false,
      epoch: '2',
    } as const;
    await failovers.setFilerHealth([up, { ...up, filer: 'Filer2', state: 'unknown' }]);
    await failovers.setFilerHealth([
      { ...up, state: 'down', sinceUnixMs: 1_800_000_000_500, fenced: true, epoch: '3' },
    ]);
    expect(await failovers.filerHealth()).toEqual([
      { ...up, state: 'down', sinceUnixMs: 1_800_000_000_500, fenced: true, epoch: '3' },
      { ...up, filer: 'Filer2', state: 'unknown' },
    ]);
  });
});

describe('the leader lease', () => {
  it('names its holder endpoint, on take and on renewal', async () => {
    const pipeline = new PipelineStore(dataSource);
    expect(await pipeline.currentLease()).toBeUndefined();
    expect(await pipeline.acquireLease('host/1/a', 5000, '198.19.255.1:7400')).toEqual({
      epoch: '1',
    });
    expect(await pipeline.currentLease()).toMatchObject({
      holder: 'host/1/a',
      epoch: '1',
      endpoint: '198.19.255.1:7400',
    });
    await pipeline.acquireLease('host/1/a', 5000, '198.19.255.1:7401');
    const lease = await pipeline.currentLease();
    expect(lease?.endpoint).toBe('198.19.255.1:7401');
    expect(lease?.expiresUnixMs).toBeGreaterThan(Date.now() - 1000);
    expect(await pipeline.acquireLease('host/2/b', 5000, 'other:7400')).toBeUndefined();
  });
});
