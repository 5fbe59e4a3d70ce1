import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCli } from './cli.js';
import { memoryIo } from './testing/memory-io.js';
import { TWO_FILERS } from './testing/documents.js';

const run = promisify(execFile);

describe('vsnet command line', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vsnet-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** An io on the real file system, so read failures are the operating system's own. */
  const fileIo = () => memoryIo({ readFile: (path) => readFile(path, 'utf8') });

  it('reads a real file', async () => {
    const path = join(dir, 'cluster.yaml');
    await writeFile(path, TWO_FILERS);
    const mem = fileIo();
    expect(await runCli(['validate', '-f', path], mem.io)).toBe(0);
    expect(mem.stdout()).toBe('valid: 2 filers, 2 vsvrs, 5 addresses\n');
  });

  it('says in one line that a file is missing, and exits 2', async () => {
    const mem = fileIo();
    const path = join(dir, 'nope.yaml');
    expect(await runCli(['plan', '-f', path], mem.io)).toBe(2);
    expect(mem.stdout()).toBe('');
    expect(mem.stderr()).toBe(
      `vsnet: cannot read ${path}: no such file (check the path, or pass -f - to read standard input)\n`,
    );
  });

  it('says in one line that a path is a directory, and exits 2', async () => {
    const mem = fileIo();
    expect(await runCli(['addresses', '-f', dir], mem.io)).toBe(2);
    expect(mem.stderr()).toMatch(/^vsnet: cannot read .*: it is a directory [^\n]*\n$/);
  });

  it('gives a YAML syntax error as file:line:col in one line, and exits 2', async () => {
    const mem = memoryIo({ files: { 'c.yaml': 'kind: Cluster\nfilers:\n  - name: "Filer1\n' } });
    expect(await runCli(['validate', '-f', 'c.yaml'], mem.io)).toBe(2);
    expect(mem.stderr()).toMatch(
      /^vsnet: c\.yaml:4:1: YAML syntax error: Missing closing "quote; fix [^\n]*\n$/,
    );
  });

  it.each([
    [['frobnicate'], "error: unknown command 'frobnicate'"],
    [['validate'], "vsnet: required option '-f, --file <path>' not specified; "],
    [['validate', '-f', 'c.yaml', '--colour'], "error: unknown option '--colour'"],
    [['plan', '-f', 'c.yaml', '-o', 'xml'], "argument 'xml' is invalid"],
  ])('refuses %j with commander’s message and exit 2', async (argv, message) => {
    const mem = memoryIo({ files: { 'c.yaml': TWO_FILERS } });
    expect(await runCli(argv, mem.io)).toBe(2);
    expect(mem.stderr()).toContain(message);
    expect(mem.stdout()).toBe('');
  });

  it.each([[['--help']], [['plan', '--help']], [['help', 'addresses']]])(
    'prints help for %j on stdout and exits 0',
    async (argv) => {
      const mem = memoryIo();
      expect(await runCli(argv, mem.io)).toBe(0);
      expect(mem.stdout()).toMatch(/^Usage: vsnet/);
    },
  );

  it('has a launcher that says when the CLI is not built', async () => {
    const root = join(dir, 'unbuilt');
    await mkdir(join(root, 'bin'), { recursive: true });
    await writeFile(join(root, 'package.json'), '{ "type": "module" }\n');
    await copyFile(join(import.meta.dirname, '../../../bin/vsnet'), join(root, 'bin/vsnet'));
    const failed = await run(process.execPath, [join(root, 'bin/vsnet'), 'validate'], {
      timeout: 10_000,
    }).catch((err: unknown) => err as { code: number; stderr: string; stdout: string });
    expect(failed).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'vsnet is not built: run npm run build\n',
    });
  });
});
