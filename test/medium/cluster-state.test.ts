import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ClusterDocument } from '@vsnet/model';
import { decodeClusterDocument, encodeClusterDocument, formatPath } from '@vsnet/model';
import type { ApplyOptions } from '@vsnet/store';
import { applyMigrations, ClusterStateStore, storeDataSourceOptions } from '@vsnet/store';
import { DataSource } from 'typeorm';
import { loadControlConfig } from '../../apps/control/src/config/control-config.js';
import { schemaMigrations } from '../../migrations/index.js';
import { createTestDatabase, isMariaDb } from './support/test-database.js';
import type { TestDatabase } from './support/test-database.js';

const config = loadControlConfig(process.env);
const SEED_FILE = join(import.meta.dirname, '..', '..', 'deploy', 'examples', 'seed-cluster.yaml');

/** The seed example as printed: Filer2's san0 repeats VsvrA's data1 address 10.2.2.3. */
function printedSeed(): ClusterDocument {
  return parse(readFileSync(SEED_FILE, 'utf8')) as ClusterDocument;
}

/** The seed with its one mistake corrected (Filer2's san0 moved to 10.2.2.4/24). */
function correctedSeed(): ClusterDocument {
  const doc = printedSeed();
  const filer2 = doc.filers.find((f) => f.name === 'Filer2');
  const san0 = filer2?.addresses?.find((a) => a.alias === 'san0');
  if (!san0) {
    throw new Error('the seed example no longer has Filer2 san0');
  }
  san0.address = '10.2.2.4/24';
  return doc;
}

/** The corrected seed with one more data0 address on VsvrA (§5.2.6.3 numbers it instance 2). */
function withVsvrAAddress(address: string): ClusterDocument {
  const doc = correctedSeed();
  doc.vsvrs?.find((v) => v.name === 'VsvrA')?.addresses?.push({ alias: 'data0', address });
  return doc;
}

function by(principal: string, dryRun = false): ApplyOptions {
  return { dryRun, principal, rpc: '/vsnet.v1.Cluster/Apply', peer: 'ipv4:127.0.0.1:50000' };
}

/** A migrated database of its own and a DataSource (or several) on it; all removed afterwards. */
class Fixture {
  readonly dataSources: DataSource[] = [];

  private constructor(readonly db: TestDatabase) {}

  static async create(): Promise<Fixture> {
    const fixture = new Fixture(await createTestDatabase('cstate'));
    const first = await fixture.connect();
    await applyMigrations(first, config.dbEngine);
    return fixture;
  }

  async connect(): Promise<DataSource> {
    const flavor = (await isMariaDb(this.db.url)) ? 'mariadb' : 'mysql';
    const dataSource = new DataSource(
      storeDataSourceOptions({
        url: this.db.url,
        migrations: schemaMigrations(config.dbEngine),
        flavor,
      }),
    );
    this.dataSources.push(dataSource);
    await dataSource.initialize();
    return dataSource;
  }

  get main(): DataSource {
    const first = this.dataSources[0];
    if (!first) {
      throw new Error('no DataSource');
    }
    return first;
  }

  /** `CHECKSUM TABLE` of every table: equal sums mean the database is unchanged. */
  async checksums(): Promise<Record<string, string>> {
    const tables: { name: string }[] = await this.main.query(
      'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
      [this.db.name],
    );
    const sums: Record<string, string> = {};
    for (const { name } of tables) {
      const rows: { Checksum: unknown }[] = await this.main.query(`CHECKSUM TABLE \`${name}\``);
      const sum = rows[0]?.Checksum;
      if (typeof sum !== 'number' && typeof sum !== 'string') {
        throw new Error(`CHECKSUM TABLE ${name} gave no checksum`);
      }
      sums[name] = String(sum);
    }
    return sums;
  }

  async auditRows(): Promise<{ principal: string; generation: string; after: string }[]> {
    return this.main.query(
      'SELECT principal, generation, after_summary AS after FROM audit ORDER BY id',
    );
  }

  async destroy(): Promise<void> {
    for (const dataSource of this.dataSources) {
      if (dataSource.isInitialized) {
        await dataSource.destroy();
      }
    }
    await this.db.drop();
  }
}

