import type { ClusterDocument } from '@vsnet/model';

/**
 * A two-filer cluster for kernel tests; only filer1 is built in the kernel (filer2 exists so
 * that `gamma`, which prefers filer2, is a pre-staged standby copy on filer1). Addresses only
 * from 198.18.0.0/15 and 2001:db8::/32 (LAB.md).
 *
 *   mgmt  198.18.0.0/24  2001:db8:0:1::/64   filer1 mgmt0 .11 / ::11, gateway (client) .1 / ::1
 *   data  198.18.1.0/24  2001:db8:0:2::/64   vsvrs alpha .21, beta .22, gamma .23; client .1/.100
 *   198.19.20.0/24, 2001:db8:20::/64         behind the client (its lo); only alpha routes there
 */
export function smallClusterDocument(): ClusterDocument {
  const filer = (name: string, host: number): ClusterDocument['filers'][number] => ({
    name,
    interfaces: [
      { name: 'eth0' },
      { name: 'eth1' },
      { name: 'mgmt0', on: 'eth0', routingPolicy: 'mgmt' },
      { name: 'data0', on: 'eth1' },
    ],
    addresses: [
      { alias: 'mgmt0', address: `198.18.0.${host}/24` },
      { alias: 'mgmt0', address: `2001:db8:0:1::${host}/64` },
    ],
  });
  return {
    apiVersion: 'vsnet/v1',
    kind: 'Cluster',
    cluster: { name: 'dataplane-lab', mac: '02:00:5e:10:00:01' },
    filers: [filer('filer1', 11), filer('filer2', 12)],
    vsvrs: [
      {
        name: 'alpha',
        failoverGroup: ['filer1', 'filer2'],
        routes: [
          { to: '198.19.20.0/24', via: '198.18.1.1' },
          { to: '2001:db8:20::/64', via: '2001:db8:0:2::1' },
        ],
        addresses: [
          { alias: 'data0', address: '198.18.1.21/24' },
          { alias: 'data0', address: '2001:db8:0:2::21/64' },
        ],
      },
      {
        name: 'beta',
        failoverGroup: ['filer1', 'filer2'],
        addresses: [
          { alias: 'data0', address: '198.18.1.22/24' },
          { alias: 'data0', address: '2001:db8:0:2::22/64' },
        ],
      },
      {
        name: 'gamma',
        failoverGroup: ['filer2', 'filer1'],
        addresses: [{ alias: 'data0', address: '198.18.1.23/24' }],
      },
    ],
    routingPolicies: [
      {
        name: 'mgmt',
        routes: [
          { to: 'default', via: '198.18.0.1' },
          { to: 'default', via: '2001:db8:0:1::1' },
        ],
      },
    ],
  };
}

/** What the client of the kernel tests holds: gateways and a host on each subnet. */
export const SMALL_CLUSTER_CLIENT = {
  eth0: [
    '198.18.0.1/24',
    '198.18.0.100/24',
    '2001:db8:0:1::1/64',
    '198.18.1.1/24',
    '198.18.1.100/24',
    '2001:db8:0:2::1/64',
    '2001:db8:0:2::100/64',
  ],
  lo: ['198.19.20.1/32', '2001:db8:20::1/128'],
} as const;
