import type { ClusterDocument } from '@vsnet/model';

type FilerDocument = ClusterDocument['filers'][number];
type InterfaceDocument = FilerDocument['interfaces'][number];
type VsvrDocument = NonNullable<ClusterDocument['vsvrs']>[number];
type AddressDocument = NonNullable<VsvrDocument['addresses']>[number];
type RouteDocument = NonNullable<VsvrDocument['routes']>[number];
type PolicyDocument = NonNullable<ClusterDocument['routingPolicies']>[number];

export interface GenerateOptions {
  readonly filers: number;
  readonly vsvrs: number;
  /** Vsvr addresses in total; the generated cluster has exactly this many. */
  readonly addresses: number;
  readonly seed: number;
}

/**
 * Address plan of a generated cluster. Every vsvr has one IPv4 address in SHARED_V4 on data0,
 * so every gateway of the routing policies (all inside SHARED_V4) is on-link for every vsvr.
 *
 *   mgmt0 (filers, MySQL roles)   10.0.0.0/16      gateway 10.0.0.1
 *   san0  (filers)                10.1.0.0/16      no gateway
 *   data0 (every vsvr, once)      198.18.0.0/16    gateways 198.18.0.1-198.18.0.15
 *   data# (further IPv4)          198.19.0.0/16 as /24s, .1-.254 of each
 *   data# (IPv6)                  2001:db8:<100 + alias number>::/64, gateway ::ffff:0:0:1
 *                                 (own route of every 5th vsvr that has an IPv6 address)
 */
const SHARED_V4 = ipv4(198, 18, 0, 0);
const SHARED_V4_FIRST_HOST = 16;
const OTHER_V4 = ipv4(198, 19, 0, 0);
const MGMT_V4 = ipv4(10, 0, 0, 0);
const SAN_V4 = ipv4(10, 1, 0, 0);
const HOSTS_PER_SLASH_16 = 65534;
const SLASH_24S_PER_SLASH_16 = 256;

const CLUSTER_MAC = '00:07:34:04:12:0e';
const DATA_ALIASES = ['data0', 'data1', 'data2', 'data3', 'data4', 'data5', 'data6', 'data7'];
const GROUP_POLICIES = [undefined, 'group-a', 'group-b', 'group-c'] as const;
const FAILOVER_GROUP_SIZE = 3;
const MYSQL_ROLES = [
  'MySQLMgmtNode',
  'MySQLDataNode1',
  'MySQLDataNode2',
  'MySQLAppNode1',
  'MySQLAppNode2',
];

/**
 * A valid cluster document of the given size, as plain data (as if parsed from YAML): every
 * filer has the same data# aliases with the same VLAN stacks and MTUs, so every vsvr can run
 * on each filer of its failover group. The same options always give the same document.
 */
export function generateClusterDocument(options: GenerateOptions): ClusterDocument {
  const { filers, vsvrs, addresses, seed } = options;
  if (filers < 1 || vsvrs < 0 || (vsvrs === 0 ? addresses !== 0 : addresses < vsvrs)) {
    throw new RangeError(
      `cannot place ${addresses} addresses on ${vsvrs} vsvrs over ${filers} filers: every vsvr needs one`,
    );
  }
  if (vsvrs > HOSTS_PER_SLASH_16 - SHARED_V4_FIRST_HOST || filers > 60000) {
    throw new RangeError(`${vsvrs} vsvrs or ${filers} filers do not fit the address plan`);
  }
  const random = mulberry32(seed);
  const filerNames = Array.from(
    { length: filers },
    (_, k) => `filer${String(k + 1).padStart(3, '0')}`,
  );
  const pools = new AddressPools();
  return {
    apiVersion: 'vsnet/v1',
    kind: 'Cluster',
    cluster: {
      name: `bench-${filers}x${vsvrs}`,
      mac: CLUSTER_MAC,
      defaultRoutingPolicy: 'cluster-default',
    },
    filers: filerNames.map((name, k) => filerDocument(name, k, random)),
    vsvrs: addressCounts(vsvrs, addresses, random).map((count, i) =>
      vsvrDocument(i, count, filerNames, pools, random),
    ),
    mysqlNodes: MYSQL_ROLES.map((role, k) => ({
      role,
      addresses: [{ alias: 'mgmt0', address: `${formatIpv4(MGMT_V4 + 10 + k)}/16` }],
    })),
    sites: [
      { name: 'management', subnets: ['10.0.0.0/16', '10.1.0.0/16'] },
      { name: 'dc-east', subnets: ['198.18.0.0/16', '2001:db8:100::/40'] },
      { name: 'dc-west', subnets: ['198.19.0.0/16'] },
      { name: 'branch', subnets: ['203.0.113.0/24', '2001:db8:ffff::/48'] },
    ],
    routingPolicies: routingPolicies(),
  };
}

