import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { buildDhcpPlan, exportDhcp } from '@vsnet/dhcp';
import type { DhcpFormat, DhcpPlan } from '@vsnet/dhcp';
import { generateClusterDocument } from '../bench/model/generate.js';
import {
  analyzed,
  checkConfig,
  checkDhclient,
  correctedSeed,
  exampleText,
  loadCluster,
  withTempDir,
} from './dhcp-validators.js';

/**
 * The real servers' own checks accept what vsnet generates (ARCHITECTURE.md §7): Kea's
 * `kea-dhcp4 -t`/`kea-dhcp6 -t`, ISC `dhcpd -t` (and `-6`), and dhclient's parser. A missing
 * binary fails the test with the package to install.
 */
const TIMEOUT_MS = 180_000;
const OPTIONS = { dnsServers: ['192.0.2.53', '2001:db8::53'], domain: 'example.com' };

interface Source {
  cluster: Parameters<typeof buildDhcpPlan>[0];
  analysis: Parameters<typeof buildDhcpPlan>[1];
}

function planOf(source: Source): DhcpPlan & { source: Source } {
  return { ...buildDhcpPlan(source.cluster, source.analysis, OPTIONS), source };
}

/** dhcpd takes its lease file on its command line: the plan without Kea's lease database. */
function withoutLeases(plan: DhcpPlan): DhcpPlan {
  return Object.fromEntries(
    Object.entries(plan).filter(([key]) => key !== 'leaseDatabase'),
  ) as unknown as DhcpPlan;
}

const ipValue = (ip: string) => ip.split('.').reduce((v, o) => v * 256 + Number(o), 0);
const ipText = (v: number) => [24, 16, 8, 0].map((k) => (v >>> k) & 0xff).join('.');

/** Four free addresses at the top of the first IPv4 subnet that has room for them. */
function freePool(plan: DhcpPlan): { subnet: string; range: string } {
  for (const s of plan.subnets4.filter((x) => x.prefixLength <= 28)) {
    const last = ipValue(s.network) + 2 ** (32 - s.prefixLength) - 2;
    const taken = new Set(s.reservations.map((r) => ipValue(r.ip)));
    if ([0, 1, 2, 3].every((k) => !taken.has(last - k))) {
      return { subnet: s.prefix, range: `${ipText(last - 3)}-${ipText(last)}` };
    }
  }
  throw new Error('the test cluster has no IPv4 subnet with four free addresses for a pool');
}

const clusters: [string, () => DhcpPlan & { source: Source }][] = [
  ['deploy/examples/lab-cluster.yaml', () => planOf(loadCluster(exampleText('lab-cluster.yaml')))],
  ['the corrected seed', () => planOf(loadCluster(correctedSeed()))],
  [
    'a generated cluster of 100 filers, 1,000 vsvrs and 4,000 addresses',
    () =>
      planOf(
        analyzed(generateClusterDocument({ filers: 100, vsvrs: 1000, addresses: 4000, seed: 7 })),
      ),
  ],
];

const SERVERS: ['kea4' | 'kea6' | 'dhcpd' | 'dhcpd6', DhcpFormat][] = [
  ['kea4', 'kea4'],
  ['kea6', 'kea6'],
  ['dhcpd', 'dhcpd'],
  ['dhcpd6', 'dhcpd6'],
];

describe('the validators', () => {
  it(
    'refuse what their servers refuse, so a pass means something',
    () => {
      const twice =
        '{ "Dhcp4": { "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24" }, { "id": 1, "subnet": "198.51.100.0/24" } ] } }';
      expect(checkConfig('kea4', twice).ok).toBe(false);
      expect(
        checkConfig('kea6', '{ "Dhcp6": { "subnet6": [ { "subnet": "nonsense" } ] } }').ok,
      ).toBe(false);
      expect(checkConfig('dhcpd', 'host a { fixed-address; }\n').ok).toBe(false);
      expect(checkDhclient('interface "eth0" { send nonsense-option 1; }\n').ok).toBe(false);
    },
    TIMEOUT_MS,
  );
});

