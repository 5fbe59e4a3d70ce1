import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ping } from '../lab/support/netns.js';
import { expectEventually } from '../lab/support/expect-eventually.js';
import { CLIENTS, E2eCluster } from './support/e2e-cluster.js';
import type { CliResult } from './support/e2e-cluster.js';
import { inNamespace } from '../lab/support/netns.js';

// Issue 5 item 5, fourth case, as processes: filer3's agent is stopped; changes that touch
// filer3 and others, and changes that touch only filer1 and filer2, are made with bin/vsnet.
// A vsvr's spec goes to every filer of its failover group, so a change to `eng` or `web`
// (filer1, filer2) does not touch filer3, while one to `legacy` (filer3, filer1) or to the
// `clients` policy (every filer) does. The ones that do not touch filer3 are applied while it
// is down (`--wait` returns, `vsnet change show` says applied, the client reaches them); the
// others are applied on the filers that are up and wait for filer3. Once its agent is back
// (same address and state folder, no new join) everything converges.

const AS_ROOT = process.getuid?.() === 0;
/**
 * deploy/examples/local-cluster.yaml: legacy runs on filer3 (group filer3, filer1), sales on
 * filer1 (filer1, filer2, filer3), eng on filer1 (filer1, filer2), web on filer2 (filer2, filer1).
 */
const LEGACY_NEW = '198.18.10.33';
const ENG_NEW = '198.18.10.42';
const WEB_NEW = '198.18.11.52';
/** A route the `clients` policy gains: sales, eng and legacy use that policy. */
const NEW_ROUTE = '198.18.12.0/24';

let cluster: E2eCluster | undefined;

function running(): E2eCluster {
  if (cluster === undefined) {
    throw new Error('the cluster did not start');
  }
  return cluster;
}

/** `bin/vsnet args…`, expected to exit 0 and print `stderr` (nothing, unless told). */
async function vsnet(args: string[], stderr: string | RegExp = ''): Promise<CliResult> {
  const r = await running().vsnet(args);
  expect({ args, status: r.status, stderr: r.stderr }).toEqual({
    args,
    status: 0,
    stderr: typeof stderr === 'string' ? stderr : expect.stringMatching(stderr),
  });
  return r;
}

/** The generation a mutation printed with `-o json`. */
function generationOf(r: CliResult): string {
  const generation = (JSON.parse(r.stdout) as { generation?: unknown }).generation;
  if (typeof generation !== 'number' && typeof generation !== 'string') {
    throw new Error(`no generation in ${r.stdout}`);
  }
  return String(generation);
}

/** `vsnet change show GEN -o json`: the change's state and each filer's, as `filer state`. */
async function changeShown(generation: string): Promise<{ state: string; filers: string[] }> {
  const r = await vsnet(['change', 'show', generation, '-o', 'json']);
  const shown = JSON.parse(r.stdout) as {
    change: { state: string; filers: { filer: string; state: string }[] };
  };
  return {
    state: shown.change.state,
    filers: shown.change.filers.map((f) => `${f.filer} ${f.state}`),
  };
}

async function hasRoute(ns: string, prefix: string): Promise<boolean> {
  const r = await inNamespace(ns, 'ip', ['-4', 'route', 'show', 'table', 'all', prefix]);
  return r.stdout.trim() !== '';
}

beforeAll(async () => {
  if (AS_ROOT) {
    cluster = await E2eCluster.start('down');
  }
}, 120_000);

afterAll(async () => {
  await cluster?.teardown();
}, 60_000);

(AS_ROOT ? describe : describe.skip)('an agent down while its filer changes', () => {
  it('never blocks the other filers, and its filer converges once it is back', async () => {
    const c = running();
    const client = c.clientNamespace(CLIENTS.data0);
    const legacyNs = `${c.prefix}-filer3-vs-legacy`;
    const salesNs = `${c.prefix}-filer1-vs-sales`;
    await c.stopAgent('filer3');

    const legacyChange = generationOf(
      await vsnet(['vsvr', 'address', 'add', 'legacy', 'data0', `${LEGACY_NEW}/24`, '-o', 'json']),
    );
    const shared = generationOf(
      await vsnet([
        'policy',
        'update',
        'clients',
        '--route',
        'default via 198.18.10.1',
        '--route',
        'default via 2001:db8:0:10::1',
        '--route',
        `${NEW_ROUTE} via 198.18.10.254`,
        '-o',
        'json',
      ]),
    );
    // Changes of filer1 and filer2 alone are applied while filer3 is down.
    const waitFlags = ['--wait', '--wait-timeout', '20s', '-o', 'json'];
    const engChange = generationOf(
      await vsnet(
        ['vsvr', 'address', 'add', 'eng', 'data0', `${ENG_NEW}/24`, ...waitFlags],
        /^generation \d+ applied on filer1, filer2\n$/,
      ),
    );
    const webChange = generationOf(
      await vsnet(
        ['vsvr', 'address', 'add', 'web', 'data1', `${WEB_NEW}/24`, ...waitFlags],
        /^generation \d+ applied on filer1, filer2\n$/,
      ),
    );
    const bothUp = ['filer1 FILER_PROGRESS_STATE_APPLIED', 'filer2 FILER_PROGRESS_STATE_APPLIED'];
    expect(await changeShown(engChange)).toEqual({ state: 'CHANGE_STATE_APPLIED', filers: bothUp });
    expect(await changeShown(webChange)).toEqual({ state: 'CHANGE_STATE_APPLIED', filers: bothUp });
    expect(await ping(client, ENG_NEW)).toBe(true);
    expect(await ping(c.clientNamespace(CLIENTS.data1), WEB_NEW)).toBe(true);
    // The changes that touch filer3 too reached the filers that are up; filer3's part waits.
    await c.waitFilers(['filer1', 'filer2'], 20_000);
    expect(await hasRoute(salesNs, NEW_ROUTE)).toBe(true);
    expect(await changeShown(shared)).toEqual({
      state: 'CHANGE_STATE_PENDING',
      filers: [
        ...bothUp,
        expect.stringMatching(/^filer3 FILER_PROGRESS_STATE_(PENDING|UNREACHABLE)$/),
      ],
    });
    expect(await changeShown(legacyChange)).toEqual({
      state: 'CHANGE_STATE_PENDING',
      filers: [
        'filer1 FILER_PROGRESS_STATE_APPLIED',
        expect.stringMatching(/^filer3 FILER_PROGRESS_STATE_(PENDING|UNREACHABLE)$/),
      ],
    });
    expect(await ping(client, LEGACY_NEW)).toBe(false);
    expect(await hasRoute(legacyNs, NEW_ROUTE)).toBe(false);
    const status = await vsnet(['filer', 'status']);
    expect(status.stdout).toMatch(/^filer3\b.*\b(unreachable|pending)\b/m);

    await c.startAgent('filer3', { join: false });
    await c.waitConverged(30_000);
    expect(await changeShown(legacyChange)).toEqual({
      state: 'CHANGE_STATE_APPLIED',
      filers: ['filer1 FILER_PROGRESS_STATE_APPLIED', 'filer3 FILER_PROGRESS_STATE_APPLIED'],
    });
    expect((await changeShown(shared)).state).toBe('CHANGE_STATE_APPLIED');
    await expectEventually(async () => expect(await ping(client, LEGACY_NEW)).toBe(true), {
      timeoutMs: 5_000,
    });
    expect(await hasRoute(legacyNs, NEW_ROUTE)).toBe(true);
  }, 120_000);
});
