import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { AddressEntity } from '../entities/address.entity.js';
import { FilerEntity } from '../entities/filer.entity.js';
import { InterfaceEntity, InterfaceMemberEntity } from '../entities/interface.entity.js';
import { MysqlNodeEntity } from '../entities/mysql-node.entity.js';
import { RouteEntity, RoutingPolicyEntity } from '../entities/routing.entity.js';
import { SiteEntity, SiteSubnetEntity } from '../entities/site.entity.js';
import { FailoverGroupEntryEntity, VsvrEntity } from '../entities/vsvr.entity.js';
import type { DesiredStateRows } from './cluster-rows.mapper.js';

/** Rows per INSERT: one statement each keeps a 5,000-vsvr apply to a few dozen round trips. */
const INSERT_CHUNK = 500;

type Tables = { readonly [K in keyof DesiredStateRows]: EntityTarget<ObjectLiteral> };

/** The table behind each part of the desired state (the `cluster` row is handled apart). */
const TABLES: Tables = {
  filers: FilerEntity,
  interfaces: InterfaceEntity,
  members: InterfaceMemberEntity,
  addresses: AddressEntity,
  vsvrs: VsvrEntity,
  failoverEntries: FailoverGroupEntryEntity,
  policies: RoutingPolicyEntity,
  routes: RouteEntity,
  sites: SiteEntity,
  subnets: SiteSubnetEntity,
  mysqlNodes: MysqlNodeEntity,
};

const PARTS = Object.keys(TABLES) as (keyof DesiredStateRows)[];

/** Reads every desired-state row, each table in id order (which is document order). */
export async function readDesiredState(manager: EntityManager): Promise<DesiredStateRows> {
  const byId = { order: { id: 'ASC' } } as const;
  // One query at a time: inside a transaction they share one connection anyway.
  const filers = await manager.find(FilerEntity, byId);
  const interfaces = await manager.find(InterfaceEntity, byId);
  const members = await manager.find(InterfaceMemberEntity, {
    order: { interfaceId: 'ASC', position: 'ASC' },
  });
  const addresses = await manager.find(AddressEntity, byId);
  const vsvrs = await manager.find(VsvrEntity, byId);
  const failoverEntries = await manager.find(FailoverGroupEntryEntity, {
    order: { vsvrId: 'ASC', position: 'ASC' },
  });
  const policies = await manager.find(RoutingPolicyEntity, byId);
  const routes = await manager.find(RouteEntity, byId);
  const sites = await manager.find(SiteEntity, byId);
  const subnets = await manager.find(SiteSubnetEntity, byId);
  const mysqlNodes = await manager.find(MysqlNodeEntity, byId);
  return {
    filers,
    interfaces,
    members,
    addresses,
    vsvrs,
    failoverEntries,
    policies,
    routes,
    sites,
    subnets,
    mysqlNodes,
  };
}

/**
 * Replaces every desired-state row with `rows`. Must run inside the caller's transaction, with
 * the cluster row locked: DELETE (never TRUNCATE, which is DDL and commits implicitly) then
 * INSERT with the mapper's explicit ids.
 */
export async function replaceDesiredState(
  manager: EntityManager,
  rows: DesiredStateRows,
): Promise<void> {
  for (const part of PARTS) {
    await manager.createQueryBuilder().delete().from(TABLES[part]).execute();
  }
  for (const part of PARTS) {
    const all: readonly ObjectLiteral[] = rows[part];
    for (let start = 0; start < all.length; start += INSERT_CHUNK) {
      await manager
        .createQueryBuilder()
        .insert()
        .into(TABLES[part])
        .values(all.slice(start, start + INSERT_CHUNK))
        .updateEntity(false)
        .execute();
    }
  }
}
