import { afterAll, describe, expect, it } from '@jest/globals';
import { createConnection } from 'mysql2/promise';
import { loadControlConfig } from '../../apps/control/src/config/control-config.js';
import { migrateDatabase } from '../../apps/control/src/control-app.js';
import { schemaMigrations } from '../../migrations/index.js';

const SERVER_URL = 'mysql://root@127.0.0.1:3306';
const NAME = `vsnet_migrate_${process.pid}`;

async function onServer<T>(sql: string): Promise<T> {
  const connection = await createConnection({ uri: SERVER_URL });
  try {
    const [rows] = await connection.query(sql);
    return rows as T;
  } finally {
    await connection.end();
  }
}

describe('vsnet-control migrate on a server without the database', () => {
  afterAll(async () => {
    await onServer(`DROP DATABASE IF EXISTS \`${NAME}\``);
  });

  it('creates the database, applies the schema, and applies nothing the second time', async () => {
    await onServer(`DROP DATABASE IF EXISTS \`${NAME}\``);
    const config = loadControlConfig({ VSNET_MYSQL_URL: `${SERVER_URL}/${NAME}` });

    const names = schemaMigrations(config.dbEngine).map((Migration) => new Migration().name);
    expect(names[0]).toMatch(/^InitialSchema\d+$/);
    expect(await migrateDatabase(config)).toEqual(names);
    const tables = await onServer<{ n: number }[]>(
      `SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = '${NAME}'`,
    );
    expect(Number(tables[0]?.n)).toBeGreaterThan(10);
    expect(await migrateDatabase(config)).toEqual([]);
  }, 60_000);

  it('refuses, at start, a database name it could not quote safely, in one sentence', () => {
    expect(() => loadControlConfig({ VSNET_MYSQL_URL: `${SERVER_URL}/bad%60name` })).toThrow(
      'VSNET_MYSQL_URL must name the database (letters, digits, _)',
    );
  });
});
