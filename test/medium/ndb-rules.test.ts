import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyMigrations, MIGRATIONS_TABLE, storeDataSourceOptions } from '@vsnet/store';
import { DataSource } from 'typeorm';
import { loadControlConfig } from '../../apps/control/src/config/control-config.js';
import { schemaMigrations } from '../../migrations/index.js';
import { createTestDatabase, isMariaDb } from './support/test-database.js';
import type { TestDatabase } from './support/test-database.js';

/** NDB's limit on one row's fixed-size part (docs/ndb.md). */
const NDB_MAX_ROW_BYTES = 14_000;
/** Bytes of a TEXT/BLOB value NDB keeps inline in the row; the rest goes to a parts table. */
const NDB_BLOB_INLINE_BYTES = 256;

interface ColumnRow {
  TABLE_NAME: string;
  COLUMN_NAME: string;
  DATA_TYPE: string;
  COLUMN_TYPE: string;
  CHARACTER_OCTET_LENGTH: number | string | null;
  NUMERIC_PRECISION: number | string | null;
  NUMERIC_SCALE: number | string | null;
  DATETIME_PRECISION: number | string | null;
}

const FIXED_BYTES: Readonly<Record<string, number>> = {
  tinyint: 1,
  smallint: 2,
  mediumint: 3,
  int: 4,
  bigint: 8,
  float: 4,
  double: 8,
  date: 3,
  year: 1,
  time: 6,
  enum: 2,
  set: 8,
  bit: 8,
};

/** Upper bound of the bytes one column takes in an NDB row, rounded up to NDB's 4-byte words. */
function columnBytes(c: ColumnRow): number {
  const octets = Number(c.CHARACTER_OCTET_LENGTH ?? 0);
  let bytes: number;
  switch (c.DATA_TYPE) {
    case 'char':
    case 'binary':
      bytes = octets;
      break;
    case 'varchar':
    case 'varbinary':
      bytes = octets + 2;
      break;
    case 'tinytext':
    case 'text':
    case 'mediumtext':
    case 'longtext':
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
    case 'json':
      bytes = NDB_BLOB_INLINE_BYTES;
      break;
    case 'datetime':
    case 'timestamp':
      bytes =
        (c.DATA_TYPE === 'datetime' ? 5 : 4) + Math.ceil(Number(c.DATETIME_PRECISION ?? 0) / 2);
      break;
    case 'decimal':
      bytes = Math.ceil(Number(c.NUMERIC_PRECISION ?? 65) / 2) + 1;
      break;
    default: {
      const fixed = FIXED_BYTES[c.DATA_TYPE];
      if (fixed === undefined) {
        throw new Error(`no size rule for ${c.TABLE_NAME}.${c.COLUMN_NAME} ${c.COLUMN_TYPE}`);
      }
      bytes = fixed;
    }
  }
  return Math.ceil(bytes / 4) * 4;
}

const config = loadControlConfig(process.env);
const MIGRATIONS_DIR = join(import.meta.dirname, '../../migrations');

