import { describe, expect, it } from '@jest/globals';
import type { DhcpExportOptions } from './dhcp-plan.js';
import { buildDhcpPlan, DhcpExportError } from './dhcp-plan.js';
import { exportDhcp } from './export.js';
import { analyzedLab } from './testing/lab-document.js';

// The server options of `vsnet dhcp export`: where a server listens and serves each subnet,
// the first-boot pools, and where Kea keeps its leases.

const { cluster, analysis } = analyzedLab();
const planWith = (options: DhcpExportOptions) => buildDhcpPlan(cluster, analysis, options);

/** The subnet entry of `prefix` in a Kea configuration, as written (one entry, several lines). */
function keaEntry(text: string, prefix: string): string {
  const at = text.indexOf(`"subnet": "${prefix}"`);
  expect(at).toBeGreaterThan(0);
  return text.slice(text.lastIndexOf('{', at), text.indexOf('"reservations"', at));
}

describe('interfaces', () => {
  it('serves a named subnet on its interface, and the one subnet left of a family on the interface naming none', () => {
    const plan = planWith({
      interfaces: [{ name: 'eth1', subnets: ['2001:db8:1:200::/64', '198.18.5.0/24'] }, 'eth2'],
    });
    const kea6 = exportDhcp(plan, { format: 'kea6' });
    expect(kea6).toContain('"interfaces-config": { "interfaces": [ "eth1", "eth2" ] },');
    expect(keaEntry(kea6, '2001:db8:1:200::/64')).toContain('"interface": "eth1",');
    expect(keaEntry(kea6, '2001:db8:1:100::/64')).toContain('"interface": "eth2",');
    const kea4 = exportDhcp(plan, { format: 'kea4' });
    expect(keaEntry(kea4, '198.18.5.0/24')).toContain('"interface": "eth1",');
    // Four IPv4 subnets are left: which one eth2's link carries is not for the export to guess.
    expect(kea4.match(/"interface": /g)).toHaveLength(1);
    expect(exportDhcp(plan, { format: 'dhcpd6' })).toContain(
      '# Run it with: dhcpd -6 -cf FILE -lf LEASE-FILE eth1 eth2',
    );
  });

  it('leaves the subnets no interface names to relays when several interfaces name none', () => {
    const plan = planWith({
      interfaces: [{ name: 'eth1', subnets: ['2001:db8:1:200::/64'] }, 'eth2', 'eth3'],
    });
    const kea6 = exportDhcp(plan, { format: 'kea6' });
    expect(keaEntry(kea6, '2001:db8:1:200::/64')).toContain('"interface": "eth1",');
    expect(keaEntry(kea6, '2001:db8:1:100::/64')).not.toContain('"interface"');
  });

  it('listens on none and says so when no interface is named', () => {
    const kea4 = exportDhcp(planWith({}), { format: 'kea4' });
    expect(kea4).toContain('"interfaces-config": { "interfaces": [] },');
    expect(kea4).toContain('listens on no interface until one is named');
    expect(kea4).not.toContain('"interface":');
  });

  it.each([
    [
      { interfaces: ['*'] },
      'interfaces[0].name',
      '"*" is not a network interface name; pass one like eth0',
    ],
    [
      { interfaces: [{ name: 'eth1', subnets: ['203.0.113.0/24'] }] },
      'interfaces[0].subnets[0]',
      'eth1 is to serve 203.0.113.0/24, which is not a subnet of the configuration; name one of 192.0.2.0/25',
    ],
    [
      {
        interfaces: [
          { name: 'eth1', subnets: ['192.0.2.0/25'] },
          { name: 'eth2', subnets: ['192.0.2.5/25'] },
        ],
      },
      'interfaces[1].subnets[0]',
      '192.0.2.0/25 is to be served on both eth1 and eth2',
    ],
    [
      { interfaces: [{ name: 'eth1', subnets: ['192.0.2.0/25', '198.18.5.0/24'] }] },
      'interfaces[0].subnets[1]',
      'eth1 is to serve both 192.0.2.0/25 and 198.18.5.0/24, and Kea serves every client on a link from the first subnet of a family named there',
    ],
  ] as const)('refuses %j, naming %s', (options, field, message) => {
    const refusal = (() => {
      try {
        planWith(options);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(DhcpExportError);
    expect((refusal as DhcpExportError).field).toBe(field);
    expect((refusal as DhcpExportError).message).toContain(message);
  });
});

describe('first-boot pools', () => {
  const pools = {
    firstBootPools: [
      { subnet: '192.0.2.0/25', range: '192.0.2.100-192.0.2.120' },
      { subnet: '203.0.113.0/24', range: ' 203.0.113.10 - 203.0.113.19 ' },
    ],
  };

  it('puts a pool into its subnet, and declares a subnet the cluster has no address in', () => {
    const plan = planWith(pools);
    const kea4 = exportDhcp(plan, { format: 'kea4' });
    expect(keaEntry(kea4, '192.0.2.0/25')).toContain(
      '"pools": [ { "pool": "192.0.2.100 - 192.0.2.120" } ],',
    );
    expect(keaEntry(kea4, '203.0.113.0/24')).toContain(
      '"pools": [ { "pool": "203.0.113.10 - 203.0.113.19" } ],',
    );
    const dhcpd = exportDhcp(plan, { format: 'dhcpd' });
    expect(dhcpd).toContain(
      'subnet 192.0.2.0 netmask 255.255.255.128 {\n  option routers 192.0.2.1;\n  range 192.0.2.100 192.0.2.120;\n}',
    );
    expect(dhcpd).toContain(
      'subnet 203.0.113.0 netmask 255.255.255.0 {\n  range 203.0.113.10 203.0.113.19;\n}',
    );
    // First boot is DHCPv4: the IPv6 formats have no pool.
    expect(exportDhcp(plan, { format: 'kea6' })).not.toContain('"pools"');
    expect(exportDhcp(plan, { format: 'kea4', snippet: true })).toContain(
      '"pools": [ { "pool": "192.0.2.100 - 192.0.2.120" } ],',
    );
  });

  it('refuses a dhcpd snippet, which has no subnet declaration to put a range in', () => {
    expect(() => exportDhcp(planWith(pools), { format: 'dhcpd', snippet: true })).toThrow(
      'a dhcpd snippet leaves the subnet declarations, where a range goes, to the server it goes into',
    );
  });

  it.each([
    [
      '192.0.2.0/25',
      '192.0.2.5-192.0.2.15',
      'range',
      'holds 192.0.2.11, the fixed address of mgmt0 of filer1',
    ],
    ['192.0.2.0/25', '192.0.2.100-192.0.2.200', 'range', '192.0.2.200 is outside 192.0.2.0/25'],
    [
      '192.0.2.0/25',
      '192.0.2.0-192.0.2.9',
      'range',
      '192.0.2.0 is the network or broadcast address',
    ],
    ['192.0.2.0/25', '192.0.2.120-192.0.2.100', 'range', 'ends before it starts'],
    ['192.0.2.0/25', '192.0.2.100', 'range', 'is not a range; write it as FIRST-LAST'],
    ['192.0.2.0/25', '2001:db8::1-2001:db8::9', 'range', 'is not an IPv4 address'],
    [
      '192.0.2.0/24',
      '192.0.2.200-192.0.2.210',
      'subnet',
      "192.0.2.0/24 overlaps the cluster's subnet 192.0.2.0/25",
    ],
    ['2001:db8:1:100::/64', '2001:db8:1:100::a-2001:db8:1:100::f', 'subnet', 'is an IPv6 subnet'],
    ['nonsense', '192.0.2.100-192.0.2.120', 'subnet', '"nonsense" is not a subnet'],
  ])('refuses %s=%s in its %s: %s', (subnet, range, field, message) => {
    expect(() => planWith({ firstBootPools: [{ subnet, range }] })).toThrow(message);
    try {
      planWith({ firstBootPools: [{ subnet, range }] });
    } catch (err) {
      expect((err as DhcpExportError).field).toBe(`firstBootPools[0].${field}`);
    }
  });

  it('refuses two pools sharing addresses', () => {
    expect(() =>
      planWith({
        firstBootPools: [
          { subnet: '192.0.2.0/25', range: '192.0.2.100-192.0.2.110' },
          { subnet: '192.0.2.0/25', range: '192.0.2.110-192.0.2.120' },
        ],
      }),
    ).toThrow('192.0.2.110-192.0.2.120 overlaps the pool 192.0.2.100-192.0.2.110');
  });
});

describe('the lease database', () => {
  it('keeps Kea leases (and the DHCPv6 server DUID) in memory only', () => {
    const plan = planWith({ leaseDatabase: { persist: false } });
    const kea4 = exportDhcp(plan, { format: 'kea4' });
    expect(kea4).toContain('"lease-database": { "type": "memfile", "persist": false },');
    expect(kea4).not.toContain('"server-id"');
    expect(exportDhcp(plan, { format: 'kea6' })).toContain(
      '"server-id": { "type": "LLT", "persist": false },',
    );
  });

  it('keeps them in the file named, and the DHCPv6 server DUID beside it', () => {
    const plan = planWith({ leaseDatabase: { persist: true, name: '/srv/kea/leases6.csv' } });
    const kea6 = exportDhcp(plan, { format: 'kea6' });
    expect(kea6).toContain(
      '"lease-database": { "type": "memfile", "name": "/srv/kea/leases6.csv", "lfc-interval": 3600 },',
    );
    expect(kea6).toContain('"data-directory": "/srv/kea",');
  });

  it("leaves Kea's default when not asked", () => {
    expect(exportDhcp(planWith({}), { format: 'kea4' })).toContain(
      '"lease-database": { "type": "memfile", "lfc-interval": 3600 },',
    );
  });

  it.each([
    [{ persist: true, name: 'leases.csv' }, 'is not an absolute path'],
    [{ persist: false, name: '/srv/kea/leases.csv' }, 'leases kept in memory have no file'],
  ])('refuses %j', (leaseDatabase, message) => {
    expect(() => planWith({ leaseDatabase })).toThrow(message);
  });

  it.each([
    [{ format: 'dhcpd' }, 'dhcpd takes its lease file on its command line (dhcpd -lf FILE)'],
    [{ format: 'kea4', snippet: true }, 'the lease file belongs to a full Kea configuration'],
  ] as const)('refuses it for %j', (request, message) => {
    expect(() => exportDhcp(planWith({ leaseDatabase: { persist: false } }), request)).toThrow(
      message,
    );
  });
});

it('refuses the server options for dhclient and the worksheets', () => {
  expect(() => exportDhcp(planWith({ interfaces: ['eth0'] }), { format: 'worksheet' })).toThrow(
    'interfaces, first-boot pools and the lease file configure a DHCP server; leave them out for worksheet',
  );
  expect(() =>
    exportDhcp(planWith({ leaseDatabase: { persist: false } }), {
      format: 'dhclient',
      filer: 'filer1',
    }),
  ).toThrow('leave them out for dhclient');
});
