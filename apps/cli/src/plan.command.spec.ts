import { describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { runCli } from './cli.js';
import { memoryIo } from './testing/memory-io.js';
import { BROKEN, TWO_FILERS } from './testing/documents.js';

async function plan(document: string, args: string[] = []) {
  const mem = memoryIo({ files: { 'c.yaml': document } });
  const code = await runCli(['plan', '-f', 'c.yaml', ...args], mem.io);
  return { code, stdout: mem.stdout(), stderr: mem.stderr() };
}

/** The cells of the line that starts with `first`, split where columns are (2+ spaces). */
function rowOf(out: string, first: string): string[] {
  const line = out.split('\n').find((l) => l.startsWith(`${first} `));
  if (line === undefined) {
    throw new Error(`no row for ${first} in:\n${out}`);
  }
  return line.split(/ {2,}/);
}

interface PlanJson {
  filers: { filer: string; vsvrs: { name: string; active: boolean }[] }[];
  placements: {
    vsvr: string;
    runsOn: string[];
    excluded: { filer: string; reasons: string[] }[];
  }[];
  problems: { code: string }[];
}

describe('vsnet plan', () => {
  it('shows each filer and a placement table: a vsvr runs only where its alias exists', async () => {
    const { code, stdout, stderr } = await plan(TWO_FILERS);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Filer Filer1 {2}spec [0-9a-f]{12}$/m);
    expect(stdout).toMatch(/^Filer Filer2 {2}spec [0-9a-f]{12}$/m);
    expect(rowOf(stdout, 'VSVR')).toEqual(['VSVR', 'FAILOVER GROUP', 'RUNS ON', 'CANNOT RUN ON']);
    expect(rowOf(stdout, 'VsvrA')).toEqual(['VsvrA', 'Filer1, Filer2', 'Filer1, Filer2', '-']);
    expect(rowOf(stdout, 'VsvrB')).toEqual([
      'VsvrB',
      '(any filer)',
      'Filer1',
      'Filer2 has no data1',
    ]);
  });

  it('marks a vsvr active on its first filer and standby on the others', async () => {
    const { stdout } = await plan(TWO_FILERS);
    const [filer1 = '', filer2 = ''] = stdout.split(/^(?:Filer Filer2|Placements)/m);
    expect(filer1).toMatch(/^ {4}VsvrA {2}active {2}priority 0/m);
    expect(filer2).toMatch(/^ {4}VsvrA {2}standby {2}priority 1/m);
    expect(filer2).not.toContain('VsvrB');
    expect(filer1).toContain('198.51.100.10/24');
  });

  it('restricts the plan to one filer with --filer, matching its name without regard to case', async () => {
    const { code, stdout } = await plan(TWO_FILERS, ['--filer', 'filer2', '-o', 'json']);
    const result = JSON.parse(stdout) as PlanJson;
    expect(code).toBe(0);
    expect(result.filers.map((f) => f.filer)).toEqual(['Filer2']);
    expect(result.filers[0]?.vsvrs).toEqual([
      expect.objectContaining({ name: 'VsvrA', active: false }),
    ]);
    expect(result.placements.map((p) => p.vsvr)).toEqual(['VsvrA', 'VsvrB']);
  });

  it('refuses an unknown filer in one line naming the known ones', async () => {
    const { code, stdout, stderr } = await plan(TWO_FILERS, ['--filer', 'Filer9']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'vsnet: no filer named "Filer9" in the document; known filers: Filer1, Filer2\n',
    );
  });

  it('prints a stable JSON object: filers, placements, problems', async () => {
    const first = await plan(TWO_FILERS, ['-o', 'json']);
    const again = await plan(TWO_FILERS, ['-o', 'json']);
    expect(first.stdout).toBe(again.stdout);
    expect(first.stdout).toMatch(/^\{\n {2}"filers": \[\n/);
    expect(first.stdout.endsWith('}\n')).toBe(true);
    const result = JSON.parse(first.stdout) as PlanJson;
    expect(Object.keys(result)).toEqual(['filers', 'placements', 'problems']);
    expect(result.placements[1]).toEqual({
      vsvr: 'VsvrB',
      explicitGroup: false,
      candidates: ['Filer1', 'Filer2'],
      runsOn: ['Filer1'],
      excluded: [{ filer: 'Filer2', reasons: ['Filer2 has no data1'] }],
    });
    expect(result.problems).toEqual([]);
  });

  it('prints the same object as YAML', async () => {
    const json = JSON.parse((await plan(TWO_FILERS, ['-o', 'json'])).stdout) as unknown;
    expect(parseYaml((await plan(TWO_FILERS, ['-o', 'yaml'])).stdout)).toEqual(json);
  });

  it('still shows the plan when the document has errors, with the problems on stderr, and exits 1', async () => {
    const { code, stdout, stderr } = await plan(BROKEN);
    expect(code).toBe(1);
    expect(rowOf(stdout, 'VsvrA')).toEqual([
      'VsvrA',
      'Filer1, Filer2',
      'Filer1',
      'Filer2 has no data0',
    ]);
    const lines = stderr.trimEnd().split('\n');
    expect(lines.slice(0, -1).every((l) => /^c\.yaml:\d+:\d+ error /.test(l))).toBe(true);
    expect(lines.at(-1)).toBe(
      `${lines.length - 1} errors: the plan cannot be applied until the errors are fixed`,
    );
  });

  it('includes the problems in -o json when the document has errors', async () => {
    const { code, stdout } = await plan(BROKEN, ['-o', 'json']);
    expect(code).toBe(1);
    const codes = (JSON.parse(stdout) as PlanJson).problems.map((p) => p.code);
    expect(codes).toEqual(expect.arrayContaining(['address.invalid', 'vsvr.failover-group']));
  });
});
