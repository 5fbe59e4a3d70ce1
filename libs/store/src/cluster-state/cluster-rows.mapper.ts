import type { Cluster, ClusterDocument, Route } from '@vsnet/model';
import { API_VERSION, DOCUMENT_KIND, formatCidr } from '@vsnet/model';
import type { AddressEntity, AddressOwnerKind } from '../entities/address.entity.js';
import type { ClusterEntity } from '../entities/cluster.entity.js';
import type { FilerEntity } from '../entities/filer.entity.js';
import type { InterfaceEntity, InterfaceMemberEntity } from '../entities/interface.entity.js';
import type { MysqlNodeEntity } from '../entities/mysql-node.entity.js';
import type {
  RouteEntity,
  RouteOwnerKind,
  RoutingPolicyEntity,
} from '../entities/routing.entity.js';
import type { SiteEntity, SiteSubnetEntity } from '../entities/site.entity.js';
import type { FailoverGroupEntryEntity, VsvrEntity } from '../entities/vsvr.entity.js';

/** A route as the document writes it (the model exports the document type, not its parts). */
type RouteDocument = NonNullable<
  NonNullable<ClusterDocument['routingPolicies']>[number]['routes']
>[number];

/**
 * Every desired-state row of a cluster except the `cluster` row itself. Within each table the
 * rows are in document order and ids follow that order, so reading `ORDER BY id` gives the
 * document back in the order it was written.
 */
export interface DesiredStateRows {
  readonly filers: FilerEntity[];
  readonly interfaces: InterfaceEntity[];
  readonly members: InterfaceMemberEntity[];
  readonly addresses: AddressEntity[];
  readonly vsvrs: VsvrEntity[];
  readonly failoverEntries: FailoverGroupEntryEntity[];
  readonly policies: RoutingPolicyEntity[];
  readonly routes: RouteEntity[];
  readonly sites: SiteEntity[];
  readonly subnets: SiteSubnetEntity[];
  readonly mysqlNodes: MysqlNodeEntity[];
}

/** The cluster row's own fields (name, MAC, default policy), without generation and time. */
export type ClusterHead = Pick<
  ClusterEntity,
  'name' | 'clusterMac' | 'defaultRoutingPolicy' | 'dhcp'
>;

export function clusterHead(cluster: Cluster): ClusterHead {
  return {
    name: cluster.name,
    clusterMac: cluster.mac,
    defaultRoutingPolicy: cluster.defaultRoutingPolicy ?? null,
    dhcp: cluster.dhcp ?? null,
  };
}

interface AddressLike {
  readonly alias: string;
  readonly address: { readonly ip: string; readonly prefix: number };
  readonly mode: 'static' | 'dhcp';
  readonly instance?: number;
}

/**
 * Rows for a cluster that `analyzeCluster` found free of errors (so every name it references
 * exists). Ids are numbered from 1 in each table: the rows replace all earlier ones.
 */
export function clusterToRows(cluster: Cluster): DesiredStateRows {
  const rows: DesiredStateRows = {
    filers: [],
    interfaces: [],
    members: [],
    addresses: [],
    vsvrs: [],
    failoverEntries: [],
    policies: [],
    routes: [],
    sites: [],
    subnets: [],
    mysqlNodes: [],
  };
  const address = (kind: AddressOwnerKind, ownerId: number, a: AddressLike): void => {
    rows.addresses.push({
      id: rows.addresses.length + 1,
      ownerKind: kind,
      ownerId,
      alias: a.alias,
      ip: a.address.ip,
      prefixLength: a.address.prefix,
      instance: a.instance ?? null,
      mode: a.mode,
    });
  };
  const route = (kind: RouteOwnerKind, ownerId: number, r: Route): void => {
    rows.routes.push({
      id: rows.routes.length + 1,
      ownerKind: kind,
      ownerId,
      destination: formatCidr(r.to),
      via: r.via?.ip ?? null,
      alias: r.alias ?? null,
      metric: r.metric ?? null,
    });
  };
  const filerIds = new Map<string, number>();
  for (const f of cluster.filers) {
    const filerId = rows.filers.length + 1;
    rows.filers.push({ id: filerId, name: f.name });
    filerIds.set(f.name.toLowerCase(), filerId);
    for (const i of f.interfaces) {
      const interfaceId = rows.interfaces.length + 1;
      rows.interfaces.push({
        id: interfaceId,
        filerId,
        name: i.name,
        kind: i.kind,
        mac: i.mac ?? null,
        mtu: i.mtu ?? null,
        mode: i.kind === 'bond' ? (i.bondMode ?? null) : null,
        primaryMember: i.primary ?? null,
        onInterface: i.lower ?? null,
        routingPolicy: i.routingPolicy ?? null,
      });
      i.members.forEach((memberName, position) =>
        rows.members.push({ interfaceId, position, memberName }),
      );
    }
    f.addresses.forEach((a) => address('filer', filerId, a));
  }
  for (const v of cluster.vsvrs) {
    const vsvrId = rows.vsvrs.length + 1;
    rows.vsvrs.push({
      id: vsvrId,
      name: v.name,
      routingPolicy: v.routingPolicy ?? null,
      failback: v.failback ?? null,
      failbackHoldDown: v.failbackHoldDown ?? null,
    });
    (v.failoverGroup ?? []).forEach((name, position) => {
      const filerId = filerIds.get(name.toLowerCase());
      if (filerId === undefined) {
        throw new Error(`vsvr ${v.name}'s failover group names ${name}, which is no filer`);
      }
      rows.failoverEntries.push({ vsvrId, position, filerId });
    });
    v.routes.forEach((r) => route('vsvr', vsvrId, r));
    v.addresses.forEach((a) => address('vsvr', vsvrId, a));
  }
  for (const n of cluster.mysqlNodes) {
    const nodeId = rows.mysqlNodes.length + 1;
    rows.mysqlNodes.push({ id: nodeId, role: n.role });
    n.addresses.forEach((a) => address('mysql_node', nodeId, a));
  }
  for (const s of cluster.sites) {
    const siteId = rows.sites.length + 1;
    rows.sites.push({ id: siteId, name: s.name });
    for (const subnet of s.subnets) {
      rows.subnets.push({ id: rows.subnets.length + 1, siteId, subnet: formatCidr(subnet) });
    }
  }
  for (const p of cluster.routingPolicies) {
    const policyId = rows.policies.length + 1;
    rows.policies.push({ id: policyId, name: p.name, extendsPolicy: p.extends ?? null });
    p.routes.forEach((r) => route('policy', policyId, r));
  }
  return rows;
}

