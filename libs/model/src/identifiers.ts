import type { ClusterAnalysis } from './analyze.js';
import { analyzeCluster } from './analyze.js';
import type { Cluster } from './cluster.js';
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
  const rows: AddressRow[] = [];
  const site = (c: Parameters<SiteIndex['siteOf']>[0]): { site?: string } => {
    const s = sites.siteOf(c);
    return s === undefined ? {} : { site: s };
  };
  for (const v of cluster.vsvrs) {
    for (const a of v.addresses) {
      rows.push({
        identifier: vsvrIdentifier(cluster.mac, a.alias, v.name, a.instance),
        address: formatCidr(a.address),
        ownerKind: 'vsvr',
        owner: v.name,
        alias: a.alias,
        instance: a.instance,
        mode: a.mode,
        ...site(a.address),
      });
    }
  }
  for (const f of cluster.filers) {
    for (const a of f.addresses) {
      rows.push({
        identifier: filerIdentifier(cluster.mac, a.alias, f.name),
        address: formatCidr(a.address),
        ownerKind: 'filer',
        owner: f.name,
        alias: a.alias,
        mode: a.mode,
        ...site(a.address),
      });
    }
  }
  for (const n of cluster.mysqlNodes) {
    for (const a of n.addresses) {
      rows.push({
        identifier: mysqlIdentifier(cluster.mac, a.alias, n.role),
        address: formatCidr(a.address),
        ownerKind: 'mysql',
        owner: n.role,
        alias: a.alias,
        mode: a.mode,
        ...site(a.address),
      });
    }
  }
  return rows;
}

/** The identifier → address worksheet of a cluster (§5.2.6). */
export function addressTable(
  cluster: Cluster,
  analysis: ClusterAnalysis = analyzeCluster(cluster),
): AddressRow[] {
  return buildAddressTable(cluster, analysis.sites);
}
