import { describe, expect, it } from '@jest/globals';
import { runCli } from './cli.js';
import { memoryIo } from './testing/memory-io.js';
import { BROKEN, TWO_FILERS } from './testing/documents.js';

async function dhcp(args: string[], files: Record<string, string> = {}) {
  const mem = memoryIo({ files: { 'c.yaml': TWO_FILERS, 'broken.yaml': BROKEN, ...files } });
  const code = await runCli(['dhcp', 'export', ...args], mem.io);
  return { code, stdout: mem.stdout(), stderr: mem.stderr() };
}

describe('vsnet dhcp export', () => {
  it('prints a Kea DHCPv4 configuration with the DNS options asked for', async () => {
    const { code, stdout, stderr } = await dhcp([
      '-f',
      'c.yaml',
      '--format',
      'kea4',
      '--dns',
      '192.0.2.53,192.0.2.54',
      '--domain',
      'example.com',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('"Dhcp4": {');
    expect(stdout).toContain(`"client-id": "'00:07:34:04:12:0e:mgmt0:Filer1'"`);
    expect(stdout).toContain('{ "name": "domain-name-servers", "data": "192.0.2.53, 192.0.2.54" }');
  });

  it('prints only the block with --snippet, and merges it into an existing file', async () => {
    const snippet = await dhcp(['-f', 'c.yaml', '--format', 'dhcpd', '--snippet']);
    expect(snippet.stdout.split('\n')[0]).toBe(
      '# BEGIN vsnet cluster demo — generated, do not edit',
    );
    const existing =
      'authoritative;\n# BEGIN vsnet cluster demo\nstale\n# END vsnet cluster demo\nlast;\n';
    const merged = await dhcp(['-f', 'c.yaml', '--format', 'dhcpd', '--merge-into', 'dhcpd.conf'], {
      'dhcpd.conf': existing,
    });
    expect(merged.code).toBe(0);
    expect(merged.stdout).toBe(`authoritative;\n${snippet.stdout}last;\n`);
  });

  it('writes the interfaces, first-boot pool and lease file asked for', async () => {
    const { code, stdout, stderr } = await dhcp([
      '-f',
      'c.yaml',
      '--format',
      'kea4',
      '--interface',
      'eth1',
      '--interface',
      'eth2=198.51.100.0/24',
      '--interface',
      'eth3=203.0.113.0/24',
      '--first-boot-pool',
      '192.0.2.0/24=192.0.2.200-192.0.2.220',
      '--lease-file',
      '/var/lib/kea/vsnet4.csv',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('"interfaces-config": { "interfaces": [ "eth1", "eth2", "eth3" ] },');
    expect(stdout).toContain(
      '"lease-database": { "type": "memfile", "name": "/var/lib/kea/vsnet4.csv", "lfc-interval": 3600 },',
    );
    expect(stdout).toMatch(
      /"subnet": "192\.0\.2\.0\/24",\n\s+"interface": "eth1",\n\s+"pools": \[ \{ "pool": "192\.0\.2\.200 - 192\.0\.2\.220" \} \],/,
    );
    expect(stdout).toMatch(/"subnet": "198\.51\.100\.0\/24",\n\s+"interface": "eth2",/);
    expect(stdout).toMatch(/"subnet": "203\.0\.113\.0\/24",\n\s+"interface": "eth3",/);
    const memory = await dhcp(['-f', 'c.yaml', '--format', 'kea4', '--no-lease-file']);
    expect(memory.stdout).toContain('"lease-database": { "type": "memfile", "persist": false },');
  });

  it.each([
    [
      ['--first-boot-pool', '192.0.2.0/24'],
      'vsnet: --first-boot-pool 192.0.2.0/24 has no range; write SUBNET=FIRST-LAST, like 192.0.2.0/24=192.0.2.200-192.0.2.220\n',
    ],
    [
      ['--first-boot-pool', '192.0.2.0/24=192.0.2.5-192.0.2.15'],
      "vsnet: the pool 192.0.2.5-192.0.2.15 holds 192.0.2.10, the fixed address of mgmt0 of Filer1; choose a range outside the cluster's addresses\n",
    ],
    [
      ['--interface', '=192.0.2.0/24'],
      'vsnet: --interface =192.0.2.0/24 names no interface; write NAME or NAME=SUBNET[,SUBNET...]\n',
    ],
    [
      ['--lease-file', 'leases.csv'],
      'vsnet: the lease file "leases.csv" is not an absolute path, so where Kea keeps it would depend on where it is started; pass one like /var/lib/kea/kea-leases4.csv\n',
    ],
  ])('refuses %j with exit 2', async (args, message) => {
    const { code, stdout, stderr } = await dhcp(['-f', 'c.yaml', '--format', 'kea4', ...args]);
    expect(stdout).toBe('');
    expect(stderr).toBe(message);
    expect(code).toBe(2);
  });

  it('needs --filer for dhclient and says which filers there are', async () => {
    const { code, stderr } = await dhcp(['-f', 'c.yaml', '--format', 'dhclient']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'vsnet: a dhclient configuration is per filer; pass --filer with one of: Filer1, Filer2\n',
    );
    const ok = await dhcp(['-f', 'c.yaml', '--format', 'dhclient', '--filer', 'filer2']);
    expect(ok.stdout).toContain('send dhcp-client-identifier "00:07:34:04:12:0e:mgmt0:Filer2";');
  });

  it('prints nothing for a document with errors, and exits 1', async () => {
    const { code, stdout, stderr } = await dhcp(['-f', 'broken.yaml', '--format', 'kea4']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /errors: no DHCP configuration is printed until the errors are fixed\n$/,
    );
  });

  it('says which file it cannot merge into', async () => {
    const { code, stderr } = await dhcp([
      '-f',
      'c.yaml',
      '--format',
      'kea6',
      '--merge-into',
      'missing.json',
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^vsnet: cannot read missing\.json to merge into .*; pass an existing file\n$/,
    );
  });
});
