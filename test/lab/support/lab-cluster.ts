import type { ClusterDocument, NodeSpec } from '@vsnet/model';
import {
  analyzeCluster,
  compileNodeSpec,
  contains,
  decodeClusterDocument,
  parseCidr,
} from '@vsnet/model';
import type { LabDescription } from '../../../deploy/lab/src/lab-description.js';

type FilerDocument = ClusterDocument['filers'][number];
type VsvrDocument = NonNullable<ClusterDocument['vsvrs']>[number];

/**
 * The multi-filer lab of the agent tests, and the cluster document that matches its cabling.
 * Addresses only from 198.18.0.0/15 and 2001:db8::/32 (LAB.md).
 *
 *   segment  subnets                                   who is plugged in
 *   mgmt     198.18.0.0/24   2001:db8:0:1::/64          filer1 eth0, filer2 eth0, client cm
 *   data0    198.18.10.0/24  2001:db8:0:10::/64         filer1 eth1, filer2 eth1, filer3 eth0, client c0
 *            198.18.3.0/24   2001:db8:0:3::/64          (filer3's management, on its only port)
 *            198.18.20.0/24                             (filer3's iSCSI back end, same port)
 *   data1    198.18.11.0/24  2001:db8:0:11::/64         filer1 eth2, filer2 eth2, client c1
 *
 * filer3 is the single-interface filer of §3.1.1: mgmt0, san0 and data0 all on eth0.
 */
export const CLIENTS = {
  mgmt: 'cm',
  data0: 'c0',
  data1: 'c1',
} as const;

export function agentsLabDescription(prefix: string): LabDescription {
  const threePorts = [
    { eth: 'eth0', segment: 'mgmt' },
    { eth: 'eth1', segment: 'data0' },
    { eth: 'eth2', segment: 'data1' },
  ];
  return {
    prefix,
    segments: ['mgmt', 'data0', 'data1'],
    filers: [
      { name: 'filer1', ports: threePorts },
      { name: 'filer2', ports: threePorts },
      { name: 'filer3', ports: [{ eth: 'eth0', segment: 'data0' }] },
    ],
    clients: [
      {
        name: CLIENTS.mgmt,
        segment: 'mgmt',
        addresses: ['198.18.0.100/24', '2001:db8:0:1::100/64'],
      },
      {
        name: CLIENTS.data0,
        segment: 'data0',
        addresses: [
          '198.18.10.100/24',
          '2001:db8:0:10::100/64',
          '198.18.3.100/24',
          '2001:db8:0:3::100/64',
          '198.18.20.100/24',
        ],
      },
      {
        name: CLIENTS.data1,
        segment: 'data1',
        addresses: ['198.18.11.100/24', '2001:db8:0:11::100/64'],
      },
    ],
  };
}

/** A filer with a port per segment: mgmt0 on eth0, data0 on eth1, data1 on eth2. */
export function threePortFiler(
  name: string,
  host: number,
  overrides: Partial<FilerDocument> = {},
): FilerDocument {
  return {
    name,
    interfaces: [
      { name: 'eth0' },
      { name: 'eth1' },
      { name: 'eth2' },
      { name: 'mgmt0', on: 'eth0', routingPolicy: 'mgmt' },
      { name: 'data0', on: 'eth1' },
      { name: 'data1', on: 'eth2' },
    ],
    addresses: [
      { alias: 'mgmt0', address: `198.18.0.${host}/24` },
      { alias: 'mgmt0', address: `2001:db8:0:1::${host}/64` },
    ],
    ...overrides,
  };
}

/** The single-interface filer (§3.1.1): mgmt0, san0 and data0 on eth0. */
export function singlePortFiler(
  name: string,
  host: number,
  overrides: Partial<FilerDocument> = {},
): FilerDocument {
  return {
    name,
    interfaces: [
      { name: 'eth0' },
      { name: 'mgmt0', on: 'eth0' },
      { name: 'san0', on: 'eth0' },
      { name: 'data0', on: 'eth0' },
    ],
    addresses: [
      { alias: 'mgmt0', address: `198.18.3.${host}/24` },
      { alias: 'mgmt0', address: `2001:db8:0:3::${host}/64` },
      { alias: 'san0', address: `198.18.20.${host}/24` },
    ],
    ...overrides,
  };
}