function filerDocument(name: string, k: number, random: () => number): FilerDocument {
  const mac = (port: number): string =>
    formatMac([0x02, 0x00, 0x00, (k >> 8) & 0xff, k & 0xff, port]);
  // Which member of each failover interface is primary differs between filers; it changes
  // nothing a vsvr depends on (the VLAN stack and MTU stay the same).
  const swap = random() < 0.5;
  const interfaces: InterfaceDocument[] = [
    { name: 'eth0', mac: mac(0) },
    { name: 'eth1', mac: mac(1) },
    { name: 'eth2', mac: mac(2), mtu: 9000 },
    { name: 'eth3', mac: mac(3), mtu: 9000 },
    { name: 'bond0', members: ['eth2', 'eth3'], mode: '802.3ad' },
    { name: 'bond0.10', mtu: 1500 },
    { name: 'bond0.20' },
    { name: 'bond0.30' },
    { name: 'eth1.30' },
    { name: 'eth0.40' },
    { name: 'eth1.40' },
    { name: 'fail0', members: ['bond0.30', 'eth1.30'], primary: swap ? 'eth1.30' : 'bond0.30' },
    { name: 'fail1', members: ['eth0.40', 'eth1.40'], primary: swap ? 'eth1.40' : 'eth0.40' },
    { name: 'mgmt0', on: 'eth0', routingPolicy: 'mgmt' },
    { name: 'san0', on: 'fail1' },
    { name: 'data0', on: 'bond0.10' },
    { name: 'data1', on: 'bond0.10' },
    { name: 'data2', on: 'bond0.20' },
    { name: 'data3', on: 'bond0.20', mtu: 1500 },
    { name: 'data4', on: 'eth1' },
    { name: 'data5', on: 'eth1' },
    { name: 'data6', on: 'fail0' },
    { name: 'data7', on: 'bond0.20' },
  ];
  return {
    name,
    interfaces,
    addresses: [
      { alias: 'mgmt0', address: `${formatIpv4(MGMT_V4 + 256 + k)}/16` },
      { alias: 'san0', address: `${formatIpv4(SAN_V4 + 256 + k)}/16` },
    ],
  };
}

/**
 * How many addresses each vsvr gets: `addresses / vsvrs` on average, moved by one between
 * neighbours at random, summing to exactly `addresses`, never below one.
 */
function addressCounts(vsvrs: number, addresses: number, random: () => number): number[] {
  const counts = Array.from(
    { length: vsvrs },
    (_, i) => Math.floor((addresses * (i + 1)) / vsvrs) - Math.floor((addresses * i) / vsvrs),
  );
  for (let i = 0; i + 1 < vsvrs; i += 2) {
    const r = random();
    const a = counts[i] ?? 1;
    const b = counts[i + 1] ?? 1;
    if (r < 1 / 3 && b > 1) {
      counts[i] = a + 1;
      counts[i + 1] = b - 1;
    } else if (r < 2 / 3 && a > 1) {
      counts[i] = a - 1;
      counts[i + 1] = b + 1;
    }
  }
  return counts;
}

