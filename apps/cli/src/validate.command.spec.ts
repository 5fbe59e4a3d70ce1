import { describe, expect, it } from '@jest/globals';
import { runCli } from './cli.js';
import { memoryIo } from './testing/memory-io.js';
import type { MemoryIoOptions } from './testing/memory-io.js';
import {
  BROKEN,
  TWO_FILERS,
  TWO_FILERS_JSON,
  WARNING_ONLY,
  positionOf,
} from './testing/documents.js';

/** The start of every colour escape. */
const ANSI = '\u001b[';

async function validate(document: string, args: string[] = [], options: MemoryIoOptions = {}) {
  const mem = memoryIo({ files: { 'c.yaml': document }, ...options });
  const code = await runCli(['validate', '-f', 'c.yaml', ...args], mem.io);
  return { code, stdout: mem.stdout(), stderr: mem.stderr() };
}

describe('vsnet validate', () => {
  it('says a valid document is valid, and how big it is', async () => {
    const { code, stdout, stderr } = await validate(TWO_FILERS);
    expect(code).toBe(0);
    expect(stdout).toBe('valid: 2 filers, 2 vsvrs, 5 addresses\n');
    expect(stderr).toBe('');
  });

  it('prints every problem at the line and column where it was written, then a count', async () => {
    const { code, stdout } = await validate(BROKEN);
    expect(code).toBe(1);
    const lines = stdout.trimEnd().split('\n');
    const bad = positionOf(BROKEN, '198.51.100.300/24');
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^c\\.yaml:${bad.line}:${bad.column} error vsvrs\\[0\\]\\.addresses\\[1\\]\\.address: .*198\\.51\\.100\\.300.* — hint: .+ \\[address\\.invalid\\]$`,
        ),
      ),
    );
    const twice = positionOf(BROKEN, 'data0, address: 192.0.2.10/24');
    const column = twice.column + 'data0, address: '.length;
    expect(lines).toContainEqual(
      expect.stringMatching(
        `^c\\.yaml:${twice.line}:${column} error vsvrs\\[0\\]\\.addresses\\[0\\]\\.address: `,
      ),
    );
    expect(lines.at(-1)).toBe(`${lines.length - 1} errors`);
  });

  it('points a missing field at the element that lacks it', async () => {
    const { stdout } = await validate(BROKEN);
    const filer3 = positionOf(BROKEN, 'name: Filer3');
    expect(stdout).toContain(
      `c.yaml:${filer3.line}:${filer3.column} error filers[2].interfaces: "interfaces" is missing`,
    );
  });

  it('lists problems in the order of the document', async () => {
    const { stdout } = await validate(BROKEN);
    const lines = stdout.trimEnd().split('\n').slice(0, -1);
    const at = lines.map((l) => /^c\.yaml:(\d+):(\d+) /.exec(l)).map((m) => Number(m?.[1]));
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(at.every((n) => n > 0)).toBe(true);
  });

  it('exits 0 when there are only warnings, and says so', async () => {
    const { code, stdout } = await validate(WARNING_ONLY);
    const data0 = positionOf(WARNING_ONLY, 'data0, on: eth0.10');
    expect(code).toBe(0);
    expect(stdout).toContain(`c.yaml:${data0.line}:${data0.column} warning filers[1]`);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe(
      'valid: 2 filers, 0 vsvrs, 0 addresses; 1 warning',
    );
  });

  it('reads JSON by its content, whatever the file is called', async () => {
    const mem = memoryIo({ files: { 'cluster.txt': TWO_FILERS_JSON } });
    const code = await runCli(['validate', '-f', 'cluster.txt'], mem.io);
    const bad = positionOf(TWO_FILERS_JSON, '"198.51.100.300/24"');
    expect(code).toBe(1);
    expect(mem.stdout()).toContain(`cluster.txt:${bad.line}:${bad.column} error vsvrs[0]`);
  });

  it('reads standard input for -f -', async () => {
    const mem = memoryIo({ stdin: BROKEN });
    expect(await runCli(['validate', '-f', '-'], mem.io)).toBe(1);
    expect(mem.stdout()).toMatch(/^<stdin>:\d+:\d+ error /);
  });

  describe('-o json', () => {
    it('gives every problem with its position, and parses', async () => {
      const { code, stdout } = await validate(BROKEN, ['-o', 'json']);
      expect(code).toBe(1);
      const report = JSON.parse(stdout) as {
        valid: boolean;
        errorCount: number;
        problems: { code: string; path: unknown[]; line: number; column: number }[];
      };
      expect(report.valid).toBe(false);
      expect(report.errorCount).toBe(report.problems.length);
      expect(report.problems).toContainEqual(
        expect.objectContaining({
          code: 'address.invalid',
          path: ['vsvrs', 0, 'addresses', 1, 'address'],
          ...positionOf(BROKEN, '198.51.100.300/24'),
        }),
      );
      expect(Object.keys(report)).toEqual([
        'file',
        'valid',
        'errorCount',
        'warningCount',
        'problems',
      ]);
    });

    it('is never coloured, even on a terminal', async () => {
      const { stdout } = await validate(BROKEN, ['-o', 'json'], { tty: true });
      expect(stdout).not.toContain(ANSI);
      expect(stdout.endsWith('}\n')).toBe(true);
    });
  });

  describe('colour', () => {
    it('is used on a terminal', async () => {
      expect((await validate(BROKEN, [], { tty: true })).stdout).toContain(ANSI);
    });

    it('is not used when the output is not a terminal', async () => {
      expect((await validate(BROKEN, [], { tty: false })).stdout).not.toContain(ANSI);
    });

    it('is not used when NO_COLOR is set', async () => {
      const { stdout } = await validate(BROKEN, [], { tty: true, env: { NO_COLOR: '1' } });
      expect(stdout).not.toContain(ANSI);
    });
  });
});
