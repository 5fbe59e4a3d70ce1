import { describe, expect, it } from '@jest/globals';
import type { Pong } from '@vsnet/contracts';
import {
  PING_FENCE_NOW,
  PONG_FENCED,
  PONG_NO_KEY,
  decodeHeartbeat,
  encodeHeartbeat,
} from '@vsnet/contracts';
import { HeartbeatResponder } from './heartbeat-responder.js';

const KEY = Buffer.alloc(32, 1);
const OTHER_KEY = Buffer.alloc(32, 2);
const STATUS = { filer: 'filer1', generation: 7n, fenced: false };

function ping(epoch: bigint, key: Uint8Array, seq = 1, flags = 0): Buffer {
  return encodeHeartbeat({ kind: 'ping', epoch, seq, flags }, key);
}

/** A responder led by KEY at epoch 2, status STATUS, fence-after 2000 ms, heard at t=0. */
function led(): HeartbeatResponder {
  const r = new HeartbeatResponder(0);
  r.update({ lead: { key: KEY, epoch: 2n }, fenceAfterMs: 2_000, status: STATUS }, 0);
  return r;
}

/** The pong in a reply, read with `key` (undefined: unsigned), and whether it was authentic. */
function pongOf(reply: Buffer | undefined, key?: Uint8Array): { pong: Pong; authentic: boolean } {
  expect(reply).toBeDefined();
  const received = decodeHeartbeat(reply ?? Buffer.alloc(0), key);
  if (received?.message.kind !== 'pong') {
    throw new Error('the reply is not a pong');
  }
  return { pong: received.message, authentic: received.authentic };
}

