import { describe, expect, it } from '@jest/globals';
import type { NodeSpec } from '@vsnet/model';
import {
  dhcpClientsFor,
  dhcpLeaseStatuses,
  plumbable,
  vsvrDhcpClientsFor,
} from './dhcp-addresses.js';
import type { Lease } from './lease-report.js';
import { parseLeaseReport } from './lease-report.js';

const SPEC: NodeSpec = {
  specVersion: 1,
  cluster: { name: 'lab', mac: '00:00:5e:00:53:01' },
  filer: 'filer1',
  links: [{ name: 'eth0', kind: 'physical', mtu: 1500 }],
  aliases: [{ name: 'mgmt0', kind: 'mgmt', lower: 'eth0', mtu: 1500 }],
  addresses: [
    {
      alias: 'mgmt0',
      address: '198.18.0.11/24',
      mode: 'dhcp',
      identifier: 'id-m0',
      table: 1_000_000,
    },
    {
      alias: 'mgmt0',
      address: '2001:db8:0:1::11/64',
      mode: 'static',
      identifier: 'id-m0',
      table: 1_000_000,
    },
  ],
  aliasRoutes: [
    {
      alias: 'mgmt0',
      table: 1_000_000,
      routes: [
        { to: '0.0.0.0/0', via: '198.18.0.1', from: 'mgmt' },
        { to: '::/0', via: '2001:db8:0:1::1', from: 'mgmt' },
      ],
    },
  ],
  vsvrs: [],
  mysqlNodes: [],
  hash: 'h',
};

const lease = (ip: string): Lease => ({
  device: 'mgmt0',
  family: 4,
  ip,
  prefixLength: 24,
  routers: [],
});

