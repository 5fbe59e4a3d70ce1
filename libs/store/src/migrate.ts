import type { DataSource } from 'typeorm';
import { MIGRATIONS_TABLE } from './data-source-options.js';
import type { DbEngine } from './db-engine.js';

/**
 * Applies the pending migrations and returns their names, in order. TypeORM creates its own
 * bookkeeping table with the server's default engine; it is moved to the configured one first so
 * that every table, bookkeeping included, lives in the same engine (docs/ndb.md).
 */
export async function applyMigrations(dataSource: DataSource, engine: DbEngine): Promise<string[]> {
  await dataSource.showMigrations(); // creates the bookkeeping table when it is missing
  const rows: unknown = await dataSource.query(
    'SELECT ENGINE AS engine FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
    [MIGRATIONS_TABLE],
  );
  const current = Array.isArray(rows)
    ? (rows[0] as { engine?: unknown } | undefined)?.engine
    : undefined;
  if (typeof current === 'string' && current.toUpperCase() !== engine.toUpperCase()) {
    await dataSource.query(`ALTER TABLE \`${MIGRATIONS_TABLE}\` ENGINE=${engine}`);
  }
  // One transaction per migration: MySQL commits DDL implicitly, so "all" would promise more
  // atomicity than the server gives.
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((m) => m.name);
}