describe.each(clusters)('DHCP configuration of %s', (_name, plan) => {
  const p = plan();

  it.each(SERVERS)(
    '%s accepts the full configuration',
    (checker, format) => {
      const text = exportDhcp(p, { format });
      const result = checkConfig(checker, text);
      expect(result.output).not.toMatch(/ERROR|error/);
      expect(result.ok).toBe(true);
    },
    TIMEOUT_MS,
  );

  it.each([
    ['leases in memory', false],
    ['leases in a file', true],
  ] as const)(
    'each server accepts the full configuration with interfaces, a first-boot pool and %s',
    (_leases, persist) => {
      const source = p.source;
      // Kea 2.2 refuses a DHCPv6 data directory (where the DUID goes beside the leases) that
      // does not exist.
      withTempDir((dir) => {
        const served = buildDhcpPlan(source.cluster, source.analysis, {
          ...OPTIONS,
          // Kea refuses an interface the machine does not have: every machine has lo.
          interfaces: [
            {
              name: 'lo',
              subnets: [p.subnets4[0]?.prefix, p.subnets6[0]?.prefix].filter(
                (x): x is string => x !== undefined,
              ),
            },
          ],
          firstBootPools: [freePool(p)],
          leaseDatabase: persist ? { persist, name: join(dir, 'leases.csv') } : { persist },
        });
        for (const [checker, format] of SERVERS) {
          const family = format === 'kea4' || format === 'dhcpd' ? 4 : 6;
          const kea = format === 'kea4' || format === 'kea6';
          const text = exportDhcp(kea ? served : withoutLeases(served), { format });
          expect(text).toMatch(
            kea ? /"interfaces": \[ "lo" \]/ : /# Run it with: dhcpd -[46] -cf FILE .* lo\n/,
          );
          const subnets = family === 4 ? served.subnets4 : served.subnets6;
          if (kea) {
            expect(text.match(/"interface": "lo"/g) ?? []).toHaveLength(
              Math.min(subnets.length, 1),
            );
          }
          if (family === 4) {
            expect(text).toMatch(/"pools": \[ \{ "pool"|^ {2}range /m);
          }
          const result = checkConfig(checker, text);
          expect(result.output).not.toMatch(/ERROR|error/);
          expect(result.ok).toBe(true);
        }
      });
    },
    TIMEOUT_MS,
  );

  it(
    'kea-dhcp4 accepts the snippet merged into a Kea configuration that has subnets of its own',
    () => {
      const existing = [
        "// the customer's server",
        '{ "Dhcp4": {',
        '  "interfaces-config": { "interfaces": [] },',
        '  "subnet4": [',
        '    { "id": 1, "subnet": "203.0.113.0/24", "pools": [ { "pool": "203.0.113.100 - 203.0.113.200" } ] }',
        '  ]',
        '} }',
        '',
      ].join('\n');
      const merged = exportDhcp(p, {
        format: 'kea4',
        mergeInto: { name: 'kea.conf', text: existing },
      });
      const result = checkConfig('kea4', merged);
      expect(result.output).not.toMatch(/Extraneous comma|ERROR/);
      expect(result.ok).toBe(true);
      const again = exportDhcp(p, {
        format: 'kea4',
        mergeInto: { name: 'kea.conf', text: merged },
      });
      expect(again).toBe(merged);
    },
    TIMEOUT_MS,
  );

  it(
    'dhcpd accepts the snippet merged into a configuration that declares the subnets itself',
    () => {
      const subnets = p.subnets4
        .map((s) => {
          const bits = (0xffffffff << (32 - s.prefixLength)) >>> 0;
          const mask = [24, 16, 8, 0].map((k) => (bits >>> k) & 0xff).join('.');
          return `subnet ${s.network} netmask ${mask} { }\n`;
        })
        .join('');
      const existing = `# the customer's dhcpd.conf\nauthoritative;\n${subnets}`;
      const merged = exportDhcp(p, {
        format: 'dhcpd',
        mergeInto: { name: 'dhcpd.conf', text: existing },
      });
      expect(merged.startsWith(existing)).toBe(true);
      const result = checkConfig('dhcpd', merged);
      expect(result.ok).toBe(true);
    },
    TIMEOUT_MS,
  );

  it(
    "dhclient parses every filer's client configuration",
    () => {
      for (const f of p.filers.slice(0, 3)) {
        const result = checkDhclient(exportDhcp(p, { format: 'dhclient', filer: f.filer }));
        expect(result.output).not.toMatch(/line \d+:/);
        expect(result.ok).toBe(true);
      }
    },
    TIMEOUT_MS,
  );
});
