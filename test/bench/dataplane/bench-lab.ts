import { execFile } from 'node:child_process';
import type { ClusterDocument, NodeSpec } from '@vsnet/model';
import { analyzeCluster, compileNodeSpecs, decodeClusterDocument } from '@vsnet/model';

export const VSVRS = 100;
export const ADDRESSES_PER_VSVR = 10;
const TIMEOUT_MS = 60_000;

/**
 * One filer, VSVRS vsvrs with ADDRESSES_PER_VSVR addresses each (half IPv4 in 198.18.0.0/16,
 * half IPv6 in 2001:db8:0:1::/64) and a default route per family: the benchmark's spec.
 */
export function benchSpec(): NodeSpec {
  const half = ADDRESSES_PER_VSVR / 2;
  const doc: ClusterDocument = {
    apiVersion: 'vsnet/v1',
    kind: 'Cluster',
    cluster: { name: 'bench', mac: '02:00:5e:10:00:03', defaultRoutingPolicy: 'gw' },
    filers: [
      {
        name: 'filer1',
        interfaces: [
          { name: 'eth0' },
          { name: 'eth1' },
          { name: 'mgmt0', on: 'eth0' },
          { name: 'data0', on: 'eth1' },
        ],
        addresses: [{ alias: 'mgmt0', address: '198.19.0.11/24' }],
      },
    ],
    vsvrs: Array.from({ length: VSVRS }, (_, i) => ({
      name: `v${i}`,
      addresses: [
        ...Array.from({ length: half }, (_, j) => ({
          alias: 'data0',
          address: `198.18.${1 + i}.${1 + j}/16`,
        })),
        ...Array.from({ length: half }, (_, j) => ({
          alias: 'data0',
          address: `2001:db8:0:1::${(i + 1).toString(16)}:${j + 1}/64`,
        })),
      ],
    })),
    routingPolicies: [
      {
        name: 'gw',
        routes: [
          { to: 'default', via: '198.18.0.1' },
          { to: 'default', via: '2001:db8:0:1::1' },
        ],
      },
    ],
  };
  const decoded = decodeClusterDocument(doc);
  const analysis = analyzeCluster(decoded.cluster);
  const errors = [...decoded.problems, ...analysis.problems].filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    throw new Error(
      `the benchmark cluster is not valid: ${errors.map((e) => e.message).join('; ')}`,
    );
  }
  const [spec] = compileNodeSpecs(decoded.cluster, analysis);
  if (spec === undefined) {
    throw new Error('no spec compiled');
  }
  return spec;
}

/** Runs a program (argument vector, timeout); rejects with its stderr when it fails. */
export function run(file: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: TIMEOUT_MS, maxBuffer: 64 << 20 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${file} ${args.join(' ')}: ${stderr || error.message}`))
          : resolve(stdout),
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

export async function namespacesStartingWith(prefix: string): Promise<string[]> {
  const out = await run('ip', ['-j', 'netns', 'list']);
  const list = (out.trim() === '' ? [] : JSON.parse(out)) as { name: string }[];
  return list.map((n) => n.name).filter((n) => n.startsWith(prefix));
}

export async function deleteNamespaces(names: readonly string[]): Promise<void> {
  if (names.length > 0) {
    await run(
      'ip',
      ['-force', '-batch', '-'],
      names.map((n) => `netns del ${n}`).join('\n') + '\n',
    );
  }
}

/** Namespaces `<root><pid>-…` of earlier runs whose process is gone. */
export async function removeStale(root: string): Promise<void> {
  const stale = (await namespacesStartingWith(root)).filter((n) => {
    const pid = Number(/^(\d+)-/.exec(n.slice(root.length))?.[1] ?? NaN);
    if (!Number.isInteger(pid) || pid === process.pid) {
      return false;
    }
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
  await deleteNamespaces(stale);
}

/** A fresh filer namespace whose eth0 and eth1 are plugged into a bridge in a switch namespace. */
export async function freshFiler(prefix: string): Promise<{ filer: string; sw: string }> {
  const filer = `${prefix}filer`;
  const sw = `${prefix}sw`;
  await deleteNamespaces(await namespacesStartingWith(prefix));
  await run(
    'ip',
    ['-batch', '-'],
    [
      `netns add ${sw}`,
      `netns add ${filer}`,
      `link add eth0 netns ${filer} type veth peer name f0 netns ${sw}`,
      `link add eth1 netns ${filer} type veth peer name f1 netns ${sw}`,
    ].join('\n') + '\n',
  );
  await run(
    'ip',
    ['-n', sw, '-batch', '-'],
    'link add br0 type bridge forward_delay 0 stp_state 0\nlink set br0 up\nlink set f0 master br0 up\nlink set f1 master br0 up\n',
  );
  return { filer, sw };
}
