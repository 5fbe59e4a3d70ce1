import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { connect, isIP } from 'node:net';
import { parentPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import {
  PING_FENCE_NOW,
  PONG_FENCED,
  PONG_NO_KEY,
  decodeHeartbeat,
  encodeHeartbeat,
} from '../../../../libs/contracts/src/heartbeat-wire.js';
import { FilerDetector } from './filer-detector.js';
import type { KernelVerdict, Transition } from './filer-detector.js';
import { nowUnixMs } from './heartbeat-protocol.js';
import type {
  FromHeartbeatWorker,
  HeartbeatTarget,
  HeartbeatTiming,
  ToHeartbeatWorker,
} from './heartbeat-protocol.js';

// The leader's heartbeat thread (docs/decisions/0006-failover.md): every interval a signed UDP
// ping to every agent, their pongs read as they come, and a TCP probe of a silent filer's
// kernel. It does the I/O only; each filer's FilerDetector decides, and state changes go to
// the main thread. Running here, neither the main event loop nor its garbage collector delays
// a ping or the reading of a pong.

/**
 * Errors of a connect that mean the filer's kernel answered: it refused (a RST: nothing listens,
 * the agent is dead) or reset the connection. A completed connect answers too.
 */
const KERNEL_ANSWERED = new Set(['ECONNREFUSED', 'ECONNRESET']);
/** Errors that mean nothing answered: no route, no ARP reply, or the connect timed out. */
const KERNEL_SILENT = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ETIMEDOUT']);

interface Agent {
  target: HeartbeatTarget;
  /** The host as an IP address (resolved once when it is a name); `undefined` until then. */
  address: string | undefined;
  readonly detector: FilerDetector;
  seq: number;
  generation: bigint | undefined;
  fenced: boolean | undefined;
}

class HeartbeatLoop {
  private readonly agents = new Map<string, Agent>();
  private readonly sockets = new Map<4 | 6, Socket>();
  private fence = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /** No ping leaves after this (wall clock): the lease may have passed to another replica. */
  private validUntilUnixMs = Number.POSITIVE_INFINITY;

  constructor(
    private readonly port: MessagePort,
    private readonly epoch: bigint,
    private readonly key: Uint8Array,
    private readonly timing: HeartbeatTiming,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.timing.intervalMs);
    this.post({ type: 'started' });
  }

  stop(): void {
    clearInterval(this.timer);
    for (const socket of this.sockets.values()) {
      socket.close();
    }
    this.sockets.clear();
  }

  setTargets(targets: readonly HeartbeatTarget[]): void {
    const wanted = new Map(targets.map((t) => [t.filer.toLowerCase(), t]));
    for (const name of this.agents.keys()) {
      if (!wanted.has(name)) {
        this.agents.delete(name);
      }
    }
    for (const [name, target] of wanted) {
      let agent = this.agents.get(name);
      if (agent === undefined) {
        const detector = new FilerDetector(this.timing, nowUnixMs());
        agent = {
          target,
          address: undefined,
          detector,
          seq: 0,
          generation: undefined,
          fenced: undefined,
        };
        this.agents.set(name, agent);
      } else if (agent.target.host !== target.host) {
        agent.address = undefined;
      }
      agent.target = target;
      if (agent.address === undefined) {
        void this.resolve(agent);
      }
    }
  }

  setFence(filers: readonly string[]): void {
    this.fence = new Set(filers.map((f) => f.toLowerCase()));
  }

  /** One interval: judge the one that ended, then ping again. */
  /** The lease's end as the main thread last renewed it. */
  setLease(validUntilUnixMs: number): void {
    this.validUntilUnixMs = validUntilUnixMs;
  }

  private tick(): void {
    const now = nowUnixMs();
    if (now >= this.validUntilUnixMs) {
      // The main thread has not renewed (or not told us) in time: this leadership may be over,
      // and its pings would keep agents from fencing for a leader that is gone.
      return;
    }
    for (const [name, agent] of this.agents) {
      const { transition, probe } = agent.detector.tick(now);
      this.report(agent, transition);
      if (probe) {
        void this.probe(agent, now);
      }
      if (agent.address !== undefined) {
        const flags = this.fence.has(name) ? PING_FENCE_NOW : 0;
        const ping = encodeHeartbeat(
          { kind: 'ping', epoch: this.epoch, seq: agent.seq++, flags },
          this.key,
        );
        // A lost filer's sends fail (no route, no ARP): its misses say so already.
        this.socketFor(agent.address).send(
          ping,
          agent.target.heartbeatPort,
          agent.address,
          () => undefined,
        );
      }
    }
  }

  private received(buf: Buffer): void {
    const got = decodeHeartbeat(buf, this.key);
    if (got === undefined || got.message.kind !== 'pong') {
      return; // not ours, or forged
    }
    const pong = got.message;
    const agent = this.agents.get(pong.filer.toLowerCase());
    if (agent === undefined) {
      return;
    }
    // Unsigned, only a NO_KEY pong counts (the contract's choice: a restarted agent has no key
    // to sign with, and must count as alive until it is led again).
    const noKey = (pong.flags & PONG_NO_KEY) !== 0;
    if (got.authentic ? pong.epoch !== this.epoch : !noKey) {
      return;
    }
    const { transition, askLead } = agent.detector.pong(nowUnixMs(), !got.authentic);
    this.report(agent, transition);
    if (askLead) {
      this.post({ type: 'no-key', filer: agent.target.filer });
    }
    if (got.authentic) {
      const fenced = (pong.flags & PONG_FENCED) !== 0;
      if (pong.generation !== agent.generation || fenced !== agent.fenced) {
        agent.generation = pong.generation;
        agent.fenced = fenced;
        this.post({
          type: 'observed',
          filer: agent.target.filer,
          generation: String(pong.generation),
          fenced,
        });
      }
    }
  }

  /** Asks the filer's kernel: a TCP connect to the agent's port, for the probe timeout. */
  private async probe(agent: Agent, startedAt: number): Promise<void> {
    const verdict =
      agent.address === undefined
        ? undefined
        : await kernelVerdict(
            agent.address,
            agent.target.probePort,
            this.timing.kernelProbeTimeoutMs,
          );
    if (this.agents.get(agent.target.filer.toLowerCase()) === agent) {
      this.report(agent, agent.detector.probed(startedAt, verdict, nowUnixMs()));
    }
  }

  private report(agent: Agent, t: Transition | undefined): void {
    if (t !== undefined) {
      this.post({
        type: 'state',
        filer: agent.target.filer,
        from: t.from,
        to: t.to,
        atUnixMs: t.at,
        lastPongUnixMs: t.lastPong,
      });
    }
  }

  private async resolve(agent: Agent): Promise<void> {
    const host = agent.target.host;
    try {
      agent.address = isIP(host) !== 0 ? host : (await lookup(host)).address;
    } catch (err) {
      this.post({
        type: 'warning',
        message: `cannot resolve ${host}, the agent host of filer ${agent.target.filer}: ${err instanceof Error ? err.message : String(err)}`,
      });
      setTimeout(() => {
        if (
          this.agents.get(agent.target.filer.toLowerCase()) === agent &&
          agent.address === undefined
        ) {
          void this.resolve(agent);
        }
      }, 1_000).unref();
    }
  }

  private socketFor(address: string): Socket {
    const family = isIP(address) === 6 ? 6 : 4;
    let socket = this.sockets.get(family);
    if (socket === undefined) {
      socket = createSocket(family === 6 ? 'udp6' : 'udp4');
      socket.on('message', (buf) => this.received(buf));
      socket.on('error', (err) =>
        this.post({ type: 'warning', message: `heartbeat socket: ${err.message}` }),
      );
      socket.bind(0);
      this.sockets.set(family, socket);
    }
    return socket;
  }

  private post(message: FromHeartbeatWorker): void {
    this.port.postMessage(message);
  }
}

