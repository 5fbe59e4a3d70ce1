import type { ClusterAnalysis } from './analyze.js';
import { analyzeCluster } from './analyze.js';
import type { AddressMode, Cluster } from './cluster.js';
import type { Cidr } from './ip.js';
import { formatCidr } from './ip.js';
import type { AddressRow } from './spec-types.js';
import type { SiteIndex } from './sites.js';

/**
 * The DHCP identifier rule (§5.2.6.3, §5.11). Every address is a fixed DHCP address whose
 * client identifier is known before the filers arrive; all of them start with the cluster MAC,
 * so changing the cluster MAC changes every identifier.
 */
export function vsvrIdentifier(
  clusterMac: string,
  alias: string,
  vsvr: string,
  instance: number,
): string {
  return `${clusterMac}:${alias}:${vsvr}:${instance}`;
}

export function filerIdentifier(clusterMac: string, alias: string, filer: string): string {
  return `${clusterMac}:${alias}:${filer}`;
}

export function mysqlIdentifier(clusterMac: string, alias: string, role: string): string {
  return `${clusterMac}:${alias}:${role}`;
}

/** The worksheet (§5.2.6): every address of the cluster with its identifier, in document order. */
export function buildAddressTable(cluster: Cluster, sites: SiteIndex): AddressRow[] {
  const row = (
    ownerKind: AddressRow['ownerKind'],
    owner: string,
    identifier: string,
    a: { alias: string; address: Cidr; mode: AddressMode; instance?: number },
  ): AddressRow => {
    const site = sites.siteOf(a.address);
    return {
      identifier,
      address: formatCidr(a.address),
      ownerKind,
      owner,
      alias: a.alias,
      ...(a.instance !== undefined ? { instance: a.instance } : {}),
      mode: a.mode,
      ...(site !== undefined ? { site } : {}),
    };
  };
  const mac = cluster.mac;
  return [
    ...cluster.vsvrs.flatMap((v) =>
      v.addresses.map((a) =>
        row('vsvr', v.name, vsvrIdentifier(mac, a.alias, v.name, a.instance), a),
      ),
    ),
    ...cluster.filers.flatMap((f) =>
      f.addresses.map((a) => row('filer', f.name, filerIdentifier(mac, a.alias, f.name), a)),
    ),
    ...cluster.mysqlNodes.flatMap((n) =>
      n.addresses.map((a) => row('mysql', n.role, mysqlIdentifier(mac, a.alias, n.role), a)),
    ),
  ];
}

/** The identifier → address worksheet of a cluster (§5.2.6). */
export function addressTable(
  cluster: Cluster,
  analysis: ClusterAnalysis = analyzeCluster(cluster),
): AddressRow[] {
  return buildAddressTable(cluster, analysis.sites);
}
