import { createConnection, createServer } from 'node:net';
import type { Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ClusterDocument, NodeSpec } from '@vsnet/model';
import { analyzeCluster, decodeClusterDocument } from '@vsnet/model';
import { buildDhcpPlan } from '@vsnet/dhcp';
import type { GetStateResponse__Output } from '@vsnet/contracts';
import type { CreateJoinTokenResponse__Output } from '../../../libs/contracts/src/generated/vsnet/v1/CreateJoinTokenResponse.js';
import { AGENT_MAIN, repoRoot, spawnAgent } from '../../../deploy/lab/src/agent-process.js';
import type { AgentProcess } from '../../../deploy/lab/src/agent-process.js';
import { Lab, removeStale } from '../../../deploy/lab/src/lab.js';
import { run } from '../../../deploy/lab/src/run.js';
import { startControl } from '../../medium/support/control-service.js';
import type { RunningControl } from '../../medium/support/control-service.js';
import { applyAsAdmin } from '../../medium/support/documents.js';
import { AgentApi } from './agent-client.js';
import type { LabDhcpServer } from './dhcp-servers.js';
import { startDhcpd, startKea } from './dhcp-servers.js';
import { expectEventually } from './expect-eventually.js';
import { compileLab } from './lab-cluster.js';
import { globalAddresses, links, ping } from './netns.js';
import { LongRunning, stopStarted } from './processes.js';

/**
 * Issue 6 parts 3 and 4 in a lab, against a real DHCP server serving the configuration vsnet
 * generates: one `mgmt` segment with the server (`srv`, 198.18.0.100) and three filers —
 * `filer1` of cluster lab with its mgmt0 addresses in `dhcp` mode, and vsvr `web` on it with its
 * data0 address in `dhcp` mode too; `alien` (a filer1 of another cluster: other cluster MAC,
 * same addresses); and `filer3`, a bare filer in bootstrap mode.
 */
const LAB_MAC = '00:00:5e:00:53:01';
const OTHER_MAC = '00:00:5e:00:53:02';
const SERVER_ADDRESS = '198.18.0.100';
const RELAY_PORT = 50_051;
const POOL = { first: '198.18.0.200', last: '198.18.0.220' };
/** vsvr `web`'s data0 address, in `dhcp` mode, on filer1. */
const WEB_ADDRESS = '198.18.0.31/24';

function labDocument(
  name: string,
  mac: string,
  filers: ClusterDocument['filers'],
  vsvrs: NonNullable<ClusterDocument['vsvrs']> = [],
): ClusterDocument {
  return { apiVersion: 'vsnet/v1', kind: 'Cluster', cluster: { name, mac }, filers, vsvrs };
}

function mgmtFiler(
  name: string,
  ethMac: string,
  addresses: ClusterDocument['filers'][number]['addresses'],
  data = false,
): ClusterDocument['filers'][number] {
  return {
    name,
    interfaces: [
      { name: 'eth0', mac: ethMac },
      { name: 'mgmt0', on: 'eth0' },
      ...(data ? [{ name: 'data0', on: 'eth0' }] : []),
    ],
    addresses,
  };
}

/** What a user reads of GetState's leases: owner, alias, reserved and leased address, state. */
function leaseRows(state: GetStateResponse__Output): string[] {
  return state.dhcpLeases
    .map(
      (l) =>
        `${l.vsvr || '-'} ${l.alias} ${l.reservedAddress} ${l.leasedAddress || '-'} ${l.state}`,
    )
    .sort();
}

/** The processes running in a namespace, as `pid command`. */
async function processesIn(ns: string): Promise<string[]> {
  const pids = (await run('ip', ['netns', 'pids', ns], { allowFailure: true })).stdout
    .split(/\s+/)
    .filter(Boolean);
  const out: string[] = [];
  for (const pid of pids) {
    const r = await run('ps', ['-o', 'comm=', '-p', pid], { allowFailure: true });
    if (r.stdout.trim() !== '') {
      out.push(r.stdout.trim());
    }
  }
  return out;
}

/** The DHCP clients running in a namespace (the agent's, since the test starts none). */
async function dhclientsIn(ns: string): Promise<string[]> {
  return (await processesIn(ns)).filter((c) => c === 'dhclient');
}

async function macOf(ns: string, dev: string): Promise<string> {
  const link = (await links(ns)).find((l) => l.ifname === dev);
  if (link?.address === undefined) {
    throw new Error(`${ns} has no ${dev}`);
  }
  return link.address;
}

