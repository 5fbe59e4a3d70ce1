import { Worker } from 'node:worker_threads';
import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { workerScript } from '../../../../libs/contracts/src/worker-script.js';
import type {
  FromHeartbeatWorker,
  HeartbeatTarget,
  HeartbeatTiming,
  ToHeartbeatWorker,
} from './heartbeat-protocol.js';

/** What the heartbeat worker tells, and that it died (it is then restarted by its owner). */
export interface HeartbeatHandler {
  message(message: FromHeartbeatWorker): void;
  /** The worker thread ended without being stopped (a crash); `error` says why. */
  died(error: string): void;
}

/**
 * The leader's heartbeat worker thread (heartbeat.worker.ts), started with a leadership and
 * terminated the moment it ends: no ping of an old epoch leaves after {@link stop} returned
 * (terminate stops the thread's event loop; a datagram already handed to the kernel may still go).
 */
@Injectable()
export class HeartbeatMonitor implements OnApplicationShutdown {
  private readonly logger = new Logger('Heartbeats');
  private worker: Worker | undefined;

  /** Starts pinging for the leadership of `epoch`; any earlier worker is stopped first. */
  start(epoch: string, key: Uint8Array, timing: HeartbeatTiming, handler: HeartbeatHandler): void {
    this.stop();
    const worker = new Worker(workerScript(import.meta.url, 'heartbeat.worker'));
    this.worker = worker;
    worker.on('message', (message: FromHeartbeatWorker) => {
      if (this.worker === worker) {
        handler.message(message);
      }
    });
    worker.on('error', (err) => {
      if (this.worker === worker) {
        this.worker = undefined;
        handler.died(err.message);
      }
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) {
        this.worker = undefined;
        handler.died(`exited with code ${code}`);
      }
    });
    this.post({ type: 'start', epoch, key, timing });
  }

  /** Whether a worker is running. */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** The lease's end as last renewed: the worker stops pinging at it on its own. */
  leaseValidUntil(validUntilUnixMs: number): void {
    this.post({ type: 'lease', validUntilUnixMs });
  }

  targets(targets: readonly HeartbeatTarget[]): void {
    this.post({ type: 'targets', targets });
  }

  fence(filers: readonly string[]): void {
    this.post({ type: 'fence', filers });
  }

  /** Stops pinging now. */
  stop(): void {
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) {
      worker.postMessage({ type: 'stop' } satisfies ToHeartbeatWorker);
      worker.terminate().catch((err: unknown) => {
        this.logger.warn(`heartbeat worker: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  private post(message: ToHeartbeatWorker): void {
    this.worker?.postMessage(message);
  }
}
