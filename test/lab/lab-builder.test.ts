import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Lab, labNamespaces, removeStale } from '../../deploy/lab/src/lab.js';
import { ipBatch, ipJson } from '../../deploy/lab/src/run.js';
import { inNamespace, links, namespaces, ping } from './support/netns.js';

/**
 * The lab itself (STYLE.md test 15 builds on it): three filers cabled to a switch namespace and a
 * client, as a person would use it, and cleaned up without a trace.
 */
const PREFIX = `lb${process.pid % 100_000}`;

function threeFilers(prefix: string) {
  return {
    prefix,
    segments: ['mgmt', 'data'],
    filers: ['filer1', 'filer2', 'filer3'].map((name) => ({
      name,
      ports: [
        { eth: 'eth0', segment: 'mgmt' },
        { eth: 'eth1', segment: 'data' },
      ],
    })),
    clients: [
      { name: 'client', segment: 'data', addresses: ['198.18.30.100/24', '2001:db8:0:30::100/64'] },
    ],
  };
}

describe('the lab builder', () => {
  let lab: Lab | undefined;

  beforeAll(async () => {
    await removeStale(PREFIX);
  });

  afterAll(async () => {
    await lab?.teardown();
    await removeStale(PREFIX);
  });

  it('builds three filers, a switch and a client', async () => {
    lab = await Lab.build(threeFilers(PREFIX));
    process.stdout.write(
      `lab of 3 filers + 1 client (5 namespaces) built in ${lab.buildMs.toFixed(0)} ms\n`,
    );

    expect((await labNamespaces(PREFIX)).sort()).toEqual(
      [
        `${PREFIX}-client`,
        `${PREFIX}-filer1`,
        `${PREFIX}-filer2`,
        `${PREFIX}-filer3`,
        `${PREFIX}-sw`,
      ].sort(),
    );
    for (const f of ['filer1', 'filer2', 'filer3']) {
      const ports = (await links(lab.filerNamespace(f))).filter((l) => l.ifname.startsWith('eth'));
      expect(ports.map((p) => [p.ifname, p.operstate])).toEqual([
        ['eth0', 'UP'],
        ['eth1', 'UP'],
      ]);
    }
    const bridges = (await links(lab.switchNamespace)).filter(
      (l) => l.linkinfo?.info_kind === 'bridge',
    );
    expect(bridges.map((b) => b.ifname).sort()).toEqual(['br-data', 'br-mgmt']);
  });

  it('lets the client reach an address put by hand on a filer port (IPv4 and IPv6)', async () => {
    if (!lab) {
      throw new Error('no lab');
    }
    await ipBatch(
      ['addr add 198.18.30.2/24 dev eth1', 'addr add 2001:db8:0:30::2/64 dev eth1 nodad'],
      { namespace: lab.filerNamespace('filer2') },
    );
    expect(await ping(lab.clientNamespace('client'), '198.18.30.2')).toBe(true);
    expect(await ping(lab.clientNamespace('client'), '2001:db8:0:30::2')).toBe(true);
    // The cable of filer2's eth0 goes to mgmt, not data: the same address there is not reachable.
    await ipBatch(['addr del 198.18.30.2/24 dev eth1', 'addr add 198.18.30.2/24 dev eth0'], {
      namespace: lab.filerNamespace('filer2'),
    });
    expect(await ping(lab.clientNamespace('client'), '198.18.30.2')).toBe(false);
  });

  it('tears down every namespace and link it made', async () => {
    if (!lab) {
      throw new Error('no lab');
    }
    const rootLinksBefore = (await ipJson<{ ifname: string }>(['link', 'show'])).map(
      (l) => l.ifname,
    );
    const report = await lab.teardown();
    expect(report.removed).toHaveLength(5);
    expect((await namespaces()).filter((n) => n.startsWith(`${PREFIX}-`))).toEqual([]);
    const rootLinks = (await ipJson<{ ifname: string }>(['link', 'show'])).map((l) => l.ifname);
    expect(rootLinks).toEqual(rootLinksBefore);
    expect(rootLinks.filter((l) => /^(f\d+|c\d+)-eth\d+$|^br-/.test(l))).toEqual([]);
  });

  it('removeStale cleans what a crashed run left, vsvr namespaces of its agents included', async () => {
    // A crash: a lab built, an agent's vsvr namespace made, then nobody tore anything down.
    const crashed = await Lab.build(threeFilers(PREFIX));
    const vsvrNs = `${crashed.vsvrNamespacePrefix('filer1')}vs-sales`;
    await ipBatch([`netns add ${vsvrNs}`]);
    await ipBatch(
      ['link add data0 link eth1 type macvlan mode bridge', `link set data0 netns ${vsvrNs}`],
      {
        namespace: crashed.filerNamespace('filer1'),
      },
    );
    await expect(Lab.build(threeFilers(PREFIX))).rejects.toThrow(/already exists/);

    const report = await removeStale(PREFIX);

    expect(report.removed).toContain(vsvrNs);
    expect(report.removed).toHaveLength(6);
    expect(report.strayPids).toEqual([]);
    expect((await namespaces()).filter((n) => n.startsWith(`${PREFIX}-`))).toEqual([]);
    // A new lab with the same prefix builds again.
    lab = await Lab.build(threeFilers(PREFIX));
    expect(await inNamespace(lab.clientNamespace('client'), 'true', [])).toMatchObject({ code: 0 });
    await lab.teardown();
    expect(await labNamespaces(PREFIX)).toEqual([]);
  });
});
