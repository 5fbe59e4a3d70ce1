import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { AgentHandlers, LeadRequest__Output, TakeoverRequest__Output } from '@vsnet/contracts';
import {
  PING_FENCE_NOW,
  PONG_FENCED,
  agentGrpc,
  decodeHeartbeat,
  encodeHeartbeat,
} from '@vsnet/contracts';
import { freePort } from './control-service.js';

// A stand-in for a filer's agent as the leader's failover machinery sees it, on 127.0.0.1:
// Agent.Lead / Takeover / Apply over gRPC on a TCP port, and the UDP heartbeat responder on the
// same port number (answering NO_KEY until Lead gave it the key, and fencing on FENCE_NOW). Its
// parts stop one by one: the responder alone (a hung agent), the gRPC server too (a killed
// agent: its port answers with a RST), or the whole filer: then a listener that never accepts,
// with its one-connection backlog filled, takes the port, so a SYN to it is dropped and a
// connect times out, as it does towards a filer that is gone (python3 provides that listener:
// Node accepts every connection itself and cannot leave its backlog full).

/**
 * Binds the port given as its argument once told `go` on stdin (retrying until the agent let
 * go of it), listens with a backlog of one and never accepts.
 */
const BLACK_HOLE = `
import socket, sys, time
port = int(sys.argv[1])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
print('ready', flush=True)
sys.stdin.readline()
for _ in range(5000):
    try:
        s.bind(('127.0.0.1', port))
        break
    except OSError:
        time.sleep(0.001)
s.listen(0)
print('listening', flush=True)
time.sleep(600)
`;

export class FakeFailoverAgent {
  /** Every Lead and Takeover received, in order. */
  readonly leads: LeadRequest__Output[] = [];
  readonly takeovers: TakeoverRequest__Output[] = [];
  /** Pings received; pongs sent signed; pings flagged FENCE_NOW. */
  pings = 0;
  signedPongs = 0;
  fenceNowPings = 0;
  fenced = false;
  private key: Buffer | undefined;
  private udp: UdpSocket | undefined;
  private server: grpc.Server | undefined;
  private blackHole: { process: ChildProcess; filler: Socket } | undefined;

  private constructor(
    readonly filer: string,
    readonly port: number,
  ) {}

  /** An agent answering on a port free for both TCP and UDP. */
  static async start(filer: string): Promise<FakeFailoverAgent> {
    for (let tries = 0; ; tries++) {
      const agent = new FakeFailoverAgent(filer, await freePort());
      try {
        await agent.startResponder();
        await agent.startGrpc();
        return agent;
      } catch (err) {
        await agent.stop();
        if (tries >= 5) {
          throw err;
        }
      }
    }
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The agent restarted: it has no key until the next Lead. */
  async restart(): Promise<void> {
    await this.stopBlackHole();
    this.key = undefined;
    await this.startResponder();
    await this.startGrpc();
  }

  /** The agent process is killed: no pongs, and its port refuses connections. */
  async kill(): Promise<void> {
    this.stopResponder();
    await this.stopGrpc();
  }

  /**
   * The filer is gone: nothing answers at its address any more. The listener that takes the
   * port is started first and binds the moment the agent lets go, so no probe in between
   * meets a refusing port (which would make the filer agent-down first).
   */
  async lose(): Promise<void> {
    const child = spawn('python3', ['-c', BLACK_HOLE, String(this.port)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      timeout: 600_000,
    });
    const lines = (async function* () {
      let buffered = '';
      for await (const chunk of child.stdout) {
        buffered += String(chunk);
        let at: number;
        while ((at = buffered.indexOf('\n')) >= 0) {
          yield buffered.slice(0, at);
          buffered = buffered.slice(at + 1);
        }
      }
    })();
    const next = async (expected: string): Promise<void> => {
      const line = await lines.next();
      if (line.value !== expected) {
        throw new Error(
          `the listener for port ${this.port} said ${String(line.value)}, not ${expected}`,
        );
      }
    };
    await next('ready');
    this.stopResponder();
    this.server?.forceShutdown();
    this.server = undefined;
    child.stdin.write('go\n');
    await next('listening');
    // The one connection the backlog holds: later SYNs are dropped.
    const filler = connect({ host: '127.0.0.1', port: this.port });
    await new Promise<void>((resolve, reject) => {
      filler.once('connect', resolve);
      filler.once('error', reject);
    });
    this.blackHole = { process: child, filler };
  }

  async stop(): Promise<void> {
    this.stopResponder();
    await this.stopGrpc();
    await this.stopBlackHole();
  }

  private async startResponder(): Promise<void> {
    const udp = createSocket('udp4');
    udp.on('message', (buf, from) => this.answer(udp, buf, from.address, from.port));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.port, '127.0.0.1', () => resolve());
    });
    this.udp = udp;
  }

  private stopResponder(): void {
    this.udp?.close();
    this.udp = undefined;
  }

  private answer(udp: UdpSocket, buf: Buffer, host: string, port: number): void {
    const signed = this.key === undefined ? undefined : decodeHeartbeat(buf, this.key);
    const got = signed ?? decodeHeartbeat(buf, undefined);
    if (got === undefined || got.message.kind !== 'ping') {
      return;
    }
    this.pings++;
    const authentic = signed?.authentic === true;
    if (authentic && (got.message.flags & PING_FENCE_NOW) !== 0) {
      this.fenceNowPings++;
      this.fenced = true;
    }
    const pong = encodeHeartbeat(
      {
        kind: 'pong',
        epoch: got.message.epoch,
        seq: got.message.seq,
        flags: this.fenced ? PONG_FENCED : 0,
        generation: 0n,
        filer: this.filer,
      },
      authentic ? this.key : undefined,
    );
    if (authentic) {
      this.signedPongs++;
    }
    udp.send(pong, port, host);
  }

  private async startGrpc(): Promise<void> {
    const server = new grpc.Server();
    const handlers: Partial<AgentHandlers> = {
      Lead: (call, callback) => {
        this.leads.push(call.request);
        this.key = Buffer.from(call.request.heartbeatKey);
        callback(null, {
          filer: this.filer,
          generation: '0',
          specHash: '',
          fenced: this.fenced,
          activeVsvrs: [],
          heartbeatPort: this.port,
        });
      },
      Takeover: (call, callback) => {
        this.takeovers.push(call.request);
        callback(null, {
          plumbedMs: 3,
          announcedMs: 4,
          items: [],
          activeVsvrs: call.request.activate,
        });
      },
      Apply: (call, callback) => {
        this.fenced = false; // the leader said what runs here
        callback(null, {
          changed: false,
          generation: call.request.generation,
          items: [],
          drift: [],
          plan: [],
        });
      },
    };
    server.addService(agentGrpc().Agent.service, handlers as grpc.UntypedServiceImplementation);
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(this.address, grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    this.server = server;
  }

  private async stopGrpc(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) {
      server.forceShutdown();
      // The port is free once the listener is closed.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async stopBlackHole(): Promise<void> {
    const hole = this.blackHole;
    this.blackHole = undefined;
    if (hole !== undefined) {
      hole.filler.destroy();
      const exited = new Promise((resolve) => hole.process.once('exit', resolve));
      hole.process.kill('SIGKILL');
      await exited;
    }
  }
}
