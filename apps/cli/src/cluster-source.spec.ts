import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import type { ClusterDocument } from '@vsnet/model';
import { checkCluster } from './checked-cluster.js';
import { runCli } from './cli.js';
import { parseClusterText } from './cluster-file.js';
import { storedClusterFile } from './cluster-source.js';
import { paletteFor } from './output.js';
import { formatProblem, problemRecord, reportProblemsAside } from './problem-report.js';
import { BROKEN, TWO_FILERS, WARNING_ONLY } from './testing/documents.js';
import { memoryIo } from './testing/memory-io.js';
import type { MemoryIoOptions } from './testing/memory-io.js';

// The offline verbs read either -f FILE or the cluster the control service stores
// (--server/--online). The fetch itself is in test/medium/cli-offline-verbs-online.test.ts;
// here: which command lines are refused, which server is called, and how a problem of the
// server's document is shown.

/** Nothing listens on port 1 of loopback: a call there fails at once, naming the address. */
const NOBODY = '127.0.0.1:1';

async function run(argv: string[], options: MemoryIoOptions = {}) {
  const mem = memoryIo({ files: { 'c.yaml': TWO_FILERS }, ...options });
  const code = await runCli(argv, mem.io);
  return { code, stdout: mem.stdout(), stderr: mem.stderr() };
}

const VERBS = ['validate', 'plan', 'addresses'] as const;

describe.each(VERBS)('vsnet %s: where the document comes from', (verb) => {
  it.each([
    [['-f', 'c.yaml', '--server', NOBODY], '--server'],
    [['--online', '-f', 'c.yaml'], '--online'],
    [['-f', 'c.yaml', '--online', '--server', NOBODY], '--server'],
  ])('refuses %j in one line, exit 2', async (args, flag) => {
    const { code, stdout, stderr } = await run([verb, ...args]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `vsnet: -f and ${flag} both name the document; pass -f FILE to read a file, or ${flag} alone to read the cluster the control service stores\n`,
    );
  });

  it('without -f, --server or --online says in one line that -f is missing and names the online form', async () => {
    const { code, stdout, stderr } = await run([verb]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^vsnet: required option '-f, --file <path>' not specified; [^\n]*\n$/);
    expect(stderr).toContain(
      'or --server HOST:PORT (or --online) to use the cluster the control service stores',
    );
  });

  it('with --online calls the server $VSNET_SERVER names', async () => {
    const { code, stdout, stderr } = await run([verb, '--online'], {
      env: { VSNET_SERVER: NOBODY },
    });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^vsnet: cannot reach the vsnet control service at 127\.0\.0\.1:1 \([^\n]*\n$/,
    );
  });

  it("with --online calls the config file's server when $VSNET_SERVER is not set", async () => {
    const { code, stderr } = await run([verb, '--online'], {
      env: { VSNET_CONFIG: '/etc/vsnet.yaml' },
      files: { '/etc/vsnet.yaml': `server: ${NOBODY}\ntoken: t\n` },
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^vsnet: cannot reach the vsnet control service at 127\.0\.0\.1:1 /);
  });

  it('with --server calls that server, whatever $VSNET_SERVER says', async () => {
    const { code, stderr } = await run([verb, '--server', NOBODY], {
      env: { VSNET_SERVER: '127.0.0.1:2' },
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^vsnet: cannot reach the vsnet control service at 127\.0\.0\.1:1 /);
  });

  it('refuses a --server that is not HOST:PORT, exit 2', async () => {
    const { code, stderr } = await run([verb, '--server', 'control.example']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^vsnet: --server control\.example: expected HOST:PORT, [^\n]*\n$/);
  });

  it('shows the online form in --help', async () => {
    const { code, stdout } = await run([verb, '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--server <host:port>/);
    expect(stdout).toMatch(/--online /);
    expect(stdout).toMatch(new RegExp(`^ {2}vsnet ${verb} --server control\\.example:7400`, 'm'));
    expect(stdout).toMatch(new RegExp(`^ {2}vsnet ${verb} --online`, 'm'));
  });
});

describe('problems of the cluster the control service stores', () => {
  const stored = { server: '192.0.2.1:7400', generation: '7' };
  const fromServer = (text: string) =>
    checkCluster(storedClusterFile(parse(text) as ClusterDocument, stored));
  const plain = paletteFor({ write: () => undefined }, {});

  it('are shown at their document path with (server, generation N) instead of FILE:LINE:COL', () => {
    const checked = fromServer(BROKEN);
    const lines = checked.problems.map((p) => formatProblem(checked.file, p, plain));
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^\(server, generation 7\) error vsvrs\[0\]\.addresses\[1\]\.address: .*198\.51\.100\.300.* \[address\.invalid\]$/,
      ),
    );
    expect(lines.every((l) => l.startsWith('(server, generation 7) '))).toBe(true);
  });

  it('are the problems a file of the same document has, in the same order', () => {
    const server = fromServer(BROKEN).problems;
    const file = checkCluster(parseClusterText('c.yaml', BROKEN)).problems;
    expect(server.map((p) => [p.code, p.path])).toEqual(file.map((p) => [p.code, p.path]));
    expect(server.length).toBeGreaterThan(2);
  });

  it('have no line or column in -o json|yaml', () => {
    const [first] = fromServer(BROKEN).problems;
    expect(first).toBeDefined();
    const record = problemRecord(first!);
    expect(Object.keys(record)).toEqual(['severity', 'code', 'path', 'message', 'hint']);
  });

  it('go to stderr with the same location when a verb prints something else', () => {
    const checked = fromServer(WARNING_ONLY);
    let err = '';
    const code = reportProblemsAside(checked, 'unused', { write: (s) => (err += s) }, plain);
    expect(code).toBe(0);
    expect(err).toMatch(/^\(server, generation 7\) warning filers\[1\]\.interfaces\[2\]/);
    expect(err.trimEnd().split('\n').at(-1)).toBe('1 warning');
  });
});
