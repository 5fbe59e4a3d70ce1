import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { buildDhcpPlan, exportDhcp } from '@vsnet/dhcp';
import type { DhcpFormat } from '@vsnet/dhcp';
import { analyzeCluster, decodeClusterDocument } from '@vsnet/model';
import { runCli } from '../../apps/cli/src/cli.js';
import { clusterDocumentToWire } from '../../libs/contracts/src/cluster-api-document.js';
import { memoryIo } from '../../apps/cli/src/testing/memory-io.js';
import { startControl } from './support/control-service.js';
import type { RunningControl } from './support/control-service.js';
import { applyAsAdmin, labCluster } from './support/documents.js';

// DhcpService/ExportDhcp and `vsnet dhcp export --server`: the stored cluster exported exactly
// as `vsnet dhcp export -f` exports the same document, to any role, with refusals that name
// the request field.

/** What `vsnet dhcp export -f` prints for the lab document. */
function offline(format: DhcpFormat, extra: { filer?: string; snippet?: boolean } = {}): string {
  const { cluster } = decodeClusterDocument(labCluster());
  const plan = buildDhcpPlan(cluster, analyzeCluster(cluster), {
    dnsServers: ['198.51.100.53', '2001:db8::53'],
    domain: 'example.com',
  });
  return exportDhcp(plan, { format, ...extra });
}

