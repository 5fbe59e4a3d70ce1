import { Worker } from 'node:worker_threads';
import { workerScript } from '@vsnet/contracts';
import type {
  FenceSignal,
  ResponderEvent,
  ResponderUpdate,
  ResponderWorkerData,
} from './heartbeat-responder.js';
import type { Logger } from './logger.js';
import { errorMessage } from './logger.js';

/** The agent's heartbeat responder as the rest of the agent sees it (a test may give its own). */
export interface Heartbeats {
  /** The UDP port it answers on. */
  readonly port: number;
  /** Hands the responder a new key, epoch, fence-after or status (heartbeat-responder.ts). */
  update(update: ResponderUpdate): void;
  /** Called on every fence signal (silence, or a FENCE_NOW ping). */
  onFence(listener: (signal: FenceSignal) => void): void;
  close(): Promise<void>;
}

/** Where the responder binds: the agent's listen host, and a port (0: a free one). */
export interface HeartbeatBind {
  readonly host: string;
  readonly port: number;
}

/** Starts {@link Heartbeats} for a bind address and an initial state. */
export type HeartbeatsFactory = (
  bind: HeartbeatBind,
  initial: ResponderUpdate,
  logger: Logger,
) => Promise<Heartbeats>;

/** Starts the responder in its worker thread; resolves once its socket is bound. */
export const startHeartbeatThread: HeartbeatsFactory = async (bind, initial, logger) => {
  const thread = new HeartbeatThread(bind, initial, logger);
  await thread.start();
  return thread;
};

/**
 * The worker thread that answers heartbeats (heartbeat-responder.worker.ts). It keeps the state
 * it handed over merged, so a worker that dies (it should not) is started again with it, on
 * the same port, and logged.
 */
class HeartbeatThread implements Heartbeats {
  private worker: Worker | undefined;
  private state: ResponderUpdate;
  private readonly listeners: ((signal: FenceSignal) => void)[] = [];
  private closing = false;
  private bound = 0;

  constructor(
    private readonly bind: HeartbeatBind,
    initial: ResponderUpdate,
    private readonly logger: Logger,
  ) {
    this.state = initial;
  }

  get port(): number {
    return this.bound;
  }

  async start(): Promise<void> {
    const data: ResponderWorkerData = {
      host: this.bind.host,
      port: this.bound || this.bind.port,
      initial: this.state,
    };
    const worker = new Worker(workerScript(import.meta.url, 'heartbeat-responder.worker'), {
      workerData: data,
    });
    this.worker = worker;
    // Until the socket is bound, what the worker says settles the start; then it is served.
    let starting: { resolve(port: number): void; reject(err: unknown): void } | undefined;
    const listening = new Promise<number>((resolve, reject) => {
      starting = { resolve, reject };
    });
    worker.on('message', (event: ResponderEvent) => {
      if (starting === undefined) {
        this.received(event);
      } else if (event.kind === 'listening') {
        starting.resolve(event.port);
        starting = undefined;
      } else if (event.kind === 'error') {
        starting.reject(
          new Error(
            `cannot answer heartbeats on UDP ${this.bind.host}:${data.port}: ${event.message}; free that port or set VSNET_AGENT_HEARTBEAT_PORT to another`,
          ),
        );
        starting = undefined;
      }
    });
    worker.on('error', (err) => {
      if (starting === undefined) {
        this.logger.error(`heartbeat worker failed: ${errorMessage(err)}`);
      } else {
        starting.reject(err);
        starting = undefined;
      }
    });
    worker.on('exit', (code) => {
      if (starting !== undefined) {
        starting.reject(new Error(`the heartbeat worker exited (${code}) before it listened`));
        starting = undefined;
      } else if (worker === this.worker) {
        this.exited(code);
      }
    });
    try {
      this.bound = await listening;
    } catch (err) {
      this.worker = undefined;
      await worker.terminate();
      throw err;
    }
  }

  update(update: ResponderUpdate): void {
    // `heard` is a moment, not a state: a restarted worker starts its silence afresh anyway.
    this.state = { ...this.state, ...update, heard: false };
    this.worker?.postMessage(update);
  }

  onFence(listener: (signal: FenceSignal) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker?.terminate();
  }

  private received(event: ResponderEvent): void {
    if (event.kind === 'listening') {
      return;
    }
    if (event.kind === 'error') {
      this.logger.error(`heartbeat socket failed: ${event.message}`);
      return;
    }
    for (const listener of this.listeners) {
      listener(event);
    }
  }

  private exited(code: number): void {
    if (this.closing) {
      return;
    }
    this.logger.error(`the heartbeat worker exited (${code}); starting it again`);
    this.start().catch((err: unknown) =>
      this.logger.error(`restarting the heartbeat worker failed: ${errorMessage(err)}`),
    );
  }
}
