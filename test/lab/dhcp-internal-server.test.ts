import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NODE_SPEC_OPTIONS } from '@vsnet/dhcp';
import type { ClusterDocument, NodeSpec } from '@vsnet/model';
import { analyzeCluster, compileNodeSpec, decodeClusterDocument } from '@vsnet/model';
import type { AgentProcess } from '../../deploy/lab/src/agent-process.js';
import { Lab, removeStale } from '../../deploy/lab/src/lab.js';
import { run } from '../../deploy/lab/src/run.js';
import { AgentApi, applySummary } from './support/agent-client.js';
import { expectEventually } from './support/expect-eventually.js';
import { agentsLabDescription, CLIENTS, labCluster } from './support/lab-cluster.js';
import { LongRunning, stopStarted } from './support/processes.js';

/**
 * Issue 6 part 5: with `cluster.dhcp: internal`, the filer where vs_mgmt is active runs Kea in
 * vs_mgmt's namespace with the generated configuration; when vs_mgmt moves (its failover group
 * changes), Kea stops on the old filer and runs on the new one. A client on vs_mgmt's network,
 * sending a reserved identifier with the real dhclient, gets its reserved address each time.
 * The client's script only writes the lease to a file: nothing is configured from it.
 */
const PREFIX = `dh${process.pid % 100_000}`;
const FILERS = ['filer1', 'filer2', 'filer3'] as const;
const DESCRIPTION = agentsLabDescription(PREFIX);
const STEP_MS = 45_000;
const MGMT = 'vs_mgmt';

/** The lab cluster with its own DHCP server and a vs_mgmt on data0, first on `first`. */
function cluster(first: 'filer1' | 'filer2'): ClusterDocument {
  const base = labCluster();
  return {
    ...base,
    cluster: { ...base.cluster, dhcp: 'internal' },
    vsvrs: [
      ...(base.vsvrs ?? []),
      {
        name: MGMT,
        failoverGroup: first === 'filer1' ? ['filer1', 'filer2'] : ['filer2', 'filer1'],
        addresses: [{ alias: 'data0', address: '198.18.10.5/24' }],
      },
    ],
  };
}

function compile(doc: ClusterDocument): Map<string, NodeSpec> {
  const decoded = decodeClusterDocument(doc);
  const analysis = analyzeCluster(decoded.cluster);
  const errors = [...decoded.problems, ...analysis.problems].filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    throw new Error(errors.map((e) => e.message).join('\n'));
  }
  return new Map(
    FILERS.map((f) => [f, compileNodeSpec(decoded.cluster, f, analysis, NODE_SPEC_OPTIONS)]),
  );
}

