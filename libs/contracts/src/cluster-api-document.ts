import type { ClusterDocument } from '@vsnet/model';
import type { AddressDocument__Output as WireAddress } from './generated/vsnet/v1/AddressDocument.js';
import type {
  ClusterDocument as ClusterDocumentMessage,
  ClusterDocument__Output as ClusterDocumentMessage__Output,
} from './generated/vsnet/v1/ClusterDocument.js';
import type {
  FilerDocument as WireFilerMessage,
  FilerDocument__Output as WireFiler,
} from './generated/vsnet/v1/FilerDocument.js';
import type {
  InterfaceDocument as WireInterfaceMessage,
  InterfaceDocument__Output as WireInterface,
} from './generated/vsnet/v1/InterfaceDocument.js';
import type { RouteDocument__Output as WireRoute } from './generated/vsnet/v1/RouteDocument.js';
import type { RoutingPolicyDocument as WireRoutingPolicyMessage } from './generated/vsnet/v1/RoutingPolicyDocument.js';
import type {
  VsvrDocument as WireVsvrMessage,
  VsvrDocument__Output as WireVsvr,
} from './generated/vsnet/v1/VsvrDocument.js';
import { opt } from './wire-codec.js';

type FilerDocument = ClusterDocument['filers'][number];
type InterfaceDocument = FilerDocument['interfaces'][number];
type AddressDocument = NonNullable<FilerDocument['addresses']>[number];
type VsvrDocument = NonNullable<ClusterDocument['vsvrs']>[number];
type RouteDocument = NonNullable<VsvrDocument['routes']>[number];
type RoutingPolicyDocument = NonNullable<ClusterDocument['routingPolicies']>[number];

// The cluster document ⇄ vsnet.v1.ClusterDocument. Values pass as written (the model parses and
// checks them and reports problems at their document paths); only presence is translated. Lists
// the model treats as optional come back only when non-empty, the way encodeClusterDocument
// writes them, so Export → wire → document is exactly what the model encoded, and a document
// written that way (deploy/examples/lab-cluster.yaml) round-trips unchanged.

/** A cluster document as the wire message (Apply's `document`, Export's answer). */
export function clusterDocumentToWire(doc: ClusterDocument): ClusterDocumentMessage {
  return {
    apiVersion: doc.apiVersion,
    kind: doc.kind,
    cluster: { ...doc.cluster },
    filers: doc.filers.map(filerToWire),
    vsvrs: (doc.vsvrs ?? []).map(vsvrToWire),
    mysqlNodes: doc.mysqlNodes ?? [],
    sites: doc.sites ?? [],
    routingPolicies: (doc.routingPolicies ?? []).map(routingPolicyToWire),
  };
}

/** One filer of a document as vsnet.v1.FilerDocument. */
export function filerToWire(f: FilerDocument): WireFilerMessage {
  return {
    name: f.name,
    interfaces: f.interfaces.map(interfaceToWire),
    addresses: f.addresses ?? [],
  };
}

/** One interface of a document as vsnet.v1.InterfaceDocument. */
export function interfaceToWire(i: InterfaceDocument): WireInterfaceMessage {
  return { ...i, members: i.members ?? [] };
}

/** One vsvr of a document as vsnet.v1.VsvrDocument. */
export function vsvrToWire(v: VsvrDocument): WireVsvrMessage {
  return {
    name: v.name,
    ...(v.failoverGroup !== undefined ? { failoverGroup: { filers: v.failoverGroup } } : {}),
    ...opt('routingPolicy', v.routingPolicy),
    routes: v.routes ?? [],
    addresses: v.addresses ?? [],
    ...opt('failback', v.failback),
    ...opt('failbackHoldDown', v.failbackHoldDown),
  };
}

/** One routing policy of a document as vsnet.v1.RoutingPolicyDocument. */
export function routingPolicyToWire(p: RoutingPolicyDocument): WireRoutingPolicyMessage {
  return { ...p, routes: p.routes ?? [] };
}

/**
 * The wire message as a cluster document, for decodeClusterDocument. `apiVersion` and `kind`
 * are passed as received: the model refuses a wrong one at its path, like any other value.
 */
export function clusterDocumentFromWire(wire: ClusterDocumentMessage__Output): ClusterDocument {
  const cluster = wire.cluster;
  const doc = {
    apiVersion: wire.apiVersion,
    kind: wire.kind,
    cluster: {
      ...opt('name', cluster?.name),
      mac: cluster?.mac ?? '',
      ...opt('defaultRoutingPolicy', cluster?.defaultRoutingPolicy),
      ...opt('dhcp', cluster?.dhcp),
    },
    filers: wire.filers.map(filerFromWire),
    ...nonEmpty('vsvrs', wire.vsvrs.map(vsvrFromWire)),
    ...nonEmpty(
      'mysqlNodes',
      wire.mysqlNodes.map((n) => ({ role: n.role, addresses: n.addresses.map(addressFromWire) })),
    ),
    ...nonEmpty(
      'sites',
      wire.sites.map((s) => ({ name: s.name, subnets: [...s.subnets] })),
    ),
    ...nonEmpty(
      'routingPolicies',
      wire.routingPolicies.map((p) => ({
        name: p.name,
        ...opt('extends', p.extends),
        routes: p.routes.map(routeFromWire),
      })),
    ),
  };
  // The literal fields are checked by the model, not here (see above).
  return doc as ClusterDocument;
}

/** The wire message as its part of a cluster document (values as written). */
export function filerFromWire(f: WireFiler): FilerDocument {
  return {
    name: f.name,
    interfaces: f.interfaces.map(interfaceFromWire),
    ...nonEmpty('addresses', f.addresses.map(addressFromWire)),
  };
}

/** The wire message as its part of a cluster document (values as written). */
export function interfaceFromWire(i: WireInterface): InterfaceDocument {
  return {
    name: i.name,
    ...opt('mac', i.mac),
    ...opt('mtu', i.mtu),
    ...nonEmpty('members', [...i.members]),
    ...opt('mode', i.mode),
    ...opt('primary', i.primary),
    ...opt('on', i.on),
    ...opt('routingPolicy', i.routingPolicy),
  };
}

/** The wire message as its part of a cluster document (values as written). */
export function vsvrFromWire(v: WireVsvr): VsvrDocument {
  return {
    name: v.name,
    ...(v.failoverGroup ? { failoverGroup: [...v.failoverGroup.filers] } : {}),
    ...opt('routingPolicy', v.routingPolicy),
    ...nonEmpty('routes', v.routes.map(routeFromWire)),
    addresses: v.addresses.map(addressFromWire),
    ...opt('failback', v.failback),
    ...opt('failbackHoldDown', v.failbackHoldDown),
  };
}

/** The wire message as its part of a cluster document (values as written). */
export function addressFromWire(a: WireAddress): AddressDocument {
  return {
    alias: a.alias,
    address: a.address,
    ...opt('instance', a.instance),
    // Passed as written; the model refuses anything but static or dhcp at its path.
    ...opt('mode', a.mode as AddressDocument['mode']),
  };
}

/** The wire message as its part of a cluster document (values as written). */
export function routeFromWire(r: WireRoute): RouteDocument {
  return {
    to: r.to,
    ...opt('via', r.via),
    ...opt('alias', r.alias),
    ...opt('metric', r.metric),
  };
}

function nonEmpty<K extends string, V>(key: K, list: V[]): { [P in K]?: V[] } {
  return opt(key, list.length > 0 ? list : undefined);
}