export function vsvr(name: string, overrides: Partial<VsvrDocument> = {}): VsvrDocument {
  return { name, addresses: [], ...overrides };
}

/**
 * The lab's cluster: four dual-stack vsvrs. On filer1 run `sales` (data0) and `eng` (data0 and
 * data1); on filer2 `web` (data1); on filer3 `legacy` (two IPv4 addresses on data0, §5.2.3).
 * Every vsvr is pre-staged on the other filers of its failover group.
 */
export function labCluster(overrides: Partial<ClusterDocument> = {}): ClusterDocument {
  return {
    apiVersion: 'vsnet/v1',
    kind: 'Cluster',
    cluster: { name: 'lab', mac: '00:00:5e:00:53:01', defaultRoutingPolicy: 'clients' },
    filers: [
      threePortFiler('filer1', 11),
      threePortFiler('filer2', 12),
      singlePortFiler('filer3', 13),
    ],
    vsvrs: [
      vsvr('sales', {
        failoverGroup: ['filer1', 'filer2', 'filer3'],
        addresses: [
          { alias: 'data0', address: '198.18.10.21/24' },
          { alias: 'data0', address: '2001:db8:0:10::21/64' },
        ],
      }),
      vsvr('eng', {
        failoverGroup: ['filer1', 'filer2'],
        addresses: [
          { alias: 'data0', address: '198.18.10.41/24' },
          { alias: 'data0', address: '2001:db8:0:10::41/64' },
          { alias: 'data1', address: '198.18.11.41/24' },
          { alias: 'data1', address: '2001:db8:0:11::41/64' },
        ],
      }),
      vsvr('legacy', {
        failoverGroup: ['filer3', 'filer1'],
        addresses: [
          { alias: 'data0', address: '198.18.10.31/24' },
          { alias: 'data0', address: '198.18.10.32/24' },
          { alias: 'data0', address: '2001:db8:0:10::31/64' },
        ],
      }),
      vsvr('web', {
        failoverGroup: ['filer2', 'filer1'],
        routingPolicy: 'data1-only',
        addresses: [
          { alias: 'data1', address: '198.18.11.51/24' },
          { alias: 'data1', address: '2001:db8:0:11::51/64' },
        ],
      }),
    ],
    routingPolicies: [
      {
        name: 'mgmt',
        routes: [
          { to: 'default', via: '198.18.0.1' },
          { to: 'default', via: '2001:db8:0:1::1' },
        ],
      },
      {
        name: 'clients',
        routes: [
          { to: 'default', via: '198.18.10.1' },
          { to: 'default', via: '2001:db8:0:10::1' },
        ],
      },
      {
        name: 'data1-only',
        routes: [
          { to: 'default', via: '198.18.11.1' },
          { to: 'default', via: '2001:db8:0:11::1' },
        ],
      },
    ],
    ...overrides,
  };
}

/** Every filer's spec of a document, by filer name; throws with the problems if it has errors. */
export function compileLab(doc: ClusterDocument): Map<string, NodeSpec> {
  const decoded = decodeClusterDocument(doc);
  const analysis = analyzeCluster(decoded.cluster);
  const errors = [...decoded.problems, ...analysis.problems].filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    throw new Error(
      `the lab cluster has errors:\n${errors.map((e) => `  ${e.message}`).join('\n')}`,
    );
  }
  return new Map(
    decoded.cluster.filers.map((f) => [f.name, compileNodeSpec(decoded.cluster, f.name, analysis)]),
  );
}

/** The bare address of `ip/prefix`. */
export function bare(address: string): string {
  return address.slice(0, address.indexOf('/'));
}

/** The client of the lab whose own subnet holds `address` (the one that reaches it on-link). */
export function clientFor(description: LabDescription, address: string): string {
  const target = parseCidr(address);
  for (const c of description.clients) {
    for (const own of c.addresses) {
      const mine = parseCidr(own);
      if (target.ok && mine.ok && contains(mine.value, target.value)) {
        return c.name;
      }
    }
  }
  throw new Error(`no client of the lab is on the subnet of ${address}`);
}