/** The suite, once per DHCP server implementation. Needs root (namespaces, dhclient). */
export function describeDhcpLab(kind: 'kea' | 'dhcpd'): void {
  const root = process.getuid?.() === 0;
  const suite = root ? describe : describe.skip;
  const PREFIX = `${kind === 'kea' ? 'dk' : 'dd'}${process.pid % 100_000}`;

  suite(
    `dhcp address mode and bootstrap against ${kind === 'kea' ? 'Kea' : 'ISC dhcpd'} (needs root)`,
    () => {
      let lab: Lab;
      let dir: string;
      let server: LabDhcpServer | undefined;
      let specs: Map<string, NodeSpec>;
      let alienSpec: NodeSpec;
      let labDoc: ClusterDocument;
      const agents: AgentProcess[] = [];
      const apis: AgentApi[] = [];
      let control: RunningControl | undefined;
      let relay: Server | undefined;

      beforeAll(async () => {
        await removeStale(PREFIX);
        dir = await mkdtemp(join(tmpdir(), `vsnet-${PREFIX}-`));
        lab = await Lab.build({
          prefix: PREFIX,
          segments: ['mgmt'],
          filers: ['filer1', 'alien', 'filer3'].map((name) => ({
            name,
            ports: [{ eth: 'eth0', segment: 'mgmt' }],
          })),
          clients: [
            {
              name: 'srv',
              segment: 'mgmt',
              addresses: [`${SERVER_ADDRESS}/24`, '2001:db8:0:1::100/64'],
            },
          ],
        });
        const [mac1, macAlien, mac3] = await Promise.all(
          ['filer1', 'alien', 'filer3'].map((f) => macOf(lab.filerNamespace(f), 'eth0')),
        );
        labDoc = labDocument(
          'lab',
          LAB_MAC,
          [
            mgmtFiler(
              'filer1',
              mac1 ?? '',
              [
                { alias: 'mgmt0', address: '198.18.0.11/24', mode: 'dhcp' },
                { alias: 'mgmt0', address: '2001:db8:0:1::11/64', mode: 'dhcp' },
              ],
              true,
            ),
            mgmtFiler('filer3', mac3 ?? '', [
              { alias: 'mgmt0', address: '198.18.0.13/24', mode: 'dhcp' },
            ]),
          ],
          [
            {
              name: 'web',
              failoverGroup: ['filer1'],
              addresses: [{ alias: 'data0', address: WEB_ADDRESS, mode: 'dhcp' }],
            },
          ],
        );
        specs = compileLab(labDoc);
        // Another cluster's filer1 asks for the very same addresses, under its own cluster MAC.
        alienSpec =
          compileLab(
            labDocument('other', OTHER_MAC, [
              mgmtFiler('filer1', macAlien ?? '', [
                { alias: 'mgmt0', address: '198.18.0.11/24', mode: 'dhcp' },
                { alias: 'mgmt0', address: '2001:db8:0:1::11/64', mode: 'dhcp' },
              ]),
            ]),
          ).get('filer1') ?? (undefined as never);
        const decoded = decodeClusterDocument(labDoc);
        // What `vsnet dhcp export --interface eth0 --first-boot-pool 198.18.0.0/24=FIRST-LAST`
        // (and for Kea `--no-lease-file`) writes: served on the link of eth0, with a pool for
        // the first-boot requests (and any client without a reservation, like alien's).
        const plan = buildDhcpPlan(decoded.cluster, analyzeCluster(decoded.cluster), {
          interfaces: ['eth0'],
          firstBootPools: [{ subnet: '198.18.0.0/24', range: `${POOL.first}-${POOL.last}` }],
          ...(kind === 'kea' ? { leaseDatabase: { persist: false } } : {}),
        });
        const srv = lab.clientNamespace('srv');
        server =
          kind === 'kea'
            ? await startKea(srv, join(dir, 'kea'), plan, { iface: 'eth0' })
            : await startDhcpd(srv, join(dir, 'dhcpd'), plan, { iface: 'eth0' });
      }, 60_000);

      afterAll(async () => {
        apis.forEach((a) => a.close());
        await Promise.all(agents.map((a) => a.stop()));
        await server?.stop();
        await stopStarted();
        await new Promise((resolve) => (relay ? relay.close(resolve) : resolve(undefined)));
        await control?.stop();
        await lab?.teardown();
        await removeStale(PREFIX);
        if (dir) {
          await rm(dir, { recursive: true, force: true });
        }
      }, 60_000);

      async function labAgent(namespaceOf: string, filer: string): Promise<AgentApi> {
        const agent = await spawnAgent({
          filer,
          filerNamespace: lab.filerNamespace(namespaceOf),
          namespacePrefix: lab.vsvrNamespacePrefix(namespaceOf),
          stateDir: join(dir, `state-${namespaceOf}`),
        });
        agents.push(agent);
        const api = new AgentApi(agent.address);
        apis.push(api);
        return api;
      }

      it('serves the generated configuration: a filer in dhcp mode gets exactly its reserved addresses, IPv4 and IPv6', async () => {
        const ns = lab.filerNamespace('filer1');
        const api = await labAgent('filer1', 'filer1');
        const answer = await api.apply(specs.get('filer1') ?? (undefined as never), 1, 1);
        expect(
          answer.items
            .filter((i) => i.item.startsWith('dhcp address'))
            .map((i) => i.item)
            .sort(),
        ).toEqual([
          'dhcp address 198.18.0.11/24 on mgmt0',
          `dhcp address ${WEB_ADDRESS} on data0 in vsvr web`,
          'dhcp address 2001:db8:0:1::11/64 on mgmt0',
        ]);
        await expectEventually(
          async () =>
            expect((await globalAddresses(ns)).sort()).toEqual([
              'mgmt0 198.18.0.11/24',
              'mgmt0 2001:db8:0:1::11/64',
            ]),
          { timeoutMs: 20_000 },
        );
        expect(await dhclientsIn(ns)).toEqual(['dhclient', 'dhclient']);
        const srv = lab.clientNamespace('srv');
        expect(await ping(srv, '198.18.0.11')).toBe(true);
        await expectEventually(async () => expect(await ping(srv, '2001:db8:0:1::11')).toBe(true));
        // The vsvr's client may be answered a moment after the filer's.
        await expectEventually(async () =>
          expect(leaseRows(await api.getState())).toContain(
            `web data0 ${WEB_ADDRESS} 198.18.0.31 DHCP_LEASE_STATE_BOUND`,
          ),
        );
        const state = await api.getState();
        expect(leaseRows(state)).toEqual([
          '- mgmt0 198.18.0.11/24 198.18.0.11 DHCP_LEASE_STATE_BOUND',
          '- mgmt0 2001:db8:0:1::11/64 2001:db8:0:1::11 DHCP_LEASE_STATE_BOUND',
          `web data0 ${WEB_ADDRESS} 198.18.0.31 DHCP_LEASE_STATE_BOUND`,
        ]);
        const v4 = state.dhcpLeases.find((l) => l.alias === 'mgmt0' && l.family === 4);
        expect(v4?.identifier).toBe('00:00:5e:00:53:01:mgmt0:filer1');
        expect(v4?.server).toBe(SERVER_ADDRESS);
        expect(Number(v4?.expiresUnixMs)).toBeGreaterThan(Date.now());
        const v6 = state.dhcpLeases.find((l) => l.family === 6);
        expect(v6?.server).toMatch(/^[0-9a-f]{1,2}(:[0-9a-f]{1,2})+$/);
      }, 40_000);

      it("runs a vsvr's DHCP client in the vsvr's namespace, and plumbs its data0 address once leased as reserved", async () => {
        const vsvrNs =
          lab.vsvrNamespacePrefix('filer1') +
          (specs.get('filer1')?.vsvrs.find((v) => v.name === 'web')?.namespace ?? '');
        await expectEventually(
          async () => expect(await globalAddresses(vsvrNs)).toEqual([`data0 ${WEB_ADDRESS}`]),
          { timeoutMs: 20_000 },
        );
        expect(await dhclientsIn(vsvrNs)).toEqual(['dhclient']);
        expect(await ping(lab.clientNamespace('srv'), '198.18.0.31')).toBe(true);
      }, 40_000);

      it('gives a filer of another cluster (other cluster MAC) none of them, and reports the mismatch', async () => {
        const ns = lab.filerNamespace('alien');
        const api = await labAgent('alien', 'filer1');
        await api.apply(alienSpec, 1, 1);
        // The server has no reservation for the other cluster's identifier: at most a pool
        // address, which the agent reports as a MISMATCH and does not plumb.
        await expectEventually(
          async () => {
            const refusal = await api.apply(alienSpec, 1, 1).then(
              () => '',
              (err: Error) => err.message,
            );
            expect(refusal).toMatch(
              /MISMATCH: the DHCP server leased 198\.18\.0\.2\d\d to identifier 00:00:5e:00:53:02:mgmt0:filer1, but vsnet reserved 198\.18\.0\.11\/24/,
            );
          },
          { timeoutMs: 20_000 },
        );
        expect(leaseRows(await api.getState())).toContainEqual(
          expect.stringMatching(
            /^- mgmt0 198\.18\.0\.11\/24 198\.18\.0\.2\d\d DHCP_LEASE_STATE_MISMATCH$/,
          ),
        );
        expect(await globalAddresses(ns)).toEqual([]);
        expect(await globalAddresses(lab.filerNamespace('filer1'))).toContain(
          'mgmt0 198.18.0.11/24',
        );
      }, 40_000);

      it('stops the DHCP clients when the addresses leave dhcp mode, and on agent stop', async () => {
        const ns = lab.filerNamespace('filer1');
        const staticDoc: ClusterDocument = {
          ...labDoc,
          filers: labDoc.filers.map((f) =>
            f.name === 'filer1'
              ? {
                  ...f,
                  addresses: (f.addresses ?? []).map((a) => ({ ...a, mode: 'static' as const })),
                }
              : f,
          ),
          vsvrs: (labDoc.vsvrs ?? []).map((v) => ({
            ...v,
            addresses: (v.addresses ?? []).map((a) => ({ ...a, mode: 'static' as const })),
          })),
        };
        const api = apis[0];
        const staticSpec = compileLab(staticDoc).get('filer1');
        if (staticSpec === undefined) {
          throw new Error('the lab document has no filer1');
        }
        await api?.apply(staticSpec, 2, 1);
        expect(await dhclientsIn(ns)).toEqual([]);
        const vsvrNs =
          lab.vsvrNamespacePrefix('filer1') +
          (staticSpec.vsvrs.find((v) => v.name === 'web')?.namespace ?? '');
        expect(await dhclientsIn(vsvrNs)).toEqual([]);
        expect(await globalAddresses(vsvrNs)).toEqual([`data0 ${WEB_ADDRESS}`]);
        expect((await api?.getState())?.dhcpLeases).toEqual([]);
        expect((await globalAddresses(ns)).sort()).toEqual([
          'mgmt0 198.18.0.11/24',
          'mgmt0 2001:db8:0:1::11/64',
        ]);
        const alienNs = lab.filerNamespace('alien');
        expect(await dhclientsIn(alienNs)).toEqual(['dhclient', 'dhclient']);
        await agents[1]?.stop();
        expect(await dhclientsIn(alienNs)).toEqual([]);
      }, 40_000);

      it("builds a bare filer's mgmt0 from the vendor options in bootstrap mode, and it registers with the control service", async () => {
        control = await startControl(`dhcp${kind}`);
        await applyAsAdmin(control, labDoc);
        const { res } = await control.call<CreateJoinTokenResponse__Output>(
          'FilerService',
          'CreateJoinToken',
          { filer: 'filer3' },
          control.adminToken,
        );
        // The control service listens on the root namespace's loopback; the filer reaches it
        // over its mgmt0 at srv, whose relay hands the bytes over a unix socket.
        const socket = join(dir, 'control.sock');
        const [host, port] = control.address.split(':');
        relay = createServer((s) => {
          const c = createConnection(Number(port), host);
          s.pipe(c).pipe(s);
          s.on('error', () => c.destroy());
          c.on('error', () => s.destroy());
        });
        await new Promise<void>((resolve) => relay?.listen(socket, resolve));
        const forward = LongRunning.inNamespace(
          'relay',
          lab.clientNamespace('srv'),
          process.execPath,
          [
            '-e',
            `const net=require('net');net.createServer(s=>{const c=net.connect(${JSON.stringify(socket)});s.pipe(c).pipe(s);s.on('error',()=>c.destroy());c.on('error',()=>s.destroy());}).listen(${RELAY_PORT},${JSON.stringify(SERVER_ADDRESS)},()=>console.log('relay ready'));`,
          ],
        );
        await forward.waitForOutput(/relay ready/, 5_000);

        const ns = lab.filerNamespace('filer3');
        expect(await globalAddresses(ns)).toEqual([]);
        const agent = LongRunning.inNamespace('filer3 agent', ns, 'env', [
          'VSNET_AGENT_BOOTSTRAP=dhcp',
          `VSNET_CLUSTER_MAC=${LAB_MAC}`,
          `VSNET_AGENT_STATE_DIR=${join(dir, 'state-filer3')}`,
          'VSNET_AGENT_LISTEN=0.0.0.0:7401',
          'VSNET_AGENT_ADVERTISE=198.18.0.13:7401',
          `VSNET_AGENT_JOIN_TOKEN=${res?.joinToken ?? ''}`,
          `VSNET_CONTROL_SERVER=${SERVER_ADDRESS}:${RELAY_PORT}`,
          process.execPath,
          join(repoRoot(), AGENT_MAIN),
        ]);
        await agent.waitForOutput(/"msg":"joined"/, 40_000);
        expect(await globalAddresses(ns)).toEqual(['mgmt0 198.18.0.13/24']);
        expect(agent.output()).toMatch(
          /"msg":"bootstrap: interface definitions received".*"filer":"filer3"/,
        );
        const { res: filer } = await control.call<{ filer?: { name: string } }>(
          'FilerService',
          'GetFiler',
          { name: 'filer3' },
          control.adminToken,
        );
        expect(filer?.filer?.name).toBe('filer3');
        await agent.stop();
        await forward.stop();
        // The driver's own announcements (arping) end by themselves within a second or two.
        await expectEventually(async () => expect(await processesIn(ns)).toEqual([]), {
          timeoutMs: 5_000,
        });
      }, 90_000);
    },
  );
}
