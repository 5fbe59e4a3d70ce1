/**
 * The cluster document as written (YAML or JSON): plain data, before parsing. The field
 * names here are the document's schema; docs/cluster-document.md describes each.
 */
export interface ClusterDocument {
  apiVersion: 'vsnet/v1';
  kind: 'Cluster';
  cluster: {
    name?: string;
    mac: string;
    defaultRoutingPolicy?: string;
    /** `internal` or `external` (the default). */
    dhcp?: string;
  };
  filers: FilerDocument[];
  vsvrs?: VsvrDocument[];
  mysqlNodes?: { role: string; addresses: AddressDocument[] }[];
  sites?: { name: string; subnets: string[] }[];
  routingPolicies?: { name: string; extends?: string; routes?: RouteDocument[] }[];
}

export interface FilerDocument {
  name: string;
  interfaces: InterfaceDocument[];
  addresses?: AddressDocument[];
}

export interface InterfaceDocument {
  name: string;
  mac?: string;
  mtu?: number;
  members?: string[];
  mode?: string;
  primary?: string;
  on?: string;
  routingPolicy?: string;
}

export interface AddressDocument {
  alias: string;
  address: string;
  instance?: number;
  mode?: 'static' | 'dhcp';
}

export interface VsvrDocument {
  name: string;
  failoverGroup?: string[];
  routingPolicy?: string;
  routes?: RouteDocument[];
  addresses?: AddressDocument[];
  /** `manual` (the default) or `auto`. */
  failback?: string;
  /** Seconds, 0–86400 (default 60). */
  failbackHoldDown?: number;
}

export interface RouteDocument {
  to: string;
  via?: string;
  alias?: string;
  metric?: number;
}