describe('HeartbeatResponder', () => {
  it('answers an authentic ping at once with a signed pong saying who it is', () => {
    const r = led();
    const { reply, signal } = r.receive(ping(2n, KEY, 41), 10);
    expect(signal).toBeUndefined();
    expect(pongOf(reply, KEY)).toEqual({
      authentic: true,
      pong: { kind: 'pong', epoch: 2n, seq: 41, flags: 0, generation: 7n, filer: 'filer1' },
    });
  });

  it('answers NO_KEY, unsigned, to a ping it has no key for: none yet, or a newer leader', () => {
    const fresh = new HeartbeatResponder(0);
    fresh.update({ highestEpoch: 2n, status: STATUS }, 0);
    const noKey = pongOf(fresh.receive(ping(2n, KEY, 5), 1).reply);
    expect(noKey.authentic).toBe(false);
    expect(noKey.pong).toMatchObject({ epoch: 2n, seq: 5, flags: PONG_NO_KEY, filer: 'filer1' });

    const newer = pongOf(led().receive(ping(3n, OTHER_KEY, 6), 1).reply);
    expect(newer.pong).toMatchObject({ epoch: 3n, seq: 6, flags: PONG_NO_KEY });
  });

  it('ignores older epochs, forgeries of the current one, pongs and garbage', () => {
    const r = led();
    r.update({ highestEpoch: 3n }, 0);
    expect(r.receive(ping(2n, KEY), 1)).toEqual({});
    const current = led();
    expect(current.receive(ping(2n, OTHER_KEY), 1)).toEqual({});
    expect(current.receive(ping(1n, OTHER_KEY), 1)).toEqual({});
    const pong = encodeHeartbeat(
      { kind: 'pong', epoch: 2n, seq: 1, flags: 0, generation: 1n, filer: 'x' },
      KEY,
    );
    expect(current.receive(pong, 1)).toEqual({});
    expect(current.receive(Buffer.from('hello'), 1)).toEqual({});
    const keyless = new HeartbeatResponder(0);
    keyless.update({ highestEpoch: 4n }, 0);
    expect(keyless.receive(ping(3n, KEY), 1)).toEqual({});
  });

  it('flags its pongs FENCED while the agent is fenced', () => {
    const r = led();
    r.update({ status: { ...STATUS, fenced: true } }, 0);
    expect(pongOf(r.receive(ping(2n, KEY), 1).reply, KEY).pong.flags).toBe(PONG_FENCED);
  });

  it('signals fence once per silence of fence-after, and not while fenced', () => {
    const r = led();
    expect(r.tick(1_999)).toBeUndefined();
    expect(r.tick(2_000)).toEqual({ kind: 'fence', silentMs: 2_000 });
    expect(r.tick(2_500)).toBeUndefined();
    // A ping ends the silence; the next one fences again.
    r.receive(ping(2n, KEY), 3_000);
    expect(r.tick(4_999)).toBeUndefined();
    expect(r.tick(5_000)).toEqual({ kind: 'fence', silentMs: 2_000 });
    // A leader heard outside the heartbeats (a Lead) also ends it.
    r.update({ heard: true }, 6_000);
    r.update({ status: { ...STATUS, fenced: true } }, 6_000);
    expect(r.tick(9_000)).toBeUndefined();
  });

  it('never fences on silence before a leader ever led it, nor on pings it cannot trust', () => {
    const never = new HeartbeatResponder(0);
    never.update({ status: STATUS }, 0);
    expect(never.tick(1_000_000)).toBeUndefined();
    const r = led();
    r.receive(ping(2n, OTHER_KEY), 1_500);
    r.receive(ping(3n, OTHER_KEY), 1_900);
    expect(r.tick(2_000)).toEqual({ kind: 'fence', silentMs: 2_000 });
  });

  it('fences when restarted with a remembered fence-after, unless a leader leads it in time', () => {
    const restarted = new HeartbeatResponder(100);
    restarted.update({ highestEpoch: 2n, fenceAfterMs: 2_000, status: STATUS }, 100);
    expect(restarted.tick(2_099)).toBeUndefined();
    expect(restarted.tick(2_100)).toMatchObject({ kind: 'fence' });

    const reLed = new HeartbeatResponder(100);
    reLed.update({ highestEpoch: 2n, fenceAfterMs: 2_000, status: STATUS }, 100);
    reLed.update({ lead: { key: KEY, epoch: 2n }, fenceAfterMs: 2_000, heard: true }, 1_500);
    expect(reLed.tick(2_100)).toBeUndefined();
  });

  it('signals fence-now for an authentic FENCE_NOW ping, once until the agent has fenced', () => {
    const r = led();
    const first = r.receive(ping(2n, KEY, 1, PING_FENCE_NOW), 10);
    expect(first.signal).toEqual({ kind: 'fence-now', epoch: 2n });
    expect(pongOf(first.reply, KEY).authentic).toBe(true);
    expect(r.receive(ping(2n, KEY, 2, PING_FENCE_NOW), 20).signal).toBeUndefined();
    r.update({ status: { ...STATUS, fenced: true } }, 30);
    const fenced = r.receive(ping(2n, KEY, 3, PING_FENCE_NOW), 40);
    expect(fenced.signal).toBeUndefined();
    expect(pongOf(fenced.reply, KEY).pong.flags).toBe(PONG_FENCED);
    // The leader's Apply lifted the fence: a new FENCE_NOW counts again.
    r.update({ status: STATUS }, 50);
    expect(r.receive(ping(2n, KEY, 4, PING_FENCE_NOW), 60).signal).toEqual({
      kind: 'fence-now',
      epoch: 2n,
    });
  });

  it('never fences for a FENCE_NOW it cannot authenticate', () => {
    const forged = led().receive(ping(2n, OTHER_KEY, 1, PING_FENCE_NOW), 10);
    expect(forged).toEqual({});
    const keyless = new HeartbeatResponder(0);
    const noKey = keyless.receive(ping(2n, KEY, 1, PING_FENCE_NOW), 10);
    expect(noKey.signal).toBeUndefined();
    expect(pongOf(noKey.reply).pong.flags).toBe(PONG_NO_KEY);
  });

  it('keeps the key of the newest leader only', () => {
    const r = led();
    r.update({ lead: { key: OTHER_KEY, epoch: 3n } }, 0);
    expect(r.receive(ping(2n, KEY), 1)).toEqual({});
    expect(pongOf(r.receive(ping(3n, OTHER_KEY), 1).reply, OTHER_KEY).authentic).toBe(true);
    r.update({ lead: { key: KEY, epoch: 2n } }, 2);
    expect(pongOf(r.receive(ping(3n, OTHER_KEY), 3).reply, OTHER_KEY).authentic).toBe(true);
  });
});
