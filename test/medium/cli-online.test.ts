import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { parse } from 'yaml';
import { runCli } from '../../apps/cli/src/cli.js';
import { memoryIo } from '../../apps/cli/src/testing/memory-io.js';
import type { MemoryIoOptions } from '../../apps/cli/src/testing/memory-io.js';
import { loadControlConfig } from '../../apps/control/src/config/control-config.js';
import type { ControlConfig } from '../../apps/control/src/config/control-config.js';
import { createControlApp, initialize } from '../../apps/control/src/control-app.js';
import { JsonLogger } from '../../apps/control/src/logging/json-logger.js';
import { dropQueueKeys } from './support/control-service.js';
import { createTestDatabase } from './support/test-database.js';
import type { TestDatabase } from './support/test-database.js';

// The online verbs (`vsnet apply`, `vsnet export`) through runCli, against a real control app
// serving gRPC on a real socket with a migrated database of its own.

const REPO = join(import.meta.dirname, '..', '..');
const SEED_FILE = 'seed-cluster.yaml';

/** A TCP port nothing listens on: bound, read, released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return port;
}

function seedText(): string {
  return readFileSync(join(REPO, 'deploy/examples/seed-cluster.yaml'), 'utf8');
}

/** The seed with Filer2's san0 moved to 10.2.2.4/24, which the model accepts. */
function correctedSeed(): string {
  const text = seedText();
  const corrected = text.replace(
    '{ alias: san0, address: 10.2.2.3/24 }',
    '{ alias: san0, address: 10.2.2.4/24 }',
  );
  expect(corrected).not.toBe(text);
  return corrected;
}

interface Running {
  readonly app: INestApplication;
  readonly address: string;
  readonly db: TestDatabase;
  readonly token: string;
}

async function start(label: string): Promise<Running> {
  const db = await createTestDatabase(label);
  const grpcPort = await freePort();
  const config: ControlConfig = {
    ...loadControlConfig({ VSNET_MYSQL_URL: db.url, VSNET_QUEUE_PREFIX: db.name }),
    grpcPort,
  };
  const { secret: token } = await initialize(config, 'admin');
  const app = await createControlApp(config, new JsonLogger('warn', () => undefined));
  await app.startAllMicroservices();
  await app.init();
  return { app, db, token, address: `127.0.0.1:${grpcPort}` };
}

describe('vsnet apply and export against a running control service', () => {
  let r: Running;

  beforeAll(async () => {
    r = await start('cli');
  });

  afterAll(async () => {
    await r?.app.close();
    await r?.db.drop();
    await dropQueueKeys('redis://127.0.0.1:6379', r?.db.name ?? '');
  });

  /** Runs the CLI with VSNET_SERVER pointing at the running app. */
  async function vsnet(args: string[], options: MemoryIoOptions = {}) {
    const mem = memoryIo({
      ...options,
      env: { VSNET_SERVER: r.address, VSNET_TOKEN: r.token, ...options.env },
    });
    const code = await runCli(args, mem.io);
    return { code, stdout: mem.stdout(), stderr: mem.stderr() };
  }

  it('says export is impossible before the first apply, in one line, exit 1', async () => {
    const { code, stdout, stderr } = await vsnet(['export']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^vsnet: 127\.0\.0\.1:\d+: .*never been applied[^\n]*\n$/);
  });

  it('dry-runs the corrected seed: lists the changes and writes nothing', async () => {
    const files = { [SEED_FILE]: correctedSeed() };
    const { code, stdout, stderr } = await vsnet(['apply', '-f', SEED_FILE, '--dry-run'], {
      files,
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\+ \S+/);
    expect(stdout).toMatch(/\ndry run: \d+ changes, nothing written \(generation 0\)\n$/);
    const exported = await vsnet(['export']);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toMatch(/never been applied/);
  });

  it('applies the corrected seed: one line per change, then generation 1', async () => {
    const files = { [SEED_FILE]: correctedSeed() };
    const { code, stdout, stderr } = await vsnet(['apply', '-f', SEED_FILE], { files });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    const last = lines.pop();
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatch(/^[+~-] \S/);
    }
    expect(lines).toContain('+ filers[Filer2]');
    expect(last).toBe(`applied ${lines.length} changes (generation 1)`);
  });

  it('exports YAML that applied again through -f - changes nothing', async () => {
    const exported = await vsnet(['export']);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    const document = parse(exported.stdout) as { kind: string; filers: unknown[] };
    expect(document.kind).toBe('Cluster');
    expect(document.filers).toHaveLength(2);
    const again = await vsnet(['apply', '-f', '-'], { stdin: exported.stdout });
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('no changes (generation 1)\n');
  });

  it('exports JSON that apply accepts too', async () => {
    const exported = await vsnet(['export', '-o', 'json']);
    expect(exported.code).toBe(0);
    expect(() => JSON.parse(exported.stdout) as unknown).not.toThrow();
    const again = await vsnet(['apply', '-f', '-', '-o', 'json'], { stdin: exported.stdout });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(
      expect.objectContaining({ applied: false, generation: 1, changes: [] }),
    );
  });

  it('refuses the seed as printed: each violation at its line and column, exit 1', async () => {
    const files = { [SEED_FILE]: seedText() };
    const { code, stdout, stderr } = await vsnet(['apply', '-f', SEED_FILE], { files });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^seed-cluster\.yaml:79:34 error vsvrs\[0\]\.addresses\[2\]\.address: /,
      ),
    );
    expect(lines.at(-1)).toMatch(/refused the document: \d+ problems?; nothing was written$/);
    // Nothing was written: an apply of the corrected seed still has nothing to do.
    const again = await vsnet(['apply', '-f', SEED_FILE, '--dry-run'], {
      files: { [SEED_FILE]: correctedSeed() },
    });
    expect(again.stdout).toBe('no changes (generation 1)\n');
  });

  it('does not write on --dry-run of a change', async () => {
    const changed = correctedSeed().replace(
      '{ alias: san0, address: 10.2.2.4/24 }',
      '{ alias: san0, address: 10.2.2.5/24 }',
    );
    const dry = await vsnet(['apply', '-f', SEED_FILE, '--dry-run'], {
      files: { [SEED_FILE]: changed },
    });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^[+~-] filers\[Filer2\]\.addresses/m);
    expect(dry.stdout).toMatch(/\ndry run: \d+ changes?, nothing written \(generation 1\)\n$/);
    const exported = await vsnet(['export']);
    expect(exported.stdout).toContain('10.2.2.4/24');
    expect(exported.stdout).not.toContain('10.2.2.5/24');
  });

  it('names the server and what to check when nothing listens there, in one line, exit 2', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const files = { [SEED_FILE]: correctedSeed() };
    for (const args of [
      ['apply', '-f', SEED_FILE, '--server', closed],
      ['export', '--server', closed],
    ]) {
      const { code, stdout, stderr } = await vsnet(args, { files });
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^vsnet: cannot reach the vsnet control service at 127\.0\.0\.1:\d+ /);
      expect(stderr).toContain(closed);
      expect(stderr).toMatch(/check that vsnet-control is running/);
      expect(stderr.split('\n')).toHaveLength(2);
    }
  });
});
