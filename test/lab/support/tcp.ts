import { inNamespace } from './netns.js';
import { LongRunning } from './processes.js';

/**
 * A tiny TCP server (Node, dual-stack on `[::]:port`): on connect it sends its name and a
 * newline, then echoes whatever it receives.
 */
const SERVER = `
const net = require('node:net');
const [name, port] = process.argv.slice(1);
const server = net.createServer((c) => {
  c.on('error', () => {});
  c.write(name + '\\n');
  c.pipe(c);
});
server.listen({ host: '::', port: Number(port), ipv6Only: false }, () => console.log('listening ' + port));
process.on('SIGTERM', () => process.exit(0));
`;

export const TCP_PORT = 7000;

/** Starts the echo server inside a (vsvr) namespace and waits until it listens. */
export async function startTcpServer(
  ns: string,
  name: string,
  port = TCP_PORT,
): Promise<LongRunning> {
  const server = LongRunning.inNamespace(`tcp server ${name} in ${ns}`, ns, process.execPath, [
    '-e',
    SERVER,
    name,
    String(port),
  ]);
  await server.waitForOutput(/listening/, 10_000);
  return server;
}

/**
 * Connects from `clientNs` to `address:port`, sends a line and returns the server's name once
 * the line has come back. Throws when the connection fails or the echo is missing.
 */
export async function tcpProbe(
  clientNs: string,
  address: string,
  port = TCP_PORT,
): Promise<string> {
  const token = `probe-${Math.random().toString(36).slice(2)}`;
  const r = await inNamespace(clientNs, 'nc', ['-N', '-w', '2', address, String(port)], {
    input: `${token}\n`,
    timeoutMs: 5_000,
    allowFailure: true,
  });
  const [banner, echo] = r.stdout.split('\n');
  if (echo !== token || banner === undefined) {
    throw new Error(
      `TCP ${address}:${port} from ${clientNs}: got "${r.stdout}" (exit ${r.code}) ${r.stderr}`,
    );
  }
  return banner;
}

/** One long-lived TCP connection from a client namespace (an `nc` process), to test survival. */
export class TcpSession {
  private constructor(
    private readonly nc: LongRunning,
    /** What the server said on connect: its name. */
    readonly banner: string,
  ) {}

  static async open(clientNs: string, address: string, port = TCP_PORT): Promise<TcpSession> {
    const nc = LongRunning.inNamespace(`tcp session to ${address}:${port}`, clientNs, 'nc', [
      address,
      String(port),
    ]);
    const m = await nc.waitForOutput(/^(.+)\n/, 5_000);
    return new TcpSession(nc, m[1] ?? '');
  }

  get open(): boolean {
    return this.nc.running;
  }

  get pid(): number {
    return this.nc.pid;
  }

  /** Sends a line over the same connection and waits for its echo. */
  async echo(text: string, timeoutMs = 3_000): Promise<string> {
    const from = this.nc.output().length;
    this.nc.write(`${text}\n`);
    const m = await this.nc.waitForOutput(new RegExp(`^${text}$`, 'm'), timeoutMs, from);
    return m[0];
  }

  close(): Promise<void> {
    return this.nc.stop();
  }
}

/** A ping loop (every 50 ms) from a client namespace, across some event. */
export class PingLoop {
  private constructor(private readonly ping: LongRunning) {}

  static start(clientNs: string, address: string, intervalS = 0.05): PingLoop {
    return new PingLoop(
      LongRunning.inNamespace(`ping loop to ${address}`, clientNs, 'ping', [
        '-n',
        '-i',
        String(intervalS),
        '-W',
        '1',
        address,
      ]),
    );
  }

  /** Waits for `n` replies so far. */
  async replies(n: number, timeoutMs = 5_000): Promise<void> {
    await this.ping.waitUntil(
      (out) => ((out.match(/bytes from .*icmp_seq=/g) ?? []).length >= n ? true : undefined),
      timeoutMs,
      `${n} replies`,
    );
  }

  /**
   * Stops the loop (SIGINT) and returns the sequence numbers that got no reply before the last
   * reply: requests lost in the middle, not the one still in flight when the loop stopped.
   */
  async stop(): Promise<{ replies: number; lost: number[] }> {
    await this.ping.stop('SIGINT');
    const seqs = [...this.ping.output().matchAll(/bytes from .*icmp_seq=(\d+)/g)].map((m) =>
      Number(m[1]),
    );
    const last = Math.max(0, ...seqs);
    const got = new Set(seqs);
    const lost: number[] = [];
    for (let s = 1; s <= last; s++) {
      if (!got.has(s)) {
        lost.push(s);
      }
    }
    return { replies: got.size, lost };
  }
}
