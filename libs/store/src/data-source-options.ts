import type { DataSourceOptions, MigrationInterface } from 'typeorm';
import { STORE_ENTITIES } from './store-entities.js';

export const MIGRATIONS_TABLE = 'migrations';

export interface StoreConnection {
  /**
   * `mysql://user[:password]@host[:port]/database`, with `?socket=/absolute/path` to reach the
   * server over that unix socket instead of host and port.
   */
  readonly url: string;
  readonly migrations: readonly (new () => MigrationInterface)[];
  /**
   * TypeORM's driver flavour. Both speak mysql2; 'mariadb' only changes how TypeORM reads
   * information_schema (schema comparison). Default 'mysql' (production is MySQL NDB Cluster).
   */
  readonly flavor?: 'mysql' | 'mariadb';
}

/**
 * TypeORM options for the store on MySQL/MariaDB/NDB through mysql2. Never `synchronize`: the
 * schema comes only from the hand-written migrations, which keep NDB's rules (docs/ndb.md).
 */
export function storeDataSourceOptions(connection: StoreConnection): DataSourceOptions {
  return {
    type: connection.flavor ?? 'mysql',
    url: connection.url,
    // TypeORM reads host, port, credentials and database from the URL but drops its query.
    ...mysqlSocket(connection.url),
    entities: STORE_ENTITIES,
    migrations: [...connection.migrations],
    migrationsTableName: MIGRATIONS_TABLE,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    charset: 'utf8mb4_bin',
    // Every DATETIME is UTC: mysql2 writes and reads JS Dates as UTC, and SQL that needs the
    // database's clock says UTC_TIMESTAMP(3), never NOW(3), whose value follows the session's
    // time zone (the server's SYSTEM zone, which mysql2 offers no hook to set per connection).
    timezone: 'Z',
    // Fail fast: /readyz reports an unreachable database instead of boot hanging on it.
    connectTimeout: 5_000,
  };
}

/**
 * `{ socketPath }` when `url` names a unix socket (`?socket=/run/mysqld/mysqld.sock`), for
 * TypeORM and mysql2, which otherwise dial host and port; `{}` when it does not.
 */
export function mysqlSocket(url: string): { readonly socketPath?: string } {
  const socket = new URL(url).searchParams.get('socket');
  return socket === null || socket === '' ? {} : { socketPath: socket };
}
