import { createHmac, timingSafeEqual } from 'node:crypto';

// The UDP heartbeat between the control leader and every agent (ARCHITECTURE.md §4): the leader
// sends a ping every interval, the agent answers each with a pong at once. Both run in worker
// threads, so a busy event loop or a garbage-collection pause on either side does not delay
// them. Every datagram is signed with HMAC-SHA256 (first 16 bytes) under the key the leader gave
// the agent in Agent.Lead; a pong the agent cannot sign (it has no key yet: it restarted) says so
// with NO_KEY and tells the leader to call Lead again.
//
// Layout, big-endian:
//   0  4  magic "VSHB"
//   4  1  version (1)
//   5  1  type (1 ping, 2 pong)
//   6  1  flags
//   7  1  filer name length n (pong; 0 in a ping)
//   8  8  epoch
//  16  4  seq
//  20  8  generation (pong: the agent's applied generation; 0 in a ping)
//  28  n  filer name (UTF-8, pong)
//  28+n 16 HMAC-SHA256(key, bytes 0 … 28+n)[0:16] (zero when NO_KEY)

export const HEARTBEAT_MAGIC = 0x56534842;
export const HEARTBEAT_VERSION = 1;
const HEADER = 28;
const MAC_LENGTH = 16;
const MAX_FILER = 255;

/** Ping flag: the leader has declared this filer lost; withdraw every vsvr address now. */
export const PING_FENCE_NOW = 1;
/** Pong flag: the agent has no key of this epoch; the pong is unsigned. */
export const PONG_NO_KEY = 1;
/** Pong flag: the agent has withdrawn its vsvr addresses (fenced). */
export const PONG_FENCED = 2;

export interface Ping {
  readonly kind: 'ping';
  readonly epoch: bigint;
  readonly seq: number;
  readonly flags: number;
}

export interface Pong {
  readonly kind: 'pong';
  readonly epoch: bigint;
  readonly seq: number;
  readonly flags: number;
  readonly generation: bigint;
  readonly filer: string;
}

export type HeartbeatMessage = Ping | Pong;

function mac(key: Uint8Array, body: Uint8Array): Buffer {
  return createHmac('sha256', key).update(body).digest().subarray(0, MAC_LENGTH);
}

/** Encodes and signs a ping or a pong; `key` undefined (a pong only) sends NO_KEY, unsigned. */
export function encodeHeartbeat(message: HeartbeatMessage, key: Uint8Array | undefined): Buffer {
  const filer = message.kind === 'pong' ? Buffer.from(message.filer, 'utf8') : Buffer.alloc(0);
  if (filer.length > MAX_FILER) {
    throw new RangeError(`a filer name of ${filer.length} bytes does not fit a heartbeat`);
  }
  let flags = message.flags & 0xff;
  if (key === undefined) {
    if (message.kind === 'ping') {
      throw new Error('a ping is always signed');
    }
    flags |= PONG_NO_KEY;
  }
  const buf = Buffer.alloc(HEADER + filer.length + MAC_LENGTH);
  buf.writeUInt32BE(HEARTBEAT_MAGIC, 0);
  buf.writeUInt8(HEARTBEAT_VERSION, 4);
  buf.writeUInt8(message.kind === 'ping' ? 1 : 2, 5);
  buf.writeUInt8(flags, 6);
  buf.writeUInt8(filer.length, 7);
  buf.writeBigUInt64BE(BigInt.asUintN(64, message.epoch), 8);
  buf.writeUInt32BE(message.seq >>> 0, 16);
  buf.writeBigUInt64BE(message.kind === 'pong' ? BigInt.asUintN(64, message.generation) : 0n, 20);
  filer.copy(buf, HEADER);
  if (key !== undefined) {
    mac(key, buf.subarray(0, HEADER + filer.length)).copy(buf, HEADER + filer.length);
  }
  return buf;
}

/** What a received datagram is: a message, and whether its signature checked out. */
export interface Received {
  readonly message: HeartbeatMessage;
  /** True when signed with `key`; false for a NO_KEY pong or any datagram when `key` is unset. */
  readonly authentic: boolean;
}

/**
 * Decodes a datagram; `undefined` for anything that is not a well-formed heartbeat of this
 * version, or one whose signature does not match `key`. A NO_KEY pong, and any datagram when
 * `key` is unset, is returned with `authentic: false`.
 */
export function decodeHeartbeat(
  buf: Uint8Array,
  key: Uint8Array | undefined,
): Received | undefined {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < HEADER + MAC_LENGTH || b.readUInt32BE(0) !== HEARTBEAT_MAGIC) {
    return undefined;
  }
  if (b.readUInt8(4) !== HEARTBEAT_VERSION) {
    return undefined;
  }
  const type = b.readUInt8(5);
  const flags = b.readUInt8(6);
  const n = b.readUInt8(7);
  if ((type !== 1 && type !== 2) || b.length !== HEADER + n + MAC_LENGTH) {
    return undefined;
  }
  const epoch = b.readBigUInt64BE(8);
  const seq = b.readUInt32BE(16);
  const message: HeartbeatMessage =
    type === 1
      ? { kind: 'ping', epoch, seq, flags }
      : {
          kind: 'pong',
          epoch,
          seq,
          flags,
          generation: b.readBigUInt64BE(20),
          filer: b.toString('utf8', HEADER, HEADER + n),
        };
  if ((type === 2 && (flags & PONG_NO_KEY) !== 0) || key === undefined) {
    // Readable, not trusted: the caller decides what an unsigned datagram may do.
    return { message, authentic: false };
  }
  const expected = mac(key, b.subarray(0, HEADER + n));
  const given = b.subarray(HEADER + n);
  return timingSafeEqual(expected, given) ? { message, authentic: true } : undefined;
}
