import { describe, expect, it } from '@jest/globals';
import { buildDhcpPlan, DhcpExportError } from './dhcp-plan.js';
import { exportDhcp } from './export.js';
import { mergeBlock, SnippetMergeError, wrapBlock } from './snippet.js';
import { analyzedLab, LAB_DOCUMENT } from './testing/lab-document.js';
import { decodeInterfaceDefinitions, fromHex } from './vendor-options.js';

const { cluster, analysis } = analyzedLab();
const plan = buildDhcpPlan(cluster, analysis, {
  dnsServers: ['192.0.2.53', '2001:db8::53'],
  domain: 'example.com',
});
const MAC = '00:00:5e:00:53:01';

describe('the DHCP plan', () => {
  it('groups every address into its subnet, routers from default routes inside it', () => {
    expect(plan.subnets4.map((s) => [s.prefix, s.routers])).toEqual([
      ['192.0.2.0/25', ['192.0.2.1']],
      ['192.0.2.128/25', []],
      ['198.18.200.0/24', []],
      ['198.18.5.0/24', ['198.18.5.1']],
      ['198.51.100.0/24', ['198.51.100.1']],
    ]);
    expect(plan.subnets6.map((s) => s.prefix)).toEqual([
      '2001:db8:1:100::/64',
      '2001:db8:1:200::/64',
    ]);
    const all = [...plan.subnets4, ...plan.subnets6].flatMap((s) => s.reservations);
    expect(all).toHaveLength(plan.rows.length);
  });

  it('keeps a subnet id when other subnets come and go', () => {
    const fewer = { ...LAB_DOCUMENT, vsvrs: LAB_DOCUMENT.vsvrs.slice(0, 1) };
    const other = analyzedLab(fewer);
    const ids = (p: typeof plan) => new Map(p.subnets4.map((s) => [s.prefix, s.id]));
    const before = ids(plan);
    for (const [prefix, id] of ids(buildDhcpPlan(other.cluster, other.analysis))) {
      expect(before.get(prefix)).toBe(id);
    }
  });

  it('refuses two addresses of one family under one identifier', () => {
    const doc = structuredClone(LAB_DOCUMENT);
    doc.filers[1]?.addresses.push({ alias: 'mgmt0', address: '192.0.2.14/25' });
    const twice = analyzedLab(doc);
    expect(() => buildDhcpPlan(twice.cluster, twice.analysis)).toThrow(DhcpExportError);
    expect(() => buildDhcpPlan(twice.cluster, twice.analysis)).toThrow(
      `192.0.2.12/25 and 192.0.2.14/25 would both be requested as ${MAC}:mgmt0:filer2`,
    );
  });

  it.each([
    [{ dnsServers: ['ns1'] }, 'DNS server "ns1" is not an IP address'],
    [{ domain: 'bad domain' }, '"bad domain" is not a DNS domain name'],
  ])('refuses bad options %p', (options, message) => {
    expect(() => buildDhcpPlan(cluster, analysis, options)).toThrow(message);
  });
});

