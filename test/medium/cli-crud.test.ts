import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCli } from '../../apps/cli/src/cli.js';
import { memoryIo } from '../../apps/cli/src/testing/memory-io.js';
import type { MemoryIoOptions } from '../../apps/cli/src/testing/memory-io.js';
import { startControl } from './support/control-service.js';
import type { RunningControl } from './support/control-service.js';

// The resource verbs (`vsnet cluster|filer|iface|vsvr|policy|route|site|audit|principal|
// token|whoami`) through runCli against a running control service: what a person sees on
// stdout and stderr, and the exit status a script branches on.

const REPO = join(import.meta.dirname, '..', '..');
const LAB = readFileSync(join(REPO, 'deploy/examples/lab-cluster.yaml'), 'utf8');

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI bound to one running service, with the admin's token unless `env` says otherwise. */
function cliFor(r: () => RunningControl) {
  return async (args: string[], options: MemoryIoOptions = {}): Promise<Ran> => {
    const mem = memoryIo({
      ...options,
      env: { VSNET_SERVER: r().address, VSNET_TOKEN: r().adminToken, ...options.env },
    });
    const code = await runCli(args, mem.io);
    return { code, stdout: mem.stdout(), stderr: mem.stderr() };
  };
}

/** Asserts success with nothing on stderr; returns stdout. */
function ok(ran: Ran): string {
  expect(ran.stderr).toBe('');
  expect(ran.code).toBe(0);
  return ran.stdout;
}

/** Asserts one refusal line on stderr (plus indented violations) and the exit status. */
function refused(ran: Ran, code: number, message: RegExp): void {
  expect(ran.stdout).toBe('');
  const [first, ...rest] = ran.stderr.trimEnd().split('\n');
  expect(first).toMatch(message);
  for (const line of rest) {
    expect(line).toMatch(/^ {2}\S+: \S/);
  }
  expect(ran.code).toBe(code);
}