function vsvrDocument(
  i: number,
  count: number,
  filerNames: readonly string[],
  pools: AddressPools,
  random: () => number,
): VsvrDocument {
  const groupSize = Math.min(FAILOVER_GROUP_SIZE, filerNames.length);
  const failoverGroup = Array.from(
    { length: groupSize },
    (_, k) => filerNames[(i + k) % filerNames.length] ?? '',
  );
  // data0 first (the shared subnet), then up to two more data aliases.
  const aliases = ['data0'];
  const wanted = Math.min(count, 1 + Math.floor(random() * 3));
  while (aliases.length < wanted) {
    const alias = DATA_ALIASES[1 + Math.floor(random() * (DATA_ALIASES.length - 1))] ?? 'data1';
    if (!aliases.includes(alias)) {
      aliases.push(alias);
    }
  }
  const addresses: AddressDocument[] = [{ alias: 'data0', address: pools.shared() }];
  for (let j = 1; j < count; j++) {
    const alias = aliases[j % aliases.length] ?? 'data0';
    addresses.push({ alias, address: random() < 0.5 ? pools.ipv6(alias) : pools.ipv4() });
  }
  const policy = GROUP_POLICIES[i % GROUP_POLICIES.length];
  const routes: RouteDocument[] = [];
  if (i % 10 === 7) {
    routes.push({ to: '198.51.100.0/24', via: '198.18.0.7' });
  }
  // An IPv6 route needs an IPv6 address to leave from, so only a vsvr that has one gets it.
  const v6 = addresses.find((a) => a.address.includes(':'));
  if (i % 5 === 3 && v6) {
    routes.push({
      to: '2001:db8:ffff::/48',
      via: `${v6.address.slice(0, v6.address.indexOf('::'))}::ffff:0:0:1`,
    });
  }
  return {
    name: `vs${String(i + 1).padStart(5, '0')}`,
    failoverGroup,
    ...(policy !== undefined ? { routingPolicy: policy } : {}),
    ...(routes.length > 0 ? { routes } : {}),
    addresses,
  };
}

function routingPolicies(): PolicyDocument[] {
  return [
    {
      name: 'cluster-default',
      routes: [
        { to: 'default', via: '198.18.0.1' },
        { to: '10.0.0.0/8', via: '198.18.0.2' },
      ],
    },
    {
      name: 'group-a',
      extends: 'cluster-default',
      routes: [{ to: '203.0.113.0/24', via: '198.18.0.3' }],
    },
    {
      name: 'group-b',
      extends: 'cluster-default',
      routes: [
        { to: 'default', via: '198.18.0.4', metric: 200 },
        { to: '198.51.100.0/24', alias: 'data0' },
      ],
    },
    {
      name: 'group-c',
      extends: 'group-a',
      routes: [
        { to: '203.0.113.0/24', via: '198.18.0.5' },
        { to: '192.0.2.0/24', via: '198.18.0.6', alias: 'data0' },
      ],
    },
    { name: 'mgmt', routes: [{ to: 'default', via: '10.0.0.1' }] },
  ];
}

/** Hands out unique host addresses, in order, from the plan above. */
class AddressPools {
  private sharedNext = 0;
  private otherV4Next = 0;
  private v6Next = 1;

  shared(): string {
    const n = this.sharedNext++;
    return `${formatIpv4(SHARED_V4 + SHARED_V4_FIRST_HOST + n)}/16`;
  }

  ipv4(): string {
    const n = this.otherV4Next++;
    const subnet = Math.floor(n / 254);
    if (subnet >= SLASH_24S_PER_SLASH_16) {
      throw new RangeError('the generator ran out of IPv4 addresses in 198.19.0.0/16');
    }
    return `${formatIpv4(OTHER_V4 + subnet * 256 + (n % 254) + 1)}/24`;
  }

  /** One counter for every alias, so an address is unique however the aliases are chosen. */
  ipv6(alias: string): string {
    const n = this.v6Next++;
    const block = (0x100 + DATA_ALIASES.indexOf(alias)).toString(16);
    return `2001:db8:${block}::${Math.floor(n / 0x10000).toString(16)}:${(n % 0x10000).toString(16)}/64`;
  }
}

function ipv4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

function formatMac(bytes: readonly number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same sequence. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