describe('the exporters', () => {
  it('kea4 reserves by the identifier as its exact bytes, vendor options on filer addresses', () => {
    const text = exportDhcp(plan, { format: 'kea4' });
    expect(text).toContain(
      `{ "client-id": "'${MAC}:data0:sales:1'", "ip-address": "198.51.100.22" }`,
    );
    const filer1 =
      /"client-id": "'00:00:5e:00:53:01:mgmt0:filer1'", "ip-address": "192.0.2.11", "option-data": \[ \{ "code": 43, "data": "([0-9a-f]+)"/.exec(
        text,
      );
    expect(decodeInterfaceDefinitions(fromHex(filer1?.[1] ?? '')).filer).toBe('filer1');
    expect(text).toContain(`"client-id": "'${MAC}:00:00:5e:00:53:14'"`);
    expect(text).toContain('{ "name": "routers", "data": "192.0.2.1" }');
    expect(text).toContain('{ "name": "domain-name-servers", "data": "192.0.2.53" }');
    expect(text).not.toContain('2001:db8::53');
  });

  it('kea6 keys reservations by a DUID made of the identifier bytes', () => {
    const text = exportDhcp(plan, { format: 'kea6' });
    const duid = Array.from(new TextEncoder().encode(`${MAC}:data0:sales:2`), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join(':');
    expect(text).toContain(`{ "duid": "${duid}", "ip-addresses": [ "2001:db8:1:100::21" ] }`);
    expect(text).toContain('{ "name": "dns-servers", "data": "2001:db8::53" }');
  });

  it('dhcpd declares subnets and a host per address and per port; the snippet only hosts', () => {
    const full = exportDhcp(plan, { format: 'dhcpd' });
    expect(full).toContain(
      'subnet 192.0.2.0 netmask 255.255.255.128 {\n  option routers 192.0.2.1;\n}',
    );
    expect(full).toMatch(
      /host vsvr-sales-data0-1 \{\n {4}option dhcp-client-identifier "00:00:5e:00:53:01:data0:sales:1";\n {4}fixed-address 198\.51\.100\.22;\n {2}\}/,
    );
    expect(full).toContain('host port-filer1-eth4 {');
    expect(full).toContain('option vsnet.filer "filer1";');
    const snippet = exportDhcp(plan, { format: 'dhcpd', snippet: true });
    expect(snippet.startsWith(`# BEGIN vsnet cluster lab — generated, do not edit\n`)).toBe(true);
    expect(snippet.endsWith('# END vsnet cluster lab\n')).toBe(true);
    expect(snippet).not.toMatch(/^subnet /m);
    expect(exportDhcp(plan, { format: 'dhcpd6' })).toContain('fixed-address6 2001:db8:1:100::21;');
  });

  it("dhclient: a stanza per port and per alias of the filer's own addresses", () => {
    const text = exportDhcp(plan, { format: 'dhclient', filer: 'FILER1' });
    expect(text.match(/^interface "(\w+)"/gm)).toEqual([
      'interface "eth0"',
      'interface "eth1"',
      'interface "eth2"',
      'interface "eth3"',
      'interface "eth4"',
      'interface "mgmt0"',
      'interface "mgmt1"',
      'interface "san0"',
    ]);
    expect(text).toContain(
      `  send dhcp-client-identifier "${MAC}:mgmt0:filer1";\n  send dhcp6.client-id 30:30:3a`,
    );
    expect(text).toContain('  send vendor-class-identifier "vsnet";');
    expect(() => exportDhcp(plan, { format: 'dhclient' })).toThrow(
      'pass --filer with one of: filer1, filer2',
    );
    expect(() => exportDhcp(plan, { format: 'dhclient', filer: 'nope' })).toThrow(
      'has no filer nope',
    );
  });

  it('worksheets list every address, then every port identifier', () => {
    const csv = exportDhcp(plan, { format: 'worksheet-csv' }).split('\r\n');
    expect(csv[0]).toBe('identifier,address,ownerKind,owner,alias,instance,mode,site');
    expect(csv).toContain(`${MAC}:san0:filer1,198.18.200.11/24,filer,filer1,san0,,dhcp,`);
    expect(csv).toContain(`${MAC}:00:00:5e:00:53:20,,port,filer2,eth0,,options,`);
    expect(csv).toHaveLength(plan.rows.length + 6 + 2);
    const table = exportDhcp(plan, { format: 'worksheet' });
    expect(table).toMatch(/^IDENTIFIER +ADDRESS +KIND +OWNER +ALIAS +INSTANCE +MODE$/m);
    expect(table).toMatch(
      /^00:00:5e:00:53:01:data0:sales:1 +198\.51\.100\.22\/24 +vsvr +sales +data0 +1 +static$/m,
    );
    expect(table).not.toMatch(/ $/m);
  });
});

describe('merging into a file someone else owns', () => {
  const block = wrapBlock('lab', 'new line\n');

  it('replaces exactly the block and keeps every other byte', () => {
    const existing =
      'a\r\n# BEGIN vsnet cluster lab — old comment\nold\n# END vsnet cluster lab\n\tz\n';
    expect(mergeBlock(existing, block, 'lab')).toBe(`a\r\n${block}\tz\n`);
  });

  it("appends when there is no block, and leaves another cluster's block alone", () => {
    const other = wrapBlock('lab2', 'theirs\n');
    expect(mergeBlock(`x\n${other}y`, block, 'lab')).toBe(`x\n${other}y\n${block}`);
  });

  it.each([
    ['# BEGIN vsnet cluster lab\nx\n', /line 1 but no "# END vsnet cluster lab" after it/],
    ['x\n# END vsnet cluster lab\n', /line 2 with no BEGIN line before it/],
    [
      `${wrapBlock('lab', '')}${wrapBlock('lab', '')}`,
      /a second "# BEGIN vsnet cluster lab" on line 3/,
    ],
  ])('refuses broken markers rather than guess: %p', (existing, message) => {
    expect(() => mergeBlock(existing, block, 'lab', 'dhcpd.conf')).toThrow(SnippetMergeError);
    expect(() => mergeBlock(existing, block, 'lab', 'dhcpd.conf')).toThrow(message);
  });

  it('puts Kea subnets first in the subnet list, with the comma the next entry needs', () => {
    const existing =
      '{ "Dhcp4": { "subnet4": [\n  { "id": 1, "subnet": "203.0.113.0/24" }\n] } }\n';
    const merged = exportDhcp(plan, { format: 'kea4', mergeInto: { name: 'k', text: existing } });
    expect(merged.startsWith('{ "Dhcp4": { "subnet4": [\n# BEGIN vsnet cluster lab')).toBe(true);
    expect(merged).toMatch(/\n {6}\},\n# END vsnet cluster lab\n {2}\{ "id": 1/);
    expect(merged.endsWith('  { "id": 1, "subnet": "203.0.113.0/24" }\n] } }\n')).toBe(true);
    expect(() =>
      exportDhcp(plan, { format: 'kea4', mergeInto: { name: 'k.conf', text: '{ "Dhcp4": {} }' } }),
    ).toThrow('k.conf has no "subnet4" list');
  });
});
