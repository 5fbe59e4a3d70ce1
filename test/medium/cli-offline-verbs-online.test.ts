import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ClusterDocument } from '@vsnet/model';
import { parse } from 'yaml';
import { runCli } from '../../apps/cli/src/cli.js';
import { memoryIo } from '../../apps/cli/src/testing/memory-io.js';
import type { MemoryIoOptions } from '../../apps/cli/src/testing/memory-io.js';
import { WARNING_ONLY } from '../../apps/cli/src/testing/documents.js';
import { startControl } from './support/control-service.js';
import type { RunningControl } from './support/control-service.js';
import { applyAsAdmin, labCluster } from './support/documents.js';

// `vsnet validate|plan|addresses --server ADDR` against a running control service: the same
// output as the same verb with -f on what `vsnet export` prints, since both run the same
// checks on the same data; problems are placed at `(server, generation N)`.

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('vsnet validate, plan and addresses on the cluster the control service stores', () => {
  let r: RunningControl;
  let dir: string;

  /** Runs vsnet with the admin's token (unless `env` says otherwise) and real files. */
  async function vsnet(args: string[], options: MemoryIoOptions = {}): Promise<Ran> {
    const mem = memoryIo({
      readFile: (path) => readFile(path, 'utf8'),
      ...options,
      env: { VSNET_TOKEN: r.adminToken, ...options.env },
    });
    const code = await runCli(args, mem.io);
    return { code, stdout: mem.stdout(), stderr: mem.stderr() };
  }

  /** What `vsnet export` prints now, written to a file of `dir`. */
  async function exported(name: string): Promise<string> {
    const ran = await vsnet(['export', '--server', r.address]);
    expect(ran).toMatchObject({ code: 0, stderr: '' });
    const file = join(dir, name);
    await writeFile(file, ran.stdout);
    return file;
  }

  beforeAll(async () => {
    r = await startControl('cli_offline_online');
    dir = await mkdtemp(join(tmpdir(), 'vsnet-offline-online-'));
  });

  afterAll(async () => {
    await r?.stop();
    if (dir !== undefined) {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says the cluster has never been applied, exit 1, before the first apply', async () => {
    const ran = await vsnet(['validate', '--server', r.address]);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toMatch(/^vsnet: 127\.0\.0\.1:\d+: [^\n]+\n$/);
    expect(ran.code).toBe(1);
  });

  describe('on the lab cluster', () => {
    let file: string;
    let generation: string;

    beforeAll(async () => {
      generation = await applyAsAdmin(r, labCluster());
      file = await exported('lab.yaml');
    });

    it.each([
      [['plan']],
      [['plan', '--filer', 'filer2', '-o', 'json']],
      [['addresses', '-o', 'csv']],
      [['addresses']],
      [['validate']],
    ])('vsnet %j --server prints what it prints with -f on the export', async (args) => {
      const online = await vsnet([...args, '--server', r.address]);
      const offline = await vsnet([...args, '-f', file]);
      expect(offline.code).toBe(0);
      expect(online).toEqual(offline);
      expect(online.stdout.length).toBeGreaterThan(0);
    });

    it('prints the csv worksheet with a row for every address of the lab', async () => {
      const online = await vsnet(['addresses', '--server', r.address, '-o', 'csv']);
      const rows = online.stdout.trimEnd().split('\r\n');
      expect(rows[0]).toBe('identifier,address,ownerKind,owner,alias,instance,mode,site');
      expect(rows).toHaveLength(31);
    });

    it('finds the server with --online from $VSNET_SERVER', async () => {
      const online = await vsnet(['validate', '--online'], { env: { VSNET_SERVER: r.address } });
      expect(online).toEqual({
        code: 0,
        stdout: 'valid: 3 filers, 5 vsvrs, 30 addresses\n',
        stderr: '',
      });
    });

    it('names the server and generation, not a file, in validate -o json', async () => {
      const online = await vsnet(['validate', '--server', r.address, '-o', 'json']);
      const offline = await vsnet(['validate', '-f', file, '-o', 'json']);
      const { file: name, ...rest } = JSON.parse(offline.stdout) as Record<string, unknown>;
      expect(name).toBe(file);
      expect(JSON.parse(online.stdout)).toEqual({
        server: r.address,
        generation: Number(generation),
        ...rest,
      });
    });

    it('is refused without a token or with an unknown one, exit 6, in one line', async () => {
      for (const token of [undefined, 'vsn_not_a_token']) {
        for (const verb of ['validate', 'plan', 'addresses']) {
          const ran = await vsnet([verb, '--server', r.address], { env: { VSNET_TOKEN: token } });
          expect(ran.stdout).toBe('');
          expect(ran.stderr).toMatch(
            /^vsnet: 127\.0\.0\.1:\d+ refused the call: [^\n]+; set VSNET_TOKEN [^\n]+\n$/,
          );
          expect(ran.code).toBe(6);
        }
      }
    });
  });

  describe('on a cluster with a warning', () => {
    let generation: string;

    beforeAll(async () => {
      generation = await applyAsAdmin(r, parse(WARNING_ONLY) as ClusterDocument);
    });

    it('validate shows the warning at its path and (server, generation N), exit 0', async () => {
      const ran = await vsnet(['validate', '--server', r.address]);
      expect(ran.stderr).toBe('');
      expect(ran.code).toBe(0);
      expect(ran.stdout.split('\n')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^\\(server, generation ${generation}\\) warning filers\\[1\\]\\.interfaces\\[2\\]`,
          ),
        ),
        'valid: 2 filers, 0 vsvrs, 0 addresses; 1 warning',
        '',
      ]);
    });

    it('plan prints what -f prints, and the warning on stderr at (server, generation N)', async () => {
      const file = await exported('warning.yaml');
      const online = await vsnet(['plan', '--server', r.address]);
      const offline = await vsnet(['plan', '-f', file]);
      expect(online.code).toBe(0);
      expect(online.stdout).toBe(offline.stdout);
      expect(offline.stderr).toMatch(/^\S+warning\.yaml:\d+:\d+ warning filers\[1\]/);
      expect(online.stderr).toBe(
        offline.stderr.replace(/^\S+:\d+:\d+ /, `(server, generation ${generation}) `),
      );
    });
  });
});
