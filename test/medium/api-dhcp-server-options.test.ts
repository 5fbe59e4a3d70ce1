import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { buildDhcpPlan, exportDhcp } from '@vsnet/dhcp';
import type { DhcpExportOptions, DhcpFormat } from '@vsnet/dhcp';
import { analyzeCluster, decodeClusterDocument } from '@vsnet/model';
import { runCli } from '../../apps/cli/src/cli.js';
import { memoryIo } from '../../apps/cli/src/testing/memory-io.js';
import { startControl } from './support/control-service.js';
import type { RunningControl } from './support/control-service.js';
import { applyAsAdmin, labCluster } from './support/documents.js';

// The server options of DhcpService/ExportDhcp and `vsnet dhcp export --server`: interfaces,
// first-boot pools and Kea's lease database give what the offline export gives for them, and
// a bad one is refused naming its request field.

const POOL = { subnet: '192.0.2.0/25', range: '192.0.2.100-192.0.2.120' };

function offline(format: DhcpFormat, options: DhcpExportOptions): string {
  const { cluster } = decodeClusterDocument(labCluster());
  return exportDhcp(buildDhcpPlan(cluster, analyzeCluster(cluster), options), { format });
}

describe('DhcpService/ExportDhcp server options', () => {
  let r: RunningControl;
  let reader: string;

  beforeAll(async () => {
    r = await startControl('api_dhcp_server_options');
    await applyAsAdmin(r, labCluster());
    reader = await r.principal('reader', 'read-only');
  });

  afterAll(async () => {
    await r?.stop();
  });

  it('writes the interfaces, pool and lease file as the offline export does', async () => {
    const { res, err } = await r.call<{ text: string }>(
      'DhcpService',
      'ExportDhcp',
      {
        format: 'DHCP_FORMAT_KEA4',
        interfaces: [{ name: 'eth1' }, { name: 'eth2', subnets: ['192.0.2.128/25'] }],
        firstBootPools: [POOL],
        leaseDatabase: { persist: true, name: '/var/lib/kea/vsnet4.csv' },
      },
      reader,
    );
    expect(err).toBeUndefined();
    const expected = offline('kea4', {
      interfaces: ['eth1', { name: 'eth2', subnets: ['192.0.2.128/25'] }],
      firstBootPools: [POOL],
      leaseDatabase: { persist: true, name: '/var/lib/kea/vsnet4.csv' },
    });
    expect(res?.text).toBe(expected);
    expect(expected).toContain('"pools": [ { "pool": "192.0.2.100 - 192.0.2.120" } ],');
    expect(expected).toContain('"interface": "eth2",');
  });

  it.each([
    [
      'a pool over a fixed address',
      { format: 'DHCP_FORMAT_KEA4', firstBootPools: [{ ...POOL, range: '192.0.2.5-192.0.2.30' }] },
      'firstBootPools[0].range',
    ],
    [
      'an interface serving a subnet the cluster does not have',
      { format: 'DHCP_FORMAT_KEA6', interfaces: [{ name: 'eth1', subnets: ['2001:db8:ff::/64'] }] },
      'interfaces[0].subnets[0]',
    ],
    [
      'a relative lease file',
      { format: 'DHCP_FORMAT_KEA6', leaseDatabase: { persist: true, name: 'leases6.csv' } },
      'leaseDatabase.name',
    ],
    [
      'a lease file for dhcpd',
      { format: 'DHCP_FORMAT_DHCPD', leaseDatabase: { persist: false } },
      'leaseDatabase',
    ],
  ])('refuses %s, naming the field', async (_, req, field) => {
    const { err, details } = await r.call('DhcpService', 'ExportDhcp', req, reader);
    expect({ code: err?.code, fields: details?.violations.map((v) => v.field) }).toEqual({
      code: status.INVALID_ARGUMENT,
      fields: [field],
    });
  });

  it('vsnet dhcp export --server passes the flags on', async () => {
    const mem = memoryIo({
      readFile: (path) => readFile(path, 'utf8'),
      env: { VSNET_TOKEN: reader },
    });
    const code = await runCli(
      [
        'dhcp',
        'export',
        '--server',
        r.address,
        '--format',
        'kea6',
        '--interface',
        'eth1',
        '--no-lease-file',
      ],
      mem.io,
    );
    expect({ code, stderr: mem.stderr() }).toEqual({ code: 0, stderr: '' });
    expect(mem.stdout()).toBe(
      offline('kea6', { interfaces: ['eth1'], leaseDatabase: { persist: false } }),
    );
    expect(mem.stdout()).toContain('"server-id": { "type": "LLT", "persist": false },');
  });
});