describe('DhcpService/ExportDhcp', () => {
  let r: RunningControl;
  let reader: string;
  let generation: string;
  let dir: string;

  beforeAll(async () => {
    r = await startControl('api_dhcp_export');
    dir = await mkdtemp(join(tmpdir(), 'vsnet-dhcp-export-'));
    generation = await applyAsAdmin(r, labCluster());
    reader = await r.principal('reader', 'read-only');
  });

  afterAll(async () => {
    await r?.stop();
    if (dir !== undefined) {
      await rm(dir, { recursive: true, force: true });
    }
  });

  const request = (format: string, extra: Record<string, unknown> = {}) => ({
    format,
    dnsServers: ['198.51.100.53', '2001:db8::53'],
    domain: 'example.com',
    ...extra,
  });

  it.each([
    ['DHCP_FORMAT_KEA4', 'kea4'],
    ['DHCP_FORMAT_KEA6', 'kea6'],
    ['DHCP_FORMAT_DHCPD', 'dhcpd'],
    ['DHCP_FORMAT_DHCPD6', 'dhcpd6'],
    ['DHCP_FORMAT_WORKSHEET_CSV', 'worksheet-csv'],
    ['DHCP_FORMAT_WORKSHEET', 'worksheet'],
  ] as const)(
    'answers %s to a read-only caller as the offline export writes it',
    async (wire, format) => {
      const { res, err } = await r.call<{ text: string; generation: string }>(
        'DhcpService',
        'ExportDhcp',
        request(wire),
        reader,
      );
      expect(err).toBeUndefined();
      expect(res).toEqual({ text: offline(format), generation });
    },
  );

  it('writes one filer dhclient configuration, and only the snippet when asked', async () => {
    const { res } = await r.call<{ text: string }>(
      'DhcpService',
      'ExportDhcp',
      request('DHCP_FORMAT_DHCLIENT', { filer: 'FILER2', snippet: true }),
      reader,
    );
    expect(res?.text).toBe(offline('dhclient', { filer: 'filer2', snippet: true }));
    expect(res?.text).toMatch(/^# BEGIN vsnet cluster /);
  });

  it.each([
    ['no format', request('DHCP_FORMAT_UNSPECIFIED'), status.INVALID_ARGUMENT, 'format'],
    ['dhclient without a filer', request('DHCP_FORMAT_DHCLIENT'), status.INVALID_ARGUMENT, 'filer'],
    [
      'dhclient of an unknown filer',
      request('DHCP_FORMAT_DHCLIENT', { filer: 'filer9' }),
      status.NOT_FOUND,
      'filer',
    ],
    [
      'a filer with kea4',
      request('DHCP_FORMAT_KEA4', { filer: 'filer1' }),
      status.INVALID_ARGUMENT,
      'filer',
    ],
    [
      'a snippet of the worksheet',
      request('DHCP_FORMAT_WORKSHEET', { snippet: true }),
      status.INVALID_ARGUMENT,
      'snippet',
    ],
    [
      'a DNS server that is no address',
      request('DHCP_FORMAT_KEA4', { dnsServers: ['198.51.100.53', 'ns1'] }),
      status.INVALID_ARGUMENT,
      'dnsServers[1]',
    ],
    [
      'a file without a subnet list to merge into',
      request('DHCP_FORMAT_KEA4', { mergeInto: { name: 'kea.conf', text: '{ "Dhcp4": {} }' } }),
      status.INVALID_ARGUMENT,
      'mergeInto.text',
    ],
  ])('refuses %s, naming the field', async (_, req, code, field) => {
    const { err, details } = await r.call('DhcpService', 'ExportDhcp', req, reader);
    expect({ code: err?.code, fields: details?.violations.map((v) => v.field) }).toEqual({
      code,
      fields: [field],
    });
  });

  it('refuses a caller without a token', async () => {
    const { err } = await r.call(
      'DhcpService',
      'ExportDhcp',
      request('DHCP_FORMAT_KEA4'),
      undefined,
    );
    expect(err?.code).toBe(status.UNAUTHENTICATED);
  });

  it('stores cluster.dhcp: internal and exports it back; refuses what its server could not serve', async () => {
    const doc = labCluster();
    const internal = { ...doc, cluster: { ...doc.cluster, dhcp: 'internal' } };
    await applyAsAdmin(r, internal);
    const { res } = await r.call<{ document: { cluster: { dhcp?: string } } }>(
      'ConfigService',
      'Export',
      {},
      reader,
    );
    expect(res?.document.cluster.dhcp).toBe('internal');
    const [first, ...others] = internal.filers;
    const twice = {
      ...internal,
      filers: [
        {
          ...first!,
          addresses: [...(first?.addresses ?? []), { alias: 'mgmt0', address: '10.1.1.99/24' }],
        },
        ...others,
      ],
    };
    const { err, details } = await r.call(
      'ConfigService',
      'Apply',
      { document: clusterDocumentToWire(twice), dryRun: false },
      r.adminToken,
    );
    expect({ code: err?.code, reason: details?.reason }).toEqual({
      code: status.INVALID_ARGUMENT,
      reason: 'dhcp.identifier',
    });
    generation = await applyAsAdmin(r, labCluster());
  });

  describe('vsnet dhcp export --server', () => {
    async function vsnet(args: string[]) {
      const mem = memoryIo({
        readFile: (path) => readFile(path, 'utf8'),
        env: { VSNET_TOKEN: reader },
      });
      const code = await runCli(args, mem.io);
      return { code, stdout: mem.stdout(), stderr: mem.stderr() };
    }

    it('prints what -f prints for the same document', async () => {
      const dns = ['--dns', '198.51.100.53,2001:db8::53', '--domain', 'example.com'];
      expect(
        await vsnet(['dhcp', 'export', '--server', r.address, '--format', 'kea4', ...dns]),
      ).toEqual({
        code: 0,
        stdout: offline('kea4'),
        stderr: '',
      });
      expect(
        await vsnet([
          'dhcp',
          'export',
          '--server',
          r.address,
          '--format',
          'dhclient',
          '--filer',
          'filer1',
          ...dns,
        ]),
      ).toEqual({ code: 0, stdout: offline('dhclient', { filer: 'filer1' }), stderr: '' });
    });

    it("merges vsnet's block into a local file, keeping the administrator's part", async () => {
      const mine = 'subnet 192.0.2.0 netmask 255.255.255.0 { }\n';
      const file = join(dir, 'dhcpd.conf');
      await writeFile(file, mine);
      const ran = await vsnet([
        'dhcp',
        'export',
        '--server',
        r.address,
        '--format',
        'dhcpd',
        '--merge-into',
        file,
      ]);
      expect(ran.code).toBe(0);
      expect(ran.stdout.startsWith(mine)).toBe(true);
      expect(ran.stdout).toContain('# BEGIN vsnet cluster ');
    });

    it('refuses -f together with --server, and names an unknown filer with exit 4', async () => {
      const both = await vsnet([
        'dhcp',
        'export',
        '-f',
        'x.yaml',
        '--server',
        r.address,
        '--format',
        'kea4',
      ]);
      expect(both.code).toBe(2);
      expect(both.stderr).toMatch(/-f and --server both name the document/);
      const unknown = await vsnet([
        'dhcp',
        'export',
        '--server',
        r.address,
        '--format',
        'dhclient',
        '--filer',
        'nope',
      ]);
      expect(unknown.stdout).toBe('');
      expect(unknown.stderr).toMatch(/no filer nope/);
      expect(unknown.code).toBe(4);
    });
  });
});
