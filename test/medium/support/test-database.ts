import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';

/** The server the medium tests use; each test makes its own database on it. */
const SERVER_URL = 'mysql://root@127.0.0.1:3306';

export interface TestDatabase {
  readonly name: string;
  /** `mysql://…/<name>`, for VSNET_MYSQL_URL. */
  readonly url: string;
  drop(): Promise<void>;
}

/** Creates a fresh, empty database with a name of its own; `drop` removes it. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `vsnet_t_${label}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await createConnection(SERVER_URL);
  try {
    await admin.query(`CREATE DATABASE \`${name}\``);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: `${SERVER_URL}/${name}`,
    async drop() {
      const conn = await createConnection(SERVER_URL);
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await conn.end();
      }
    },
  };
}

/** Whether the server behind `url` is MariaDB (whose information_schema TypeORM reads differently). */
export async function isMariaDb(url: string): Promise<boolean> {
  const conn = await createConnection(url);
  try {
    const [rows] = await conn.query('SELECT VERSION() AS version');
    const version = (rows as { version?: unknown }[])[0]?.version;
    return typeof version === 'string' && /mariadb/i.test(version);
  } finally {
    await conn.end();
  }
}
