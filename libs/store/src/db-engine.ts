/** Storage engines the schema is written for: InnoDB in development, NDB Cluster in production. */
export type DbEngine = 'InnoDB' | 'NDBCLUSTER';

/**
 * Table options every migration appends to CREATE TABLE. The engine is a setting (docs/ndb.md):
 * the same DDL runs on MariaDB/MySQL with InnoDB and on MySQL NDB Cluster SQL nodes.
 */
export function tableOptions(engine: DbEngine): string {
  return `ENGINE=${engine} DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}