/**
 * Connects to `host:port` for at most `timeoutMs`: `answers` when the connect completes or the
 * kernel refuses or resets it, `silent` when nothing comes back in time (or the route is gone),
 * `undefined` for a local failure that says nothing about the filer (no file descriptors).
 */
export function kernelVerdict(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<KernelVerdict | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    // The timeout is judged after the event loop's I/O phase: a thread that was busy past the
    // timeout runs its timers before it reads the connect that completed meanwhile, and that
    // answer must win over a "silent" the kernel never gave.
    const timer = setTimeout(() => setImmediate(() => done('silent')), timeoutMs);
    socket.once('connect', () => done('answers'));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      done(KERNEL_ANSWERED.has(code) ? 'answers' : KERNEL_SILENT.has(code) ? 'silent' : undefined);
    });
    let settled = false;
    function done(verdict: KernelVerdict | undefined): void {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(verdict);
    }
  });
}

function main(port: MessagePort): void {
  let loop: HeartbeatLoop | undefined;
  port.on('message', (message: ToHeartbeatWorker) => {
    switch (message.type) {
      case 'start':
        loop?.stop();
        loop = new HeartbeatLoop(port, BigInt(message.epoch), message.key, message.timing);
        loop.start();
        break;
      case 'targets':
        loop?.setTargets(message.targets);
        break;
      case 'fence':
        loop?.setFence(message.filers);
        break;
      case 'lease':
        loop?.setLease(message.validUntilUnixMs);
        break;
      case 'stop':
        loop?.stop();
        loop = undefined;
        port.close();
        break;
    }
  });
}

if (parentPort !== null) {
  main(parentPort);
}
