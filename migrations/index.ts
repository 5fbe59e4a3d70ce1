import type { MigrationInterface } from 'typeorm';
import type { DbEngine } from '@vsnet/store';
import { initialSchema } from './1795760000000-initial-schema.js';
import { changePipelineSchema } from './1795800000000-change-pipeline.js';
import { clusterDhcpSchema } from './1795900000000-cluster-dhcp.js';
import { failoverSchema } from './1796000000000-failover.js';

/**
 * Every migration, in order, built for the configured storage engine. TypeORM 1.x takes classes,
 * not file globs; each is a closure over the engine so its DDL says `ENGINE=<engine>`.
 */
export function schemaMigrations(engine: DbEngine): (new () => MigrationInterface)[] {
  return [
    initialSchema(engine),
    changePipelineSchema(engine),
    clusterDhcpSchema(engine),
    failoverSchema(engine),
  ];
}