describe('the dhcp address mode', () => {
  it('runs one client per dhcp address, with its identifier', () => {
    expect(dhcpClientsFor(SPEC)).toEqual([{ device: 'mgmt0', family: 4, identifier: 'id-m0' }]);
  });

  it('plumbs the reserved address only once the lease equals it, and its routes with it', () => {
    const waiting = plumbable(SPEC, () => undefined);
    expect(waiting.spec.addresses.map((a) => a.address)).toEqual(['2001:db8:0:1::11/64']);
    expect(waiting.spec.aliasRoutes[0]?.routes.map((r) => r.to)).toEqual(['::/0']);
    expect(waiting.items.map((i) => i.status)).toEqual(['unchanged']);
    const bound = plumbable(SPEC, () => lease('198.18.0.11'));
    expect(bound.spec.addresses).toEqual(SPEC.addresses);
    expect(bound.spec.aliasRoutes).toEqual(SPEC.aliasRoutes);
  });

  it('plumbs neither address on a mismatch and reports it as a failed item', () => {
    const { spec, items } = plumbable(SPEC, () => lease('198.18.0.200'));
    expect(spec.addresses.map((a) => a.address)).toEqual(['2001:db8:0:1::11/64']);
    expect(items).toEqual([
      expect.objectContaining({
        item: 'dhcp address 198.18.0.11/24 on mgmt0',
        status: 'failed',
        detail: expect.stringContaining('MISMATCH: the DHCP server leased 198.18.0.200'),
      }),
    ]);
  });

  it('reads a dhclient report, option 43 included, and nothing from a report without a lease', () => {
    const text =
      'state=bound\nip=198.18.0.13\nmask=255.255.255.0\nrouters=198.18.0.1\nvendor_options=1:1:1:2:3:6c:61:62\n';
    expect(parseLeaseReport('eth0', 4, text)).toEqual({
      device: 'eth0',
      family: 4,
      ip: '198.18.0.13',
      prefixLength: 24,
      routers: ['198.18.0.1'],
      vendorOptions: Uint8Array.from([1, 1, 1, 2, 3, 0x6c, 0x61, 0x62]),
    });
    expect(parseLeaseReport('eth0', 4, 'state=none\nip=198.18.0.13\n')).toBeUndefined();
    expect(
      parseLeaseReport(
        'eth0',
        4,
        'state=bound\nip=198.18.0.13\nmask=255.255.255.0\nserver=198.18.0.100\nexpiry=1800000000\n',
      ),
    ).toMatchObject({ server: '198.18.0.100', expiresUnixMs: 1_800_000_000_000 });
    expect(
      parseLeaseReport(
        'mgmt0',
        6,
        'state=bound\nip6=2001:db8:0:1::11\nip6_prefixlen=128\nserver6=0:1:0:1:2a\nlife_starts=1800000000\nmax_life=3600\n',
      ),
    ).toMatchObject({ server: '0:1:0:1:2a', expiresUnixMs: 1_800_003_600_000 });
    expect(
      parseLeaseReport('eth0', 4, 'state=bound\nip=198.18.0.13\nmask=255.0.255.0\n'),
    ).toBeUndefined();
  });

  describe('on a vsvr address', () => {
    const VSVR_SPEC: NodeSpec = {
      ...SPEC,
      addresses: [],
      aliasRoutes: [],
      aliases: [...SPEC.aliases, { name: 'data0', kind: 'data', lower: 'eth0', mtu: 1500 }],
      vsvrs: [
        {
          name: 'vs-a',
          namespace: 'vs-a',
          active: true,
          priority: 0,
          interfaces: [{ name: 'data0', lower: 'eth0', mtu: 1500, mac: '02:00:00:00:00:01' }],
          addresses: [
            {
              alias: 'data0',
              instance: 0,
              address: '198.18.0.50/24',
              mode: 'dhcp',
              identifier: 'id-vs-a',
            },
          ],
          routes: [{ to: '0.0.0.0/0', via: '198.18.0.1', from: 'vsvr' }],
        },
      ],
    };
    const dataLease = (ip: string) => (device: string, family: 4 | 6, vsvr?: string) =>
      vsvr === 'vs-a' && device === 'data0' && family === 4 ? { ...lease(ip), device } : undefined;

    it("runs the client in the vsvr's namespace while the vsvr is active here, and none on a standby copy", () => {
      expect([...vsvrDhcpClientsFor(VSVR_SPEC)]).toEqual([
        ['vs-a', [{ device: 'data0', family: 4, identifier: 'id-vs-a' }]],
      ]);
      expect(dhcpClientsFor(VSVR_SPEC)).toEqual([]);
      const standby = {
        ...VSVR_SPEC,
        vsvrs: VSVR_SPEC.vsvrs.map((v) => ({ ...v, active: false })),
      };
      expect(vsvrDhcpClientsFor(standby).size).toBe(0);
    });

    it('plumbs the address and its routes only once leased as reserved, and reports a mismatch', () => {
      const waiting = plumbable(VSVR_SPEC, () => undefined);
      expect(waiting.spec.vsvrs[0]?.addresses).toEqual([]);
      expect(waiting.spec.vsvrs[0]?.routes).toEqual([]);
      const bound = plumbable(VSVR_SPEC, dataLease('198.18.0.50'));
      expect(bound.spec.vsvrs).toEqual(VSVR_SPEC.vsvrs);
      const other = plumbable(VSVR_SPEC, dataLease('198.18.0.201'));
      expect(other.spec.vsvrs[0]?.addresses).toEqual([]);
      expect(other.items).toEqual([
        expect.objectContaining({
          item: 'dhcp address 198.18.0.50/24 on data0 in vsvr vs-a',
          status: 'failed',
          detail: expect.stringContaining('MISMATCH: the DHCP server leased 198.18.0.201'),
        }),
      ]);
      expect(
        dhcpLeaseStatuses(VSVR_SPEC, dataLease('198.18.0.201')).map((l) => [
          l.vsvr,
          l.state,
          l.lease?.ip,
        ]),
      ).toEqual([['vs-a', 'mismatch', '198.18.0.201']]);
    });
  });
});
