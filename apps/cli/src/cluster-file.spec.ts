import { describe, expect, it } from '@jest/globals';
import { parseClusterText, readClusterFile } from './cluster-file.js';
import { CliError } from './cli-io.js';
import { memoryIo } from './testing/memory-io.js';

const DOC = `apiVersion: vsnet/v1
kind: Cluster
filers:
  - name: Filer1
    interfaces:
      - { name: eth0, mac: "00:07:34:00:01:00" }
      - name: data0
        on: eth0
vsvrs:
  - name: VsvrA
    addresses:
      - alias: data0
        address: 198.51.100.10/24
`;

/** Where `needle` first appears in `text`, 1-based, as an editor shows it. */
function positionOf(text: string, needle: string): { line: number; column: number } {
  const lines = text.split('\n');
  const index = lines.findIndex((l) => l.includes(needle));
  return { line: index + 1, column: (lines[index] ?? '').indexOf(needle) + 1 };
}

describe('parseClusterText', () => {
  const file = parseClusterText('c.yaml', DOC);

  it('gives the data as plain values', () => {
    expect(file.data).toMatchObject({ kind: 'Cluster', filers: [{ name: 'Filer1' }] });
  });

  it.each([
    [['vsvrs', 0, 'addresses', 0, 'address'], positionOf(DOC, '198.51.100.10/24')],
    [['filers', 0, 'interfaces', 0, 'mac'], positionOf(DOC, '"00:07:34:00:01:00"')],
    [['filers', 0, 'interfaces', 1, 'on'], { line: 8, column: 13 }],
    [['kind'], positionOf(DOC, 'Cluster')],
  ] as const)('points %j at its value', (path, expected) => {
    expect(file.locate(path)).toEqual(expected);
  });

  it('points a field that holds a list at its key', () => {
    expect(file.locate(['filers', 0, 'interfaces'])).toEqual({ line: 5, column: 5 });
  });

  it('points an empty value at its key', () => {
    const parsed = parseClusterText('e.yaml', 'filers:\n  - name:\n    interfaces:\n');
    expect(parsed.locate(['filers', 0, 'name'])).toEqual({ line: 2, column: 5 });
    expect(parsed.locate(['filers', 0, 'interfaces'])).toEqual({ line: 3, column: 5 });
  });

  it('falls back to the nearest node that exists for a missing field', () => {
    expect(file.locate(['filers', 0, 'addresses', 3, 'alias'])).toEqual({ line: 4, column: 5 });
    expect(file.locate(['vsvrs', 7])).toEqual({ line: 9, column: 1 });
    expect(file.locate([])).toEqual({ line: 1, column: 1 });
  });

  it('reads JSON, tabs and all, with positions', () => {
    const json =
      '{\n\t"apiVersion": "vsnet/v1",\n\t"filers": [\n\t\t{ "name": "Filer1" }\n\t]\n}\n';
    const parsed = parseClusterText('c.json', json);
    expect(parsed.data).toEqual({ apiVersion: 'vsnet/v1', filers: [{ name: 'Filer1' }] });
    expect(parsed.locate(['filers', 0, 'name'])).toEqual({ line: 4, column: 13 });
  });

  it('follows YAML aliases to the anchored node', () => {
    const parsed = parseClusterText('a.yaml', 'base: &b\n  mtu: 9000\nother: *b\n');
    expect(parsed.data).toEqual({ base: { mtu: 9000 }, other: { mtu: 9000 } });
    expect(parsed.locate(['other', 'mtu'])).toEqual({ line: 2, column: 8 });
  });

  it.each([
    ['a: 1\na: 2\n', 'c.yaml:2:1: YAML syntax error: Map keys must be unique'],
    ['a: "open\n', 'c.yaml:2:1: YAML syntax error: Missing closing "quote'],
    ['- a\n---\n- b\n', 'c.yaml:2:1: YAML syntax error: Source contains multiple documents'],
  ])('refuses %j with one line naming line and column', (text, message) => {
    const error = catchError(() => parseClusterText('c.yaml', text));
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain('\n');
  });

  it('refuses an alias to an anchor that does not exist', () => {
    const error = catchError(() => parseClusterText('c.yaml', 'a: *nope\n'));
    expect(error.message).toMatch(/^vsnet: c\.yaml: cannot read the document: Unresolved alias/);
  });
});

describe('readClusterFile', () => {
  it('reads standard input for "-"', async () => {
    const { io } = memoryIo({ stdin: 'kind: Cluster\n' });
    const file = await readClusterFile('-', io);
    expect(file.name).toBe('<stdin>');
    expect(file.data).toEqual({ kind: 'Cluster' });
  });

  it('says how to fix a missing file', async () => {
    const { io } = memoryIo();
    await expect(readClusterFile('nope.yaml', io)).rejects.toThrow(
      'vsnet: cannot read nope.yaml: no such file (check the path, or pass -f - to read standard input)',
    );
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) {
      return err;
    }
  }
  throw new Error('expected an error');
}