describe('the schema keeps MySQL NDB Cluster rules (docs/ndb.md)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let tables: string[];

  beforeAll(async () => {
    db = await createTestDatabase('ndb');
    // TypeORM reads MariaDB's information_schema right only when told it is MariaDB.
    const flavor = (await isMariaDb(db.url)) ? 'mariadb' : 'mysql';
    dataSource = new DataSource(
      storeDataSourceOptions({
        url: db.url,
        migrations: schemaMigrations(config.dbEngine),
        flavor,
      }),
    );
    await dataSource.initialize();
    await applyMigrations(dataSource, config.dbEngine);
    const rows: { TABLE_NAME: string }[] = await dataSource.query(
      'SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
      [db.name],
    );
    tables = rows.map((r) => r.TABLE_NAME);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('creates every entity table and the migrations bookkeeping table', () => {
    const expected = [MIGRATIONS_TABLE, ...dataSource.entityMetadatas.map((m) => m.tableName)];
    expect([...tables].sort()).toEqual([...expected].sort());
  });

  it('gives every table a primary key', async () => {
    const rows: { TABLE_NAME: string }[] = await dataSource.query(
      `SELECT TABLE_NAME FROM information_schema.TABLE_CONSTRAINTS
       WHERE TABLE_SCHEMA = ? AND CONSTRAINT_TYPE = 'PRIMARY KEY'`,
      [db.name],
    );
    const withKey = new Set(rows.map((r) => r.TABLE_NAME));
    expect(tables.filter((t) => !withKey.has(t))).toEqual([]);
  });

  it('has no FULLTEXT or SPATIAL index', async () => {
    const rows: { TABLE_NAME: string; INDEX_NAME: string; INDEX_TYPE: string }[] =
      await dataSource.query(
        `SELECT TABLE_NAME, INDEX_NAME, INDEX_TYPE FROM information_schema.STATISTICS
         WHERE TABLE_SCHEMA = ? AND INDEX_TYPE IN ('FULLTEXT', 'SPATIAL')`,
        [db.name],
      );
    expect(rows).toEqual([]);
  });

  it(`keeps every row within NDB's ${NDB_MAX_ROW_BYTES} bytes (TEXT counted as its inline part)`, async () => {
    const columns: ColumnRow[] = await dataSource.query(
      `SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_OCTET_LENGTH,
              NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?`,
      [db.name],
    );
    const sizes = new Map<string, number>();
    for (const c of columns) {
      sizes.set(c.TABLE_NAME, (sizes.get(c.TABLE_NAME) ?? 0) + columnBytes(c));
    }
    expect(sizes.size).toBe(tables.length);
    const tooBig = [...sizes].filter(([, bytes]) => bytes > NDB_MAX_ROW_BYTES);
    expect(tooBig).toEqual([]);
  });

  it(`creates every table with the configured engine (${config.dbEngine})`, async () => {
    const rows: { TABLE_NAME: string; ENGINE: string }[] = await dataSource.query(
      'SELECT TABLE_NAME, ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
      [db.name],
    );
    const other = rows.filter((r) => r.ENGINE.toUpperCase() !== config.dbEngine.toUpperCase());
    expect(other).toEqual([]);
  });

  it('keeps table names within 63 and column names within 31 characters', async () => {
    const columns: { TABLE_NAME: string; COLUMN_NAME: string }[] = await dataSource.query(
      'SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?',
      [db.name],
    );
    expect(tables.filter((t) => t.length > 63)).toEqual([]);
    expect(columns.filter((c) => c.COLUMN_NAME.length > 31)).toEqual([]);
  });

  it('matches the entities exactly: TypeORM finds nothing to change', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('migrates down and up again cleanly', async () => {
    const count = schemaMigrations(config.dbEngine).length;
    for (let i = 0; i < count; i += 1) {
      await dataSource.undoLastMigration({ transaction: 'each' });
    }
    const left: { TABLE_NAME: string }[] = await dataSource.query(
      'SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
      [db.name],
    );
    expect(left.map((r) => r.TABLE_NAME)).toEqual([MIGRATIONS_TABLE]);
    const applied = await applyMigrations(dataSource, config.dbEngine);
    expect(applied).toHaveLength(count);
    expect(await applyMigrations(dataSource, config.dbEngine)).toEqual([]);
  });
});

describe('migration sources use nothing NDB lacks', () => {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.ts'));

  it.each(files)('%s has no SAVEPOINT, FULLTEXT, SPATIAL or hard-coded engine', (file) => {
    const source = readFileSync(join(MIGRATIONS_DIR, file), 'utf8');
    expect(source).not.toMatch(/\bSAVEPOINT\b/i);
    expect(source).not.toMatch(/\bFULLTEXT\b/i);
    expect(source).not.toMatch(/\bSPATIAL\b/i);
    expect(source).not.toMatch(/ENGINE\s*=\s*(InnoDB|NDB|MyISAM)/i);
    expect(source).not.toMatch(/FOREIGN\s+KEY/i);
  });

  it('puts the configured engine into every CREATE TABLE', async () => {
    const statements: string[] = [];
    const recorder = { query: (sql: string) => Promise.resolve(void statements.push(sql)) };
    for (const Migration of schemaMigrations('NDBCLUSTER')) {
      await new Migration().up(recorder as never);
    }
    const creates = statements.filter((s) => /^CREATE TABLE/i.test(s));
    expect(creates.length).toBeGreaterThan(0);
    expect(creates.filter((s) => !s.includes('ENGINE=NDBCLUSTER'))).toEqual([]);
  });
});