/** The stored cluster as a document; `decodeClusterDocument` turns it into the domain model. */
export function rowsToDocument(head: ClusterHead, rows: DesiredStateRows): ClusterDocument {
  const membersOf = groupBy(rows.members, (m) => m.interfaceId);
  const interfacesOf = groupBy(rows.interfaces, (i) => i.filerId);
  const addressesOf = groupBy(rows.addresses, (a) => `${a.ownerKind}/${a.ownerId}`);
  const routesOf = groupBy(rows.routes, (r) => `${r.ownerKind}/${r.ownerId}`);
  const groupOf = groupBy(rows.failoverEntries, (e) => e.vsvrId);
  const subnetsOf = groupBy(rows.subnets, (s) => s.siteId);
  const filerNames = new Map(rows.filers.map((f) => [f.id, f.name]));
  const addresses = (kind: AddressOwnerKind, id: number) =>
    (addressesOf.get(`${kind}/${id}`) ?? []).map((a) => ({
      alias: a.alias,
      address: `${a.ip}/${a.prefixLength}`,
      ...(a.instance !== null ? { instance: a.instance } : {}),
      mode: a.mode,
    }));
  const routes = (kind: RouteOwnerKind, id: number): RouteDocument[] =>
    (routesOf.get(`${kind}/${id}`) ?? []).map((r) => ({
      to: r.destination,
      ...(r.via !== null ? { via: r.via } : {}),
      ...(r.alias !== null ? { alias: r.alias } : {}),
      ...(r.metric !== null ? { metric: r.metric } : {}),
    }));
  return {
    apiVersion: API_VERSION,
    kind: DOCUMENT_KIND,
    cluster: {
      name: head.name,
      mac: head.clusterMac,
      ...(head.defaultRoutingPolicy !== null
        ? { defaultRoutingPolicy: head.defaultRoutingPolicy }
        : {}),
      ...(head.dhcp !== null ? { dhcp: head.dhcp } : {}),
    },
    filers: rows.filers.map((f) => ({
      name: f.name,
      interfaces: (interfacesOf.get(f.id) ?? []).map((i) => {
        const members = (membersOf.get(i.id) ?? [])
          .sort((a, b) => a.position - b.position)
          .map((m) => m.memberName);
        return {
          name: i.name,
          ...(i.mac !== null ? { mac: i.mac } : {}),
          ...(i.mtu !== null ? { mtu: i.mtu } : {}),
          ...(members.length > 0 ? { members } : {}),
          ...(i.mode !== null ? { mode: i.mode } : {}),
          ...(i.primaryMember !== null ? { primary: i.primaryMember } : {}),
          ...(i.onInterface !== null ? { on: i.onInterface } : {}),
          ...(i.routingPolicy !== null ? { routingPolicy: i.routingPolicy } : {}),
        };
      }),
      addresses: addresses('filer', f.id),
    })),
    vsvrs: rows.vsvrs.map((v) => {
      const group = (groupOf.get(v.id) ?? [])
        .sort((a, b) => a.position - b.position)
        .map((e) => filerNames.get(e.filerId) ?? `#${e.filerId}`);
      const own = routes('vsvr', v.id);
      return {
        name: v.name,
        ...(group.length > 0 ? { failoverGroup: group } : {}),
        ...(v.routingPolicy !== null ? { routingPolicy: v.routingPolicy } : {}),
        ...(own.length > 0 ? { routes: own } : {}),
        addresses: addresses('vsvr', v.id),
        ...(v.failback !== null ? { failback: v.failback } : {}),
        ...(v.failbackHoldDown !== null ? { failbackHoldDown: v.failbackHoldDown } : {}),
      };
    }),
    mysqlNodes: rows.mysqlNodes.map((n) => ({
      role: n.role,
      addresses: addresses('mysql_node', n.id),
    })),
    sites: rows.sites.map((s) => ({
      name: s.name,
      subnets: (subnetsOf.get(s.id) ?? []).map((x) => x.subnet),
    })),
    routingPolicies: rows.policies.map((p) => ({
      name: p.name,
      ...(p.extendsPolicy !== null ? { extends: p.extendsPolicy } : {}),
      routes: routes('policy', p.id),
    })),
  };
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) {
      list.push(item);
    } else {
      out.set(k, [item]);
    }
  }
  return out;
}
