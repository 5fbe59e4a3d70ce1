import type { ClusterDocument, FilerDocument, VsvrDocument } from '../document-types.js';

/**
 * Fixture builders for tests: a small valid cluster that each test bends in one place, so a
 * test shows exactly the mistake it is about.
 */
export const TEST_CLUSTER_MAC = '00:07:34:04:12:0E';

export function filerDoc(name: string, overrides: Partial<FilerDocument> = {}): FilerDocument {
  return {
    name,
    interfaces: [
      { name: 'eth0' },
      { name: 'eth1' },
      { name: 'mgmt0', on: 'eth0' },
      { name: 'data0', on: 'eth1' },
    ],
    addresses: [],
    ...overrides,
  };
}

export function vsvrDoc(name: string, overrides: Partial<VsvrDocument> = {}): VsvrDocument {
  return { name, addresses: [], ...overrides };
}

export function clusterDoc(overrides: Partial<ClusterDocument> = {}): ClusterDocument {
  return {
    apiVersion: 'vsnet/v1',
    kind: 'Cluster',
    cluster: { name: 'test', mac: TEST_CLUSTER_MAC },
    filers: [
      filerDoc('filer1', { addresses: [{ alias: 'mgmt0', address: '192.0.2.11/24' }] }),
      filerDoc('filer2', { addresses: [{ alias: 'mgmt0', address: '192.0.2.12/24' }] }),
    ],
    vsvrs: [
      vsvrDoc('vs1', {
        failoverGroup: ['filer1', 'filer2'],
        addresses: [{ alias: 'data0', address: '198.51.100.10/24' }],
      }),
    ],
    ...overrides,
  };
}
