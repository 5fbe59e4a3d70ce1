import type { Cluster, Interface, Route } from './cluster.js';
import type {
  AddressDocument,
  ClusterDocument,
  InterfaceDocument,
  RouteDocument,
} from './document-types.js';
import { formatCidr } from './ip.js';
import { API_VERSION, DOCUMENT_KIND } from './decode.js';

/**
 * The cluster as a document that `decodeClusterDocument` reads back to the same cluster:
 * what `export` hands out and `apply` accepts unchanged.
 */
export function encodeClusterDocument(cluster: Cluster): ClusterDocument {
  const doc: ClusterDocument = {
    apiVersion: API_VERSION,
    kind: DOCUMENT_KIND,
    cluster: {
      name: cluster.name,
      mac: cluster.mac,
      ...(cluster.defaultRoutingPolicy !== undefined
        ? { defaultRoutingPolicy: cluster.defaultRoutingPolicy }
        : {}),
      ...(cluster.dhcp === 'internal' ? { dhcp: cluster.dhcp } : {}),
    },
    filers: cluster.filers.map((f) => ({
      name: f.name,
      interfaces: f.interfaces.map(encodeInterface),
      ...(f.addresses.length > 0
        ? {
            addresses: f.addresses.map((a): AddressDocument => ({
              alias: a.alias,
              address: formatCidr(a.address),
              ...(a.mode === 'dhcp' ? { mode: a.mode } : {}),
            })),
          }
        : {}),
    })),
  };
  if (cluster.vsvrs.length > 0) {
    doc.vsvrs = cluster.vsvrs.map((v) => ({
      name: v.name,
      ...(v.failoverGroup !== undefined ? { failoverGroup: [...v.failoverGroup] } : {}),
      ...(v.routingPolicy !== undefined ? { routingPolicy: v.routingPolicy } : {}),
      ...(v.routes.length > 0 ? { routes: v.routes.map(encodeRoute) } : {}),
      addresses: v.addresses.map((a) => ({
        alias: a.alias,
        address: formatCidr(a.address),
        instance: a.instance,
        ...(a.mode === 'dhcp' ? { mode: a.mode } : {}),
      })),
      ...(v.failback !== undefined ? { failback: v.failback } : {}),
      ...(v.failbackHoldDown !== undefined ? { failbackHoldDown: v.failbackHoldDown } : {}),
    }));
  }
  if (cluster.mysqlNodes.length > 0) {
    doc.mysqlNodes = cluster.mysqlNodes.map((n) => ({
      role: n.role,
      addresses: n.addresses.map((a) => ({
        alias: a.alias,
        address: formatCidr(a.address),
        ...(a.mode === 'dhcp' ? { mode: a.mode } : {}),
      })),
    }));
  }
  if (cluster.sites.length > 0) {
    doc.sites = cluster.sites.map((s) => ({ name: s.name, subnets: s.subnets.map(formatCidr) }));
  }
  if (cluster.routingPolicies.length > 0) {
    doc.routingPolicies = cluster.routingPolicies.map((p) => ({
      name: p.name,
      ...(p.extends !== undefined ? { extends: p.extends } : {}),
      routes: p.routes.map(encodeRoute),
    }));
  }
  return doc;
}

function encodeInterface(i: Interface): InterfaceDocument {
  return {
    name: i.name,
    ...(i.mac !== undefined ? { mac: i.mac } : {}),
    ...(i.mtu !== undefined ? { mtu: i.mtu } : {}),
    ...(i.members.length > 0 ? { members: [...i.members] } : {}),
    ...(i.kind === 'bond' && i.bondMode !== undefined ? { mode: i.bondMode } : {}),
    ...(i.primary !== undefined ? { primary: i.primary } : {}),
    ...(i.lower !== undefined ? { on: i.lower } : {}),
    ...(i.routingPolicy !== undefined ? { routingPolicy: i.routingPolicy } : {}),
  };
}

function encodeRoute(r: Route): RouteDocument {
  return {
    to: formatCidr(r.to),
    ...(r.via ? { via: r.via.ip } : {}),
    ...(r.alias !== undefined ? { alias: r.alias } : {}),
    ...(r.metric !== undefined ? { metric: r.metric } : {}),
  };
}
