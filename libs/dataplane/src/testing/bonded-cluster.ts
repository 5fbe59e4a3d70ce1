import type { ClusterDocument } from '@vsnet/model';

/**
 * One filer with every device kind the development kernel lacks: two 802.3ad bonds, VLANs on
 * both, a failover interface over the VLANs, a VLAN of an alias (`data0.5`). Addresses only
 * from 198.18.0.0/15 and 2001:db8::/32 (LAB.md).
 */
export function bondedClusterDocument(): ClusterDocument {
  return {
    apiVersion: 'vsnet/v1',
    kind: 'Cluster',
    cluster: { name: 'bonded-lab', mac: '02:00:5e:10:00:02' },
    filers: [
      {
        name: 'filer1',
        interfaces: [
          { name: 'eth0' },
          { name: 'eth1' },
          { name: 'eth2' },
          { name: 'eth3' },
          { name: 'bond0', members: ['eth0', 'eth1'], mode: '802.3ad' },
          { name: 'bond1', members: ['eth2', 'eth3'], mode: 'balance-alb' },
          { name: 'bond0.20' },
          { name: 'bond1.20' },
          { name: 'fail0', members: ['bond0.20', 'bond1.20'], primary: 'bond0.20' },
          { name: 'mgmt0', on: 'bond0' },
          { name: 'data0', on: 'bond1' },
          { name: 'data0.5' },
          { name: 'data1', on: 'fail0' },
        ],
        addresses: [{ alias: 'mgmt0', address: '198.18.0.11/24' }],
      },
    ],
    vsvrs: [
      {
        name: 'tagged',
        addresses: [
          { alias: 'data0.5', address: '198.18.5.21/24' },
          { alias: 'data0.5', address: '2001:db8:0:5::21/64' },
        ],
      },
      {
        name: 'failover',
        addresses: [
          { alias: 'data0', address: '198.18.1.22/24' },
          { alias: 'data1', address: '198.18.2.22/24' },
        ],
      },
    ],
  };
}
