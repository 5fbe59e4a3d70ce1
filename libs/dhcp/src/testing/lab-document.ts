import { analyzeCluster, decodeClusterDocument } from '@vsnet/model';
import type { Cluster, ClusterAnalysis } from '@vsnet/model';

/**
 * A small cluster with every kind of stack the vendor options encode: bonds of two modes, a
 * failover interface over tagged bonds with a primary, VLANs, a VLAN of an alias, jumbo MTUs,
 * IPv6, MySQL roles and a default route per subnet. The shape of deploy/examples/lab-cluster.yaml.
 */
export const LAB_DOCUMENT = {
  apiVersion: 'vsnet/v1',
  kind: 'Cluster',
  cluster: { name: 'lab', mac: '00:00:5E:00:53:01', defaultRoutingPolicy: 'cluster-default' },
  filers: [
    {
      name: 'filer1',
      interfaces: [
        { name: 'eth0', mac: '00:00:5e:00:53:10' },
        { name: 'eth1', mac: '00:00:5e:00:53:11', mtu: 9000 },
        { name: 'eth2', mac: '00:00:5e:00:53:12', mtu: 9000 },
        { name: 'eth3', mac: '00:00:5e:00:53:13', mtu: 9000 },
        { name: 'eth4', mac: '00:00:5e:00:53:14', mtu: 9000 },
        { name: 'bond0', members: ['eth1', 'eth2'], mode: '802.3ad' },
        { name: 'bond1', members: ['eth3', 'eth4'], mode: 'balance-alb' },
        { name: 'bond0.20' },
        { name: 'bond1.20' },
        { name: 'bond1.100' },
        { name: 'fail0', members: ['bond0.20', 'bond1.20'], primary: 'bond1.20' },
        { name: 'mgmt0', on: 'eth0', routingPolicy: 'mgmt' },
        { name: 'mgmt1', on: 'bond1.100', mtu: 1500 },
        { name: 'data0', on: 'bond0' },
        { name: 'data0.5' },
        { name: 'data1', on: 'fail0' },
        { name: 'san0', on: 'bond1' },
      ],
      addresses: [
        { alias: 'mgmt0', address: '192.0.2.11/25' },
        { alias: 'mgmt0', address: '2001:db8:1:200::11/64' },
        { alias: 'mgmt1', address: '192.0.2.139/25' },
        { alias: 'san0', address: '198.18.200.11/24', mode: 'dhcp' },
      ],
    },
    {
      name: 'filer2',
      interfaces: [
        { name: 'eth0', mac: '00:00:5e:00:53:20', mtu: 9000 },
        { name: 'mgmt0', on: 'eth0', mtu: 1500, routingPolicy: 'mgmt' },
        { name: 'data0', on: 'eth0' },
        { name: 'san0', on: 'eth0' },
      ],
      addresses: [
        { alias: 'mgmt0', address: '192.0.2.12/25' },
        { alias: 'san0', address: '198.18.200.12/24' },
      ],
    },
  ],
  vsvrs: [
    {
      name: 'sales',
      failoverGroup: ['filer1', 'filer2'],
      addresses: [
        { alias: 'data0', address: '198.51.100.21/24' },
        { alias: 'data0', address: '198.51.100.22/24' },
        { alias: 'data0', address: '2001:db8:1:100::21/64' },
      ],
    },
    {
      name: 'archive',
      failoverGroup: ['filer1'],
      routingPolicy: 'archive',
      addresses: [{ alias: 'data0.5', address: '198.18.5.51/24' }],
    },
  ],
  mysqlNodes: [
    { role: 'MySQLMgmtNode', addresses: [{ alias: 'mgmt0', address: '192.0.2.20/25' }] },
  ],
  routingPolicies: [
    { name: 'mgmt', routes: [{ to: 'default', via: '192.0.2.1' }] },
    { name: 'archive', routes: [{ to: 'default', via: '198.18.5.1' }] },
    {
      name: 'cluster-default',
      routes: [
        { to: 'default', via: '198.51.100.1' },
        { to: 'default', via: '2001:db8:1:100::1' },
      ],
    },
  ],
};

/** A document decoded and analyzed; throws when it has errors, since tests build on it. */
export function analyzedLab(doc: unknown = LAB_DOCUMENT): {
  cluster: Cluster;
  analysis: ClusterAnalysis;
} {
  const decoded = decodeClusterDocument(doc);
  const analysis = analyzeCluster(decoded.cluster);
  const errors = [...decoded.problems, ...analysis.problems].filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`test document has errors: ${errors.map((p) => p.message).join('; ')}`);
  }
  return { cluster: decoded.cluster, analysis };
}