describe('vsnet resource verbs on a cluster built one call at a time', () => {
  let r: RunningControl;
  const vsnet = cliFor(() => r);

  beforeAll(async () => {
    r = await startControl('cli_crud_fresh');
  });

  afterAll(async () => {
    await r?.stop();
  });

  it('says the token is missing in one line with the hint to set VSNET_TOKEN, exit 6', async () => {
    const ran = await vsnet(['vsvr', 'list'], { env: { VSNET_TOKEN: undefined } });
    refused(ran, 6, /^vsnet: 127\.0\.0\.1:\d+ refused the call: no token.*set VSNET_TOKEN/);
    expect(ran.stderr.split('\n')).toHaveLength(2);
  });

  it('takes the server and token from the config file VSNET_CONFIG names', async () => {
    const files = { '/etc/vsnet.yaml': `server: ${r.address}\ntoken: ${r.adminToken}\n` };
    const mem = memoryIo({ files, env: { VSNET_CONFIG: '/etc/vsnet.yaml' } });
    expect(await runCli(['whoami'], mem.io)).toBe(0);
    expect(mem.stdout()).toMatch(/^principal: +admin$/m);
    const xdg = memoryIo({
      files: { '/home/u/.cfg/vsnet/config.yaml': `server: ${r.address}\ntoken: wrong\n` },
      env: { XDG_CONFIG_HOME: '/home/u/.cfg' },
    });
    expect(await runCli(['whoami'], xdg.io)).toBe(6);
    expect(xdg.stderr()).toMatch(/the token is unknown, revoked or expired/);
  });

  it('says the cluster is not initialized before cluster init, exit 1', async () => {
    refused(await vsnet(['cluster', 'show']), 1, /^vsnet: 127\.0\.0\.1:\d+: .*/);
  });

  it('initializes the cluster: cluster init, then cluster show', async () => {
    expect(
      ok(await vsnet(['cluster', 'init', '--name', 'lab', '--mac', '00:00:5e:00:53:01'])),
    ).toBe('initialized cluster lab with cluster MAC 00:00:5e:00:53:01; generation 1\n');
    const shown = ok(await vsnet(['cluster', 'show']));
    expect(shown).toMatch(/^name: +lab$/m);
    expect(shown).toMatch(/^cluster MAC: +00:00:5e:00:53:01$/m);
    expect(shown).toMatch(/^generation: +1$/m);
    refused(
      await vsnet(['cluster', 'init', '--name', 'lab', '--mac', '00:00:5e:00:53:01']),
      5,
      /^vsnet: 127\.0\.0\.1:\d+: /,
    );
  });

  it('registers a filer and lists it', async () => {
    const done = ok(
      await vsnet([
        'filer',
        'register',
        'filer1',
        '--iface',
        'eth0=00:00:5e:00:53:10',
        '--iface',
        'eth1=00:00:5e:00:53:11,mtu=9000',
        '--iface',
        'eth2=00:00:5e:00:53:12,mtu=9000',
      ]),
    );
    expect(done).toBe('registered filer filer1 with eth0, eth1, eth2; generation 2\n');
    const listed = ok(await vsnet(['filer', 'list']));
    expect(listed.split('\n')[0]).toMatch(/^NAME +PORTS +ALIASES$/);
    expect(listed).toMatch(/^filer1 +eth0 eth1 eth2\s*$/m);
    refused(
      await vsnet(['filer', 'register', 'filer2', '--iface', 'eth0=00:00:5e:00:53:10']),
      5,
      /^vsnet: 127\.0\.0\.1:\d+: /,
    );
  });

  it('builds the interface hierarchy: bond, VLANs, failover interface, aliases', async () => {
    expect(
      ok(await vsnet(['iface', 'create', 'bond', 'filer1', '--members', 'eth1,eth2'])),
    ).toMatch(/^created bond bond0 on filer1 \(members eth1,eth2.*\); generation 3\n$/);
    expect(ok(await vsnet(['iface', 'create', 'vlan', 'filer1', 'bond0', '20']))).toMatch(
      /^created VLAN bond0\.20 on filer1; generation 4\n$/,
    );
    ok(await vsnet(['iface', 'create', 'vlan', 'filer1', 'eth0', '20']));
    expect(
      ok(
        await vsnet([
          'iface',
          'create',
          'failover',
          'filer1',
          '--members',
          'bond0.20,eth0.20',
          '--primary',
          'bond0.20',
        ]),
      ),
    ).toMatch(
      /^created failover interface fail0 on filer1 \(members bond0\.20,eth0\.20 primary bond0\.20\); generation 6\n$/,
    );
    expect(ok(await vsnet(['iface', 'create', 'alias', 'filer1', 'data', '--on', 'bond0']))).toBe(
      'created alias data0 on filer1 (on bond0); generation 7\n',
    );
    ok(await vsnet(['iface', 'create', 'alias', 'filer1', 'mgmt', '--on', 'eth0']));
    const listed = ok(await vsnet(['iface', 'list', 'filer1']));
    expect(listed.split('\n')[0]).toMatch(/^NAME +KIND +MTU +BUILT FROM$/);
    expect(listed).toMatch(/^bond0 +bond +9000 +members eth1,eth2/m);
    expect(listed).toMatch(/^data0 +alias +\d+ +on bond0$/m);
    const yaml = ok(await vsnet(['iface', 'list', '-o', 'yaml']));
    expect(yaml).toMatch(/^interfaces:\n {2}- filer: filer1\n/);
  });

  it('creates a vsvr and adds an address, naming its instance and DHCP identifier', async () => {
    expect(ok(await vsnet(['vsvr', 'create', 'web']))).toMatch(
      /^created vsvr web \(failover group: any filer; routing policy: the cluster's default\); generation \d+\n$/,
    );
    expect(ok(await vsnet(['vsvr', 'address', 'add', 'web', 'data0', '198.51.100.7/24']))).toMatch(
      /^added 198\.51\.100\.7\/24 to web as data0#0 \(identifier 00:00:5e:00:53:01:data0:web:0\); generation \d+\n$/,
    );
    const shown = ok(await vsnet(['filer', 'show', 'filer1']));
    expect(shown).toMatch(/^runs: +web$/m);
    // The alias carries the vsvr's address: deleting it is refused as the cluster stands.
    refused(await vsnet(['iface', 'delete', 'filer1', 'data0']), 1, /^vsnet: 127\.0\.0\.1:\d+: /);
  });

  it('changes the cluster MAC, refusing a stale --expected-generation with exit 1', async () => {
    refused(
      await vsnet(['cluster', 'set-mac', '00:00:5e:00:53:02', '--expected-generation', '1']),
      1,
      /^vsnet: 127\.0\.0\.1:\d+: /,
    );
    expect(ok(await vsnet(['cluster', 'set-mac', '00:00:5e:00:53:02']))).toMatch(
      /^changed the cluster MAC to 00:00:5e:00:53:02; generation \d+\n$/,
    );
    const shown = ok(await vsnet(['vsvr', 'show', 'web']));
    expect(shown).toContain('00:00:5e:00:53:02:data0:web:0');
  });
});

describe('vsnet resource verbs on the lab cluster', () => {
  let r: RunningControl;
  const vsnet = cliFor(() => r);

  beforeAll(async () => {
    r = await startControl('cli_crud_lab');
    const applied = await vsnet(['apply', '-f', 'lab.yaml'], { files: { 'lab.yaml': LAB } });
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
  });

  afterAll(async () => {
    await r?.stop();
  });

  it('lists the vsvrs as an aligned table, and as JSON', async () => {
    const table = ok(await vsnet(['vsvr', 'list']));
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +RUNS ON +FAILOVER GROUP +POLICY +ADDRESSES$/);
    const runsOn = lines[0]?.indexOf('RUNS ON');
    const sales = lines.find((l) => l.startsWith('sales '));
    expect(sales?.indexOf('filer1')).toBe(runsOn);
    expect(table).toMatch(/^legacy +filer3 +filer3, filer2 +data0#0 198\.51\.100\.31\/24$/m);
    const json = JSON.parse(ok(await vsnet(['vsvr', 'list', '-o', 'json']))) as {
      vsvrs: { vsvr: { name: string } }[];
    };
    expect(json.vsvrs.map((v) => v.vsvr.name)).toEqual([
      'archive',
      'eng',
      'legacy',
      'sales',
      'vs_mgmt',
    ]);
    const onFiler3 = ok(await vsnet(['vsvr', 'list', '--filer', 'filer3']));
    expect(onFiler3).not.toMatch(/^archive /m);
  });

  it('shows a vsvr with its placement and addresses', async () => {
    const shown = ok(await vsnet(['vsvr', 'show', 'eng']));
    expect(shown).toMatch(/^failover group: +filer2, filer1$/m);
    expect(shown).toMatch(/^routing policy: +group-a$/m);
    expect(shown).toMatch(
      /^ {2}data1#0 +198\.18\.1\.41\/24 +static +hq +00:00:5e:00:53:01:data1:eng:0$/m,
    );
    expect(shown).toMatch(/own routes \(1 route\):\n {2}203\.0\.113\.0\/24 via 198\.18\.1\.254/);
  });

  it('creates, regroups and deletes a vsvr, one line each with the generation', async () => {
    expect(ok(await vsnet(['vsvr', 'create', 'ops', '--failover-group', 'filer1,filer2']))).toBe(
      "created vsvr ops (failover group: filer1, filer2; routing policy: the cluster's default); generation 2\n",
    );
    expect(ok(await vsnet(['vsvr', 'set-group', 'ops', 'filer2,filer1']))).toBe(
      'set the failover group of ops to filer2, filer1 (runs on filer2); generation 3\n',
    );
    expect(ok(await vsnet(['vsvr', 'set-group', 'ops', '--any']))).toMatch(
      /^set the failover group of ops to any filer \(runs on filer1\); generation 4\n$/,
    );
    expect(ok(await vsnet(['vsvr', 'delete', 'ops']))).toBe('deleted vsvr ops; generation 5\n');
  });

  it('adds and removes an address by address and by ALIAS#N', async () => {
    expect(ok(await vsnet(['vsvr', 'address', 'add', 'sales', 'data0', '198.51.100.7/24']))).toBe(
      'added 198.51.100.7/24 to sales as data0#2 (identifier 00:00:5e:00:53:01:data0:sales:2); generation 6\n',
    );
    expect(
      ok(
        await vsnet([
          'vsvr',
          'address',
          'add',
          'sales',
          'data0',
          '198.51.100.8/24',
          '--instance',
          '7',
          '--dhcp',
        ]),
      ),
    ).toBe(
      'added 198.51.100.8/24 (dhcp) to sales as data0#7 (identifier 00:00:5e:00:53:01:data0:sales:7); generation 7\n',
    );
    expect(ok(await vsnet(['vsvr', 'address', 'remove', 'sales', 'data0#7']))).toBe(
      'removed 198.51.100.8/24 (data0#7) from sales; generation 8\n',
    );
    expect(ok(await vsnet(['vsvr', 'address', 'remove', 'sales', '198.51.100.7/24']))).toBe(
      'removed 198.51.100.7/24 (data0#2) from sales; generation 9\n',
    );
    const json = JSON.parse(
      ok(
        await vsnet(['vsvr', 'address', 'add', 'sales', 'data0', '198.51.100.9/24', '-o', 'json']),
      ),
    ) as Record<string, unknown>;
    expect(json).toEqual({
      vsvr: 'sales',
      address: { alias: 'data0', address: '198.51.100.9/24', instance: 2 },
      identifier: '00:00:5e:00:53:01:data0:sales:2',
      generation: 10,
    });
  });

  it('gives each refusal its own exit status and one line', async () => {
    refused(await vsnet(['vsvr', 'show', 'nope']), 4, /^vsnet: 127\.0\.0\.1:\d+: .*nope/);
    refused(await vsnet(['vsvr', 'create', 'sales']), 5, /^vsnet: 127\.0\.0\.1:\d+: /);
    refused(
      await vsnet(['vsvr', 'address', 'add', 'legacy', 'data0', '198.51.100.21/24']),
      5,
      /^vsnet: 127\.0\.0\.1:\d+: /,
    );
    refused(
      await vsnet(['vsvr', 'address', 'add', 'sales', 'data0', '198.51.100.300/24']),
      3,
      /^vsnet: 127\.0\.0\.1:\d+: /,
    );
    refused(
      // filer3, in legacy's failover group, has no data1.
      await vsnet(['vsvr', 'address', 'add', 'legacy', 'data1', '198.18.1.77/24']),
      1,
      /^vsnet: 127\.0\.0\.1:\d+: /,
    );
    const viewer = await r.principal('viewer', 'read-only');
    refused(
      await vsnet(['vsvr', 'create', 'x'], { env: { VSNET_TOKEN: viewer } }),
      7,
      /^vsnet: 127\.0\.0\.1:\d+ refused the call: .*vsnet whoami/,
    );
  });

  it('manages routing policies: create, show, list, update, set-default, delete', async () => {
    expect(
      ok(
        await vsnet([
          'policy',
          'create',
          'office',
          '--extends',
          'cluster-default',
          '--route',
          '2001:db8:2::/48 via 2001:db8:1:100::1 metric 50',
        ]),
      ),
    ).toMatch(
      /^created routing policy office \(1 route, extends cluster-default\); generation \d+\n$/,
    );
    const shown = ok(await vsnet(['policy', 'show', 'office']));
    expect(shown).toMatch(/^extends: +cluster-default$/m);
    expect(shown).toMatch(/^ {2}2001:db8:2::\/48 +2001:db8:1:100::1 +50 +office$/m);
    // Resolved routes are canonical: `default` is one route per family.
    expect(shown).toMatch(/^ {2}0\.0\.0\.0\/0 +198\.51\.100\.1 +cluster-default$/m);
    const listed = ok(await vsnet(['policy', 'list']));
    expect(listed.split('\n')[0]).toMatch(/^NAME +EXTENDS +ROUTES$/);
    expect(listed).toMatch(
      /^office +cluster-default +2001:db8:2::\/48 via 2001:db8:1:100::1 metric 50$/m,
    );
    expect(ok(await vsnet(['policy', 'update', 'office', '--no-extends']))).toMatch(
      /^updated routing policy office \(1 route\); generation \d+\n$/,
    );
    expect(ok(await vsnet(['policy', 'set-default', 'office']))).toMatch(
      /^set the cluster's default routing policy to office; generation \d+\n$/,
    );
    refused(await vsnet(['policy', 'delete', 'office']), 1, /^vsnet: 127\.0\.0\.1:\d+: /);
    ok(await vsnet(['policy', 'set-default', 'cluster-default']));
    expect(ok(await vsnet(['policy', 'delete', 'office']))).toMatch(
      /^deleted routing policy office; generation \d+\n$/,
    );
    refused(await vsnet(['policy', 'show', 'office']), 4, /^vsnet: 127\.0\.0\.1:\d+: /);
  });

  it("manages a vsvr's own routes: add, list, remove", async () => {
    expect(
      ok(await vsnet(['route', 'add', 'sales', '203.0.113.0/24', '--via', '198.51.100.254'])),
    ).toMatch(/^added route 203\.0\.113\.0\/24 via 198\.51\.100\.254 to sales; generation \d+\n$/);
    const listed = ok(await vsnet(['route', 'list', 'sales']));
    // The effective routes: canonical, each with the alias it leaves through and its origin.
    expect(listed.split('\n')[0]).toMatch(/^TO +VIA +ALIAS +FROM$/);
    expect(listed).toMatch(/^203\.0\.113\.0\/24 +198\.51\.100\.254 +data0 +vsvr sales$/m);
    expect(listed).toMatch(/^0\.0\.0\.0\/0 +198\.51\.100\.1 +data0 +cluster-default$/m);
    refused(
      await vsnet(['route', 'add', 'sales', '203.0.113.0/24', '--via', '198.51.100.254']),
      5,
      /^vsnet: 127\.0\.0\.1:\d+: /,
    );
    expect(ok(await vsnet(['route', 'remove', 'sales', '203.0.113.0/24']))).toMatch(
      /^removed route 203\.0\.113\.0\/24 via 198\.51\.100\.254 from sales; generation \d+\n$/,
    );
  });

  it('manages sites: create, show, list, update, delete', async () => {
    expect(ok(await vsnet(['site', 'create', 'dr', '--subnet', '2001:db8:3::/48']))).toMatch(
      /^created site dr \(1 subnet: 2001:db8:3::\/48\); generation \d+\n$/,
    );
    refused(
      await vsnet(['site', 'create', 'dr2', '--subnet', '203.0.113.128/25']),
      1,
      /^vsnet: 127\.0\.0\.1:\d+: /,
    );
    expect(ok(await vsnet(['site', 'show', 'dr']))).toMatch(/^subnets: +2001:db8:3::\/48$/m);
    expect(
      ok(await vsnet(['site', 'update', 'dr', '--subnet', '2001:db8:3::/48,2001:db8:4::/48'])),
    ).toMatch(
      /^updated site dr \(2 subnets: 2001:db8:3::\/48, 2001:db8:4::\/48\); generation \d+\n$/,
    );
    const listed = ok(await vsnet(['site', 'list']));
    expect(listed).toMatch(/^dr +2001:db8:3::\/48\n +2001:db8:4::\/48$/m);
    expect(ok(await vsnet(['site', 'delete', 'dr']))).toMatch(
      /^deleted site dr; generation \d+\n$/,
    );
  });

  it('manages principals and tokens, and says who the caller is', async () => {
    const me = ok(await vsnet(['whoami']));
    expect(me).toMatch(/^principal: +admin$/m);
    expect(me).toMatch(/^role: +cluster-network$/m);
    expect(
      ok(
        await vsnet([
          'principal',
          'create',
          'sales-admin',
          '--role',
          'vsvr-network',
          '--vsvr',
          'sales',
        ]),
      ),
    ).toMatch(/^created principal sales-admin \(vsvr-network on sales\); generation \d+\n$/);
    const listed = ok(await vsnet(['principal', 'list']));
    expect(listed).toMatch(/^sales-admin +vsvr-network +sales +\d{4}-/m);
    const created = JSON.parse(
      ok(
        await vsnet([
          'token',
          'create',
          'sales-admin',
          '--description',
          'ci',
          '--expires',
          '30d',
          '-o',
          'json',
        ]),
      ),
    ) as { token: { id: string; expiresUnixMs: number }; secret: string };
    expect(created.token.expiresUnixMs).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const asSales = { env: { VSNET_TOKEN: created.secret } };
    expect(ok(await vsnet(['whoami'], asSales))).toMatch(/^vsvrs: +sales$/m);
    ok(await vsnet(['vsvr', 'address', 'add', 'sales', 'data0', '198.51.100.60/24'], asSales));
    refused(
      await vsnet(['vsvr', 'address', 'add', 'eng', 'data0', '198.51.100.61/24'], asSales),
      7,
      /refused the call/,
    );
    expect(ok(await vsnet(['token', 'revoke', created.token.id]))).toMatch(
      new RegExp(`^revoked token ${created.token.id}; generation \\d+\\n$`),
    );
    refused(
      await vsnet(['whoami'], asSales),
      6,
      /refused the call: the token is unknown, revoked or expired/,
    );
  });

  it('lists the audit trail newest first, filtered', async () => {
    const table = ok(await vsnet(['audit', '--rpc', 'AddAddress', '--limit', '2']));
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME +PRINCIPAL +RPC +TARGET +GEN +CHANGE$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +sales-admin +AddAddress +vsvr sales +\d+ +.* → .*198\.51\.100\.60/,
    );
    const json = JSON.parse(ok(await vsnet(['audit', '--since', '1h', '-o', 'json']))) as {
      entries: { generation: number }[];
    };
    const generations = json.entries.map((e) => e.generation).filter((g) => g > 0);
    expect(generations).toEqual([...generations].sort((a, b) => b - a));
    refused(
      await vsnet(['audit', '--since', 'yesterday']),
      2,
      /--since yesterday: expected a duration/,
    );
  });
});