describe('ClusterStateStore against MariaDB/MySQL', () => {
  let fixture: Fixture;
  let store: ClusterStateStore;

  beforeEach(async () => {
    fixture = await Fixture.create();
    store = new ClusterStateStore(fixture.main);
  });

  afterEach(async () => {
    await fixture.destroy();
  });

  it('round trip: apply the corrected seed, export it, apply the export: no difference', async () => {
    const first = await store.apply(correctedSeed(), by('admin'));
    expect(first).toMatchObject({ ok: true, generation: '1' });
    expect(first.ok && first.changes.length).toBeGreaterThan(0);

    const exported = await store.export();
    expect(exported).toEqual(encodeClusterDocument(decodeClusterDocument(correctedSeed()).cluster));

    const again = await store.apply(exported, by('admin'));
    expect(again).toEqual({ ok: true, changes: [], generation: '1', warnings: [], filers: [] });
    expect(await fixture.auditRows()).toHaveLength(1);

    const loaded = await store.load(fixture.main.manager);
    expect(loaded?.generation).toBe('1');
    expect(loaded?.cluster.vsvrs.map((v) => v.name)).toEqual(['VsvrA', 'VsvrB', 'VsvrC']);
  });

  it('refuses the seed as printed with address.duplicate and leaves the database unchanged', async () => {
    await expect(store.apply(correctedSeed(), by('admin'))).resolves.toMatchObject({ ok: true });
    const before = await fixture.checksums();

    const refused = await store.apply(printedSeed(), by('admin'));

    expect(refused.ok).toBe(false);
    const duplicates = refused.ok
      ? []
      : refused.problems.filter((p) => p.code === 'address.duplicate');
    expect(duplicates.map((p) => formatPath(p.path))).toContain('vsvrs[0].addresses[2].address');
    expect(await fixture.checksums()).toEqual(before);
  });

  it('refuses an empty failover group (the model does), which the rows would read back as "any filer"', async () => {
    const doc = correctedSeed();
    const vsvrC = doc.vsvrs?.find((v) => v.name === 'VsvrC');
    if (vsvrC) {
      vsvrC.failoverGroup = [];
    }
    const before = await fixture.checksums();

    const refused = await store.apply(doc, by('admin'));

    expect(refused.ok).toBe(false);
    expect(refused.ok ? [] : refused.problems.map((p) => [p.code, formatPath(p.path)])).toEqual([
      ['vsvr.failover-group', 'vsvrs[2].failoverGroup'],
    ]);
    expect(await fixture.checksums()).toEqual(before);
  });

  it('a dry run lists the changes and writes nothing', async () => {
    const before = await fixture.checksums();

    const result = await store.apply(correctedSeed(), by('admin', true));

    expect(result).toMatchObject({ ok: true, generation: '0' });
    expect(result.ok && result.changes.map((c) => c.path)).toEqual(
      expect.arrayContaining(['cluster.mac', 'filers[Filer1]', 'vsvrs[VsvrA]', 'vsvrs[VsvrC]']),
    );
    expect(await fixture.checksums()).toEqual(before);
    await expect(store.export()).resolves.toBeUndefined();
  });

  it('one added address is exactly one change, one generation and one audit row', async () => {
    await store.apply(correctedSeed(), by('admin'));

    const result = await store.apply(withVsvrAAddress('10.3.3.2/24'), by('alice'));

    expect(result).toEqual({
      ok: true,
      generation: '2',
      warnings: [],
      // VsvrA runs on Filer1 and Filer2: the change pipeline brings it to their agents.
      filers: ['Filer1', 'Filer2'],
      changes: [
        {
          kind: 'add',
          path: 'vsvrs[VsvrA].addresses[10.3.3.2/24]',
          after: { alias: 'data0', address: '10.3.3.2/24', instance: 2 },
        },
      ],
    });
    const audit = await fixture.auditRows();
    expect(audit.map((a) => [a.principal, String(a.generation)])).toEqual([
      ['admin', '1'],
      ['alice', '2'],
    ]);
    expect(JSON.parse(audit[1]?.after ?? '{}')).toMatchObject({ changes: 1, vsvrs: 3 });
    const exported = await store.export();
    expect(exported?.vsvrs?.[0]?.addresses).toContainEqual({
      alias: 'data0',
      address: '10.3.3.2/24',
      instance: 2,
    });
  });

  it('two concurrent applies on separate connections serialize: generations 2 and 3', async () => {
    await store.apply(correctedSeed(), by('admin'));
    const otherStore = new ClusterStateStore(await fixture.connect());
    const documents = [withVsvrAAddress('10.3.3.2/24'), withVsvrAAddress('10.3.3.3/24')];

    const results = await Promise.all([
      store.apply(documents[0], by('alice')),
      otherStore.apply(documents[1], by('bob')),
    ]);

    const generations = results.map((r) => (r.ok ? r.generation : 'refused'));
    expect([...generations].sort()).toEqual(['2', '3']);
    const later = generations.indexOf('3');
    const expected = encodeClusterDocument(decodeClusterDocument(documents[later]).cluster);
    await expect(store.export()).resolves.toEqual(expected);
    const audit = await fixture.auditRows();
    expect(audit.map((a) => String(a.generation))).toEqual(['1', '2', '3']);
    expect(audit.slice(1).map((a) => a.principal)).toEqual(
      later === 1 ? ['alice', 'bob'] : ['bob', 'alice'],
    );
    // The later apply saw the earlier one's state: its difference is one address swapped.
    const laterResult = results[later];
    expect(laterResult?.ok && laterResult.changes.map((c) => c.kind).sort()).toEqual([
      'add',
      'remove',
    ]);
  });

  it('two concurrent first applies on an empty database: one creates the cluster, the other follows', async () => {
    const otherStore = new ClusterStateStore(await fixture.connect());

    const results = await Promise.all([
      store.apply(correctedSeed(), by('alice')),
      otherStore.apply(withVsvrAAddress('10.3.3.3/24'), by('bob')),
    ]);

    const generations = results.map((r) => (r.ok ? r.generation : 'refused'));
    expect([...generations].sort()).toEqual(['1', '2']);
    expect((await fixture.auditRows()).map((a) => String(a.generation))).toEqual(['1', '2']);
    const later = generations.indexOf('2');
    const documents = [correctedSeed(), withVsvrAAddress('10.3.3.3/24')];
    await expect(store.export()).resolves.toEqual(
      encodeClusterDocument(decodeClusterDocument(documents[later]).cluster),
    );
  });
});
