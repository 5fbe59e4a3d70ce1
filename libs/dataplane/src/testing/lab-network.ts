import { spawn } from 'node:child_process';
import { runIpBatch } from '../linux/ip-batch.js';
import { runProcess, type ProcessResult } from '../linux/run-process.js';

const TIMEOUT_MS = 10_000;

/** Namespace names of one test's lab; every one starts with the test's prefix. */
export interface LabNetwork {
  readonly prefix: string;
  /** The filer: eth0 and eth1 are veth ends plugged into the switch. */
  readonly filer: string;
  readonly switch: string;
  /** A client on the switch, with `clientAddresses` on eth0 and `loopbackAddresses` on lo. */
  readonly client: string;
}

/** Runs a command and throws with its stderr when it fails. */
export async function must(
  file: string,
  args: readonly string[],
  input?: string,
): Promise<ProcessResult> {
  const r = await runProcess(file, args, {
    timeoutMs: TIMEOUT_MS,
    ...(input !== undefined ? { input } : {}),
  });
  if (r.code !== 0) {
    throw new Error(`${file} ${args.join(' ')}: ${r.spawnError ?? r.stderr.trim()}`);
  }
  return r;
}

async function batch(netns: string, lines: readonly string[]): Promise<void> {
  const b = await runIpBatch({ netns }, lines, TIMEOUT_MS);
  if (b.fatal !== undefined || b.failures.size > 0) {
    throw new Error(`lab ${netns || 'root'}: ${b.fatal ?? [...b.failures.values()].join('; ')}`);
  }
}

/**
 * A switch (a bridge in its own namespace), a filer with eth0 and eth1 plugged into it, and a
 * client on it: the LAB.md topology, built with one `ip -batch` per namespace.
 */
export async function createLabNetwork(
  prefix: string,
  clientAddresses: readonly string[],
  loopbackAddresses: readonly string[] = [],
): Promise<LabNetwork> {
  const lab = { prefix, filer: `${prefix}filer`, switch: `${prefix}sw`, client: `${prefix}client` };
  await batch('', [
    `netns add ${lab.switch}`,
    `netns add ${lab.filer}`,
    `netns add ${lab.client}`,
    `link add eth0 netns ${lab.filer} type veth peer name f-eth0 netns ${lab.switch}`,
    `link add eth1 netns ${lab.filer} type veth peer name f-eth1 netns ${lab.switch}`,
    `link add eth0 netns ${lab.client} type veth peer name c-eth0 netns ${lab.switch}`,
  ]);
  await batch(lab.switch, [
    'link add br0 type bridge forward_delay 0 stp_state 0',
    'link set br0 up',
    ...['f-eth0', 'f-eth1', 'c-eth0'].map((p) => `link set ${p} master br0 up`),
  ]);
  await batch(lab.client, [
    'link set lo up',
    'link set eth0 up',
    ...clientAddresses.map((a) => `addr add ${a} dev eth0${a.includes(':') ? ' nodad' : ''}`),
    ...loopbackAddresses.map((a) => `addr add ${a} dev lo`),
  ]);
  return lab;
}

/** Deletes every namespace whose name starts with `prefix`. */
export async function removeNamespaces(prefix: string): Promise<void> {
  const names = await namespacesStartingWith(prefix);
  if (names.length > 0) {
    await batch(
      '',
      names.map((n) => `netns del ${n}`),
    );
  }
}

/**
 * Deletes the namespaces of crashed earlier runs: names `<root><pid>-…` whose pid no longer
 * runs. A run that is still going keeps its namespaces.
 */
export async function removeStaleLabs(root: string): Promise<void> {
  const stale = (await namespacesStartingWith(root)).filter((n) => {
    const pid = Number(/^(\d+)-/.exec(n.slice(root.length))?.[1] ?? NaN);
    return Number.isInteger(pid) && pid !== process.pid && !alive(pid);
  });
  if (stale.length > 0) {
    await batch(
      '',
      stale.map((n) => `netns del ${n}`),
    );
  }
}

export async function namespacesStartingWith(prefix: string): Promise<string[]> {
  const r = await must('ip', ['-j', 'netns', 'list']);
  const list = (r.stdout.trim() === '' ? [] : JSON.parse(r.stdout)) as { name: string }[];
  return list
    .map((n) => n.name)
    .filter((n) => n.startsWith(prefix))
    .sort();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command inside a namespace; resolves with its result, failing or not. */
export function inNamespace(
  ns: string,
  file: string,
  args: readonly string[],
  timeoutMs = TIMEOUT_MS,
): Promise<ProcessResult> {
  return runProcess('ip', ['netns', 'exec', ns, file, ...args], { timeoutMs });
}

/** One echo request, one second to answer; `from` picks the source address. */
export async function ping(ns: string, address: string, from?: string): Promise<boolean> {
  const r = await inNamespace(
    ns,
    'ping',
    ['-n', '-c1', '-W1', ...(from ? ['-I', from] : []), address],
    5_000,
  );
  return r.code === 0;
}

/** A TCP connection from `ns` to `address:port` (openbsd nc, zero-I/O mode). */
export async function tcpConnects(ns: string, address: string, port: number): Promise<boolean> {
  const r = await inNamespace(ns, 'nc', ['-z', '-w', '2', address, String(port)], 5_000);
  return r.code === 0;
}

const LISTENER =
  "const s=require('node:net').createServer(c=>c.end('ok\\n'));" +
  "s.listen({host:'::',port:Number(process.argv[1]),ipv6Only:false},()=>console.log('listening'));" +
  "process.on('SIGTERM',()=>process.exit(0));";

/** A TCP listener (Node, dual-stack) inside a namespace; `stop` ends it by its own pid. */
export async function startTcpListener(
  ns: string,
  port: number,
): Promise<{ stop: () => Promise<void> }> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', LISTENER, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`listener in ${ns}: no "listening" in 10 s: ${out}`)),
      10_000,
    );
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`listener in ${ns} exited: ${out}`));
    });
  });
  return {
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
      }
      await exited;
    },
  };
}
