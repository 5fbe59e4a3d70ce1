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