describe('the internal DHCP server follows vs_mgmt', () => {
  let lab: Lab;
  let dir: string;
  const agents = new Map<string, AgentProcess>();
  const apis = new Map<string, AgentApi>();
  const GEN1 = compile(cluster('filer1'));
  const GEN2 = compile(cluster('filer2'));
  /** sales' first IPv4 address: its identifier is reserved in the generated configuration. */
  const sales = GEN1.get('filer1')
    ?.vsvrs.find((v) => v.name === 'sales')
    ?.addresses.find((a) => !a.address.includes(':'));

  const api = (filer: string): AgentApi => {
    const a = apis.get(filer);
    if (a === undefined) {
      throw new Error(`no agent for ${filer}`);
    }
    return a;
  };
  const stateDir = (filer: string): string => join(dir, filer);
  const mgmtNamespace = (filer: string): string => `${lab.vsvrNamespacePrefix(filer)}vs-${MGMT}`;

  /** The namespace Kea (kea-dhcp4) of `filer`'s agent runs in, or undefined when none runs. */
  async function keaNamespace(filer: string): Promise<string | undefined> {
    const pidFile = join(stateDir(filer), 'dhcp-server', 'kea4.kea-dhcp4.pid');
    const pid = (await readFile(pidFile, 'utf8').catch(() => '')).trim();
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (pid === '' || !cmdline.includes('kea-dhcp4')) {
      return undefined;
    }
    const ns = await run('ip', ['netns', 'identify', pid]);
    return ns.stdout.trim();
  }

  async function keaPid(filer: string): Promise<string> {
    return (
      await readFile(join(stateDir(filer), 'dhcp-server', 'kea4.kea-dhcp4.pid'), 'utf8')
    ).trim();
  }

  /**
   * Runs dhclient once in the data0 client's namespace, sending `identifier`; resolves with
   * the address the server offered and acknowledged.
   */
  async function lease(identifier: string, label: string): Promise<string> {
    const base = join(dir, `dhclient-${label}`);
    const leaseOut = `${base}.address`;
    await writeFile(
      `${base}.conf`,
      `send dhcp-client-identifier "${identifier}";\nrequest subnet-mask;\ntimeout 20;\n`,
    );
    // A private script: it only records the address, never configures the interface.
    await writeFile(
      `${base}.sh`,
      `#!/bin/sh\ncase "$reason" in BOUND|RENEW|REBIND|REBOOT) echo "$new_ip_address" > ${leaseOut}.tmp && mv ${leaseOut}.tmp ${leaseOut};; esac\nexit 0\n`,
    );
    await chmod(`${base}.sh`, 0o700);
    const client = LongRunning.inNamespace(
      `dhclient ${label}`,
      lab.clientNamespace(CLIENTS.data0),
      'dhclient',
      [
        '-4',
        '-d',
        '-1',
        '-cf',
        `${base}.conf`,
        '-sf',
        `${base}.sh`,
        '-lf',
        `${base}.leases`,
        '-pf',
        `${base}.pid`,
        'eth0',
      ],
    );
    try {
      let address = '';
      await expectEventually(
        async () => {
          address = (await readFile(leaseOut, 'utf8').catch(() => '')).trim();
          expect(address).not.toBe('');
        },
        { timeoutMs: 25_000 },
      );
      return address;
    } finally {
      await client.stop();
    }
  }

  async function applyAll(specs: Map<string, NodeSpec>, generation: number, order = FILERS) {
    for (const f of order) {
      const spec = specs.get(f);
      if (spec === undefined) {
        throw new Error(`no spec for ${f}`);
      }
      expect(applySummary(await api(f).apply(spec, generation, 1))).toMatchObject({
        generation: String(generation),
        failed: [],
        drift: [],
      });
    }
  }

  beforeAll(async () => {
    await removeStale(PREFIX);
    dir = await mkdtemp(join(tmpdir(), `vsnet-${PREFIX}-`));
    lab = await Lab.build(DESCRIPTION);
    await Promise.all(
      FILERS.map(async (f) => {
        const agent = await lab.startAgent(f, { stateDir: stateDir(f) });
        agents.set(f, agent);
        apis.set(f, new AgentApi(agent.address));
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await stopStarted();
    for (const a of apis.values()) {
      a.close();
    }
    // Stopping the agents stops their Kea (by pid); the lab's teardown removes the namespaces.
    await lab?.teardown();
    await removeStale(PREFIX);
    if (dir !== undefined) {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('puts the server into the spec of the filer where vs_mgmt is active, and only there', () => {
    expect(FILERS.filter((f) => GEN1.get(f)?.dhcpServer !== undefined)).toEqual(['filer1']);
    expect(FILERS.filter((f) => GEN2.get(f)?.dhcpServer !== undefined)).toEqual(['filer2']);
    expect(GEN1.get('filer1')?.dhcpServer).toMatchObject({
      namespace: `vs-${MGMT}`,
      interfaces: ['data0'],
    });
    expect(sales?.address).toBe('198.18.10.21/24');
  });

  it(
    'runs Kea in vs_mgmt namespace on filer1, which gives a client its reserved address',
    async () => {
      await applyAll(GEN1, 1);
      expect(await keaNamespace('filer1')).toBe(mgmtNamespace('filer1'));
      expect(await keaNamespace('filer2')).toBeUndefined();
      expect(await lease(sales?.identifier ?? '', 'gen1')).toBe('198.18.10.21');
    },
    STEP_MS,
  );

  it(
    'moves with vs_mgmt: stopped on filer1, running on filer2, the client still gets its lease',
    async () => {
      await applyAll(GEN2, 2, ['filer1', 'filer2', 'filer3']);
      expect(await keaNamespace('filer1')).toBeUndefined();
      expect(await keaNamespace('filer2')).toBe(mgmtNamespace('filer2'));
      expect(await lease(sales?.identifier ?? '', 'gen2')).toBe('198.18.10.21');
    },
    STEP_MS,
  );

  it(
    'reloads Kea in place when the configuration changes: a new reservation is served at once',
    async () => {
      const before = await keaPid('filer2');
      const doc = cluster('filer2');
      const withPrinter: ClusterDocument = {
        ...doc,
        vsvrs: (doc.vsvrs ?? []).map((v) =>
          v.name === 'sales'
            ? {
                ...v,
                addresses: [...(v.addresses ?? []), { alias: 'data0', address: '198.18.10.22/24' }],
              }
            : v,
        ),
      };
      const GEN3 = compile(withPrinter);
      const added = GEN3.get('filer1')
        ?.vsvrs.find((v) => v.name === 'sales')
        ?.addresses.find((a) => a.address === '198.18.10.22/24');
      await applyAll(GEN3, 3);
      expect(await keaPid('filer2')).toBe(before);
      expect(await lease(added?.identifier ?? '', 'gen3')).toBe('198.18.10.22');
    },
    STEP_MS,
  );

  it(
    'stops Kea when its agent stops',
    async () => {
      const agent = agents.get('filer2');
      await agent?.stop();
      expect(await keaNamespace('filer2')).toBeUndefined();
    },
    STEP_MS,
  );
});
