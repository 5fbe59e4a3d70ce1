import type { FilerHealthState } from './filer-detector.js';

// The messages between the leader's main thread and its heartbeat worker
// (heartbeat.worker.ts). Plain data: they cross postMessage.

/** One agent the worker pings. */
export interface HeartbeatTarget {
  readonly filer: string;
  /** The agent's host (from filer_state.agent_address): pings go there, probes too. */
  readonly host: string;
  /** UDP port of its heartbeat responder. */
  readonly heartbeatPort: number;
  /** TCP port the kernel probe connects to (the agent's gRPC port). */
  readonly probePort: number;
}

export interface HeartbeatTiming {
  readonly intervalMs: number;
  readonly misses: number;
  readonly kernelProbeTimeoutMs: number;
  readonly upHoldMs: number;
}

/** Main → worker. */
export type ToHeartbeatWorker =
  | {
      readonly type: 'start';
      readonly epoch: string;
      /** HMAC key of this leadership (32 bytes). */
      readonly key: Uint8Array;
      readonly timing: HeartbeatTiming;
    }
  /** The whole set of agents to ping; a filer left out is forgotten. */
  | { readonly type: 'targets'; readonly targets: readonly HeartbeatTarget[] }
  /** Filers whose pings carry FENCE_NOW (declared down: withdraw every vsvr address). */
  | { readonly type: 'fence'; readonly filers: readonly string[] }
  /**
   * Until when (wall clock, ms) the lease this leadership last renewed is valid: the worker
   * sends no ping after it, even while the main thread is too busy to stop it.
   */
  | { readonly type: 'lease'; readonly validUntilUnixMs: number }
  | { readonly type: 'stop' };

/** Worker → main. */
export type FromHeartbeatWorker =
  | {
      readonly type: 'state';
      readonly filer: string;
      readonly from: FilerHealthState;
      readonly to: FilerHealthState;
      /** When the worker decided, Unix ms (fractional). */
      readonly atUnixMs: number;
      /** The filer's last pong before that, Unix ms; `undefined` when none in this leadership. */
      readonly lastPongUnixMs: number | undefined;
    }
  /** The agent answered NO_KEY: it needs Agent.Lead. */
  | { readonly type: 'no-key'; readonly filer: string }
  /** What the agent's pongs say changed: its applied generation, whether it is fenced. */
  | {
      readonly type: 'observed';
      readonly filer: string;
      readonly generation: string;
      readonly fenced: boolean;
    }
  /** Something the operator should read (a socket error); the worker carries on. */
  | { readonly type: 'warning'; readonly message: string }
  /** The worker has started pinging. */
  | { readonly type: 'started' };

/** Unix time in fractional milliseconds, comparable between threads. */
export function nowUnixMs(): number {
  return performance.timeOrigin + performance.now();
}
