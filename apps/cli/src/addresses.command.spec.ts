import { describe, expect, it } from '@jest/globals';
import { runCli } from './cli.js';
import { memoryIo } from './testing/memory-io.js';
import { BROKEN, TWO_FILERS } from './testing/documents.js';

async function addresses(document: string, args: string[] = []) {
  const mem = memoryIo({ files: { 'c.yaml': document } });
  const code = await runCli(['addresses', '-f', 'c.yaml', ...args], mem.io);
  return { code, stdout: mem.stdout(), stderr: mem.stderr() };
}

describe('vsnet addresses', () => {
  it('prints an aligned worksheet, identifier first, then address', async () => {
    const { code, stdout } = await addresses(TWO_FILERS);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^IDENTIFIER +ADDRESS +KIND +OWNER +ALIAS +INSTANCE +MODE$/);
    expect(lines).toHaveLength(6);
    const addressColumn = (lines[0] ?? '').indexOf('ADDRESS');
    for (const line of lines.slice(1)) {
      expect(line.slice(addressColumn)).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+ /);
      expect(line.at(addressColumn - 1)).toBe(' ');
    }
    expect(stdout).toMatch(
      /^00:07:34:04:12:0e:data1:VsvrB:0 +203\.0\.113\.10\/24 +vsvr +VsvrB +data1 +0 +static$/m,
    );
  });

  it('writes CSV with a header a spreadsheet understands', async () => {
    const { stdout } = await addresses(TWO_FILERS, ['-o', 'csv']);
    const rows = stdout.split('\r\n');
    expect(rows[0]).toBe('identifier,address,ownerKind,owner,alias,instance,mode,site');
    expect(rows).toContain(
      '00:07:34:04:12:0e:mgmt0:Filer1,192.0.2.10/24,filer,Filer1,mgmt0,,static,',
    );
    expect(rows.at(-1)).toBe('');
  });

  it('writes JSON rows with their keys in a fixed order', async () => {
    const { stdout } = await addresses(TWO_FILERS, ['-o', 'json']);
    const result = JSON.parse(stdout) as {
      addresses: Record<string, unknown>[];
      problems: unknown[];
    };
    expect(Object.keys(result)).toEqual(['addresses', 'problems']);
    expect(result.addresses[0]).toEqual({
      identifier: '00:07:34:04:12:0e:data0:VsvrA:0',
      address: '198.51.100.10/24',
      ownerKind: 'vsvr',
      owner: 'VsvrA',
      alias: 'data0',
      instance: 0,
      mode: 'static',
    });
    expect(Object.keys(result.addresses[0] ?? {})).toEqual([
      'identifier',
      'address',
      'ownerKind',
      'owner',
      'alias',
      'instance',
      'mode',
    ]);
  });

  it('still prints the worksheet when the document has errors, and exits 1', async () => {
    const { code, stdout, stderr } = await addresses(BROKEN);
    expect(code).toBe(1);
    expect(stdout).toContain('00:07:34:04:12:0e:mgmt0:Filer2');
    expect(stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^\d+ errors: the worksheet may be incomplete or wrong until the errors are fixed$/,
    );
  });
});
