import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCli } from '../../apps/cli/src/cli.js';
import { memoryIo } from '../../apps/cli/src/testing/memory-io.js';
import type { MemoryIoOptions } from '../../apps/cli/src/testing/memory-io.js';
import { startControl } from './support/control-service.js';
import type { RunningControl } from './support/control-service.js';

// `vsnet … --wait`, `vsnet changes`, `vsnet change show`, `vsnet filer status` and
// `vsnet filer join-token` through runCli against a running control service. No agent runs
// here, so every filer a change touches stays behind: what a person sees is a change that is
// applied at once when it touches no filer, and one that --wait gives up on otherwise.

const REPO = join(import.meta.dirname, '..', '..');
const LAB = readFileSync(join(REPO, 'deploy/examples/lab-cluster.yaml'), 'utf8');
const LAB_FILERS = ['filer1', 'filer2', 'filer3'];

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('vsnet changes and --wait on a lab cluster without agents', () => {
  let r: RunningControl;
  let applyGeneration = '';

  async function vsnet(args: string[], options: MemoryIoOptions = {}): Promise<Ran> {
    const mem = memoryIo({
      files: { 'lab.yaml': LAB },
      ...options,
      env: { VSNET_SERVER: r.address, VSNET_TOKEN: r.adminToken, ...options.env },
    });
    const code = await runCli(args, mem.io);
    return { code, stdout: mem.stdout(), stderr: mem.stderr() };
  }

  beforeAll(async () => {
    r = await startControl('cli_changes');
    const applied = await vsnet(['apply', '-f', 'lab.yaml']);
    expect(applied.code).toBe(0);
    applyGeneration = /\(generation (\d+)\)\n$/.exec(applied.stdout)?.[1] ?? '';
    expect(applyGeneration).not.toBe('');
  });

  afterAll(async () => {
    await r?.stop();
  });

  it('waits for a change that touches no filer and exits 0 at once', async () => {
    const ran = await vsnet([
      'site',
      'create',
      'lab2',
      '--subnet',
      '2001:db8:ff::/48',
      '--wait',
      '--wait-timeout',
      '5s',
    ]);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(
      /^created site lab2 .*; generation (\d+)\ngeneration \1 applied \(it changed no filer's spec\)\n$/,
    );
  });

  it('gives up on a change whose filers have no agent: exit 9, naming each filer behind', async () => {
    const ran = await vsnet([
      'vsvr',
      'address',
      'add',
      'sales',
      'data0',
      '198.51.100.22/24',
      '--wait',
      '--wait-timeout',
      '2s',
    ]);
    expect(ran.stdout).toMatch(/^added 198\.51\.100\.22\/24 to sales .*; generation \d+\n$/);
    expect(ran.stderr).toMatch(
      /^vsnet: generation \d+ was not applied within 2 s \(filer\d (pending|unreachable)(, filer\d (pending|unreachable))*\); vsnet change show \d+ shows its progress, or raise --wait-timeout\n$/,
    );
    expect(ran.code).toBe(9);
  });

  it('lists the changes newest first with their state and filers', async () => {
    const ran = await vsnet(['changes', '--limit', '3']);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    const [header, addAddress, createSite, apply, ...rest] = ran.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^GEN +TIME +PRINCIPAL +RPC +TARGET +STATE +FILERS$/);
    expect(addAddress).toMatch(/^ *\d+ +\S+Z +admin +AddAddress +.*sales.* +pending +filer/);
    expect(createSite).toMatch(/^ *\d+ +\S+Z +admin +CreateSite +.* +applied +\(none\)$/);
    expect(apply).toMatch(
      new RegExp(
        `^ *${applyGeneration} +\\S+Z +admin +Apply +.* +pending +filer1 \\w+, filer2 \\w+, filer3 \\w+$`,
      ),
    );
    expect(rest).toEqual([]);
  });

  it('shows one change with every filer it touched, and says when there is none', async () => {
    const ran = await vsnet(['change', 'show', applyGeneration, '-o', 'json']);
    expect(ran.code).toBe(0);
    const { change } = JSON.parse(ran.stdout) as {
      change: { generation: number; rpc: string; state: string; filers: { filer: string }[] };
    };
    expect(change).toMatchObject({
      generation: Number(applyGeneration),
      rpc: '/vsnet.v1.ConfigService/Apply',
      state: 'CHANGE_STATE_PENDING',
    });
    expect(change.filers.map((f) => f.filer)).toEqual(LAB_FILERS);
    const text = await vsnet(['change', 'show', applyGeneration]);
    expect(text.stdout).toMatch(/^state: +pending$/m);
    expect(text.stdout).toMatch(/^ {2}filer1 +(pending|unreachable) /m);
    const missing = await vsnet(['change', 'show', '9999']);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^vsnet: 127\.0\.0\.1:\d+: .*9999/);
    expect(missing.code).toBe(4);
  });

  it('shows each filer with the generation it should run and no agent yet', async () => {
    const ran = await vsnet(['filer', 'status']);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    const lines = ran.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^FILER +DESIRED +OBSERVED +STATE +AGENT/);
    for (const [i, filer] of LAB_FILERS.entries()) {
      expect(lines[i + 1]).toMatch(
        new RegExp(`^${filer} +\\d+ +(pending|unreachable) +\\(not joined\\)`),
      );
    }
    expect(lines.at(-1)).toMatch(/^cluster generation \d+$/);
  });

  it('mints a join token once for an admin, and refuses a read-only principal', async () => {
    const ran = await vsnet(['filer', 'join-token', '--filer', 'filer4', '--ttl', '30m']);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    const token = /^vsj_\S+$/m.exec(ran.stdout)?.[0] ?? '';
    expect(token).not.toBe('');
    expect(ran.stdout.split(token)).toHaveLength(2);
    const json = await vsnet(['filer', 'join-token', '-o', 'json']);
    const minted = JSON.parse(json.stdout) as { joinToken: string; expiresUnixMs: number };
    expect(minted.joinToken).toMatch(/^vsj_/);
    expect(minted.joinToken).not.toBe(token);
    expect(Math.abs(minted.expiresUnixMs - (Date.now() + 3_600_000))).toBeLessThan(60_000);
    const reader = await r.principal('monitor', 'read-only');
    const denied = await vsnet(['filer', 'join-token'], { env: { VSNET_TOKEN: reader } });
    expect(denied.stderr).toMatch(/refused the call/);
    expect(denied.code).toBe(7);
  });
});
