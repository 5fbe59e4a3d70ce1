// Runs inside the heartbeat worker thread: node builtins and relative imports only, so the
// worker loads a few small modules and none of the agent (gRPC, the dataplane).
import {
  PING_FENCE_NOW,
  PONG_FENCED,
  decodeHeartbeat,
  encodeHeartbeat,
} from '../../../libs/contracts/src/heartbeat-wire.js';

/** What the agent's pongs carry about it; sent by the main thread whenever it changes. */
export interface ResponderStatus {
  readonly filer: string;
  /** The generation the agent has applied. */
  readonly generation: bigint;
  /** The agent has withdrawn its vsvr addresses. */
  readonly fenced: boolean;
}

/** What the main thread tells the worker; every field is optional and replaces the last. */
export interface ResponderUpdate {
  /** The current leader's key and its epoch (Agent.Lead). */
  readonly lead?: { readonly key: Uint8Array; readonly epoch: bigint };
  /** The highest epoch the agent has seen in any command: pings older than it are ignored. */
  readonly highestEpoch?: bigint;
  /**
   * Silence after which the agent fences. Set once the agent has been led (persisted across
   * restarts); unset, silence never fences (no leader ever ran this agent).
   */
  readonly fenceAfterMs?: number;
  readonly status?: ResponderStatus;
  /** A leader was heard outside the heartbeats (a Lead, or an Apply that ended a fence). */
  readonly heard?: boolean;
}

/** What the worker tells the main thread: withdraw every vsvr address. */
export type FenceSignal =
  | { readonly kind: 'fence'; readonly silentMs: number }
  | { readonly kind: 'fence-now'; readonly epoch: bigint };

/** What a datagram asks of the worker: a pong to send back, a fence to signal, or nothing. */
export interface Reaction {
  readonly reply?: Buffer;
  readonly signal?: FenceSignal;
}

/**
 * The agent's side of the UDP heartbeat (heartbeat-wire.ts, decision 0006), as a pure state
 * machine fed with datagrams and a monotonic clock; the worker only does the I/O.
 *
 * - An authentic ping (signed with the current leader's key) of an epoch not older than the
 *   highest seen is answered at once with a signed pong, and counts as the leader heard.
 * - A ping it cannot authenticate because it has no key of that epoch (none yet: the agent
 *   restarted; or the key of an older leader) is answered with an unsigned NO_KEY pong, which
 *   tells the leader to call Lead. It never counts as heard and can never fence.
 * - Pings of an older epoch, badly signed pings of the current one, and anything else are
 *   ignored.
 * - Once armed (fence-after known), silence for fence-after signals `fence`, once per silence;
 *   an authentic FENCE_NOW ping signals `fence-now` unless the agent is fenced already.
 */
export class HeartbeatResponder {
  private key: Uint8Array | undefined;
  private keyEpoch = 0n;
  private highestEpoch = 0n;
  private fenceAfterMs: number | undefined;
  private status: ResponderStatus = { filer: '', generation: 0n, fenced: false };
  private lastHeard: number;
  private silenceSignalled = false;
  private fenceNowSignalled = false;

  constructor(now: number) {
    this.lastHeard = now;
  }

  update(update: ResponderUpdate, now: number): void {
    if (update.lead !== undefined && update.lead.epoch >= this.keyEpoch) {
      this.key = update.lead.key;
      this.keyEpoch = update.lead.epoch;
      this.raise(update.lead.epoch);
    }
    if (update.highestEpoch !== undefined) {
      this.raise(update.highestEpoch);
    }
    if (update.fenceAfterMs !== undefined) {
      this.fenceAfterMs = update.fenceAfterMs;
    }
    if (update.status !== undefined) {
      this.status = update.status;
      // The fence asked for has been carried out, or lifted: a later FENCE_NOW counts again.
      this.fenceNowSignalled = false;
    }
    if (update.heard === true) {
      this.heardAt(now);
    }
  }

  /** The reaction to one received datagram. */
  receive(datagram: Uint8Array, now: number): Reaction {
    const signed = this.key === undefined ? undefined : decodeHeartbeat(datagram, this.key);
    if (signed !== undefined && signed.authentic) {
      const ping = signed.message;
      if (ping.kind !== 'ping' || ping.epoch < this.highestEpoch) {
        return {};
      }
      this.heardAt(now);
      const fenceNow =
        (ping.flags & PING_FENCE_NOW) !== 0 && !this.status.fenced && !this.fenceNowSignalled;
      if (fenceNow) {
        this.fenceNowSignalled = true;
      }
      return {
        reply: this.pong(ping.epoch, ping.seq, this.key),
        ...(fenceNow ? { signal: { kind: 'fence-now', epoch: ping.epoch } } : {}),
      };
    }
    const read = decodeHeartbeat(datagram, undefined);
    if (read === undefined || read.message.kind !== 'ping') {
      return {};
    }
    const { epoch, seq } = read.message;
    // No key of that epoch: none at all, or only an older leader's. A bad signature under the
    // current key's epoch is a forgery or a corruption, and gets nothing.
    const noKeyOfEpoch = this.key === undefined || epoch > this.keyEpoch;
    return noKeyOfEpoch && epoch >= this.highestEpoch
      ? { reply: this.pong(epoch, seq, undefined) }
      : {};
  }

  /** Called on a timer: `fence` once the silence has lasted fence-after. */
  tick(now: number): FenceSignal | undefined {
    if (this.fenceAfterMs === undefined || this.silenceSignalled || this.status.fenced) {
      return undefined;
    }
    const silentMs = now - this.lastHeard;
    if (silentMs < this.fenceAfterMs) {
      return undefined;
    }
    this.silenceSignalled = true;
    return { kind: 'fence', silentMs };
  }

  private heardAt(now: number): void {
    this.lastHeard = now;
    this.silenceSignalled = false;
  }

  private raise(epoch: bigint): void {
    if (epoch > this.highestEpoch) {
      this.highestEpoch = epoch;
    }
  }

  private pong(epoch: bigint, seq: number, key: Uint8Array | undefined): Buffer {
    const { filer, generation, fenced } = this.status;
    return encodeHeartbeat(
      { kind: 'pong', epoch, seq, flags: fenced ? PONG_FENCED : 0, generation, filer },
      key,
    );
  }
}

/** What the worker is started with (`workerData`). */
export interface ResponderWorkerData {
  /** The agent's listen host, without brackets; the UDP socket binds it. */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly initial: ResponderUpdate;
}

/** Messages from the worker to the main thread. */
export type ResponderEvent =
  | { readonly kind: 'listening'; readonly port: number }
  | { readonly kind: 'error'; readonly message: string }
  | FenceSignal;
