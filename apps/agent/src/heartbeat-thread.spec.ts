import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Received } from '@vsnet/contracts';
import { PING_FENCE_NOW, PONG_NO_KEY, decodeHeartbeat, encodeHeartbeat } from '@vsnet/contracts';
import type { FenceSignal } from './heartbeat-responder.js';
import { startHeartbeatThread } from './heartbeat-thread.js';
import type { Heartbeats } from './heartbeat-thread.js';
import { Logger } from './logger.js';

// The responder's worker thread as the agent runs it (from the build: run npm run build
// first), over a real UDP socket on the loopback.

const KEY = Buffer.alloc(32, 9);
const STATUS = { filer: 'filer1', generation: 3n, fenced: false };

describe('heartbeat worker thread', () => {
  let heartbeats: Heartbeats;
  let socket: Socket;
  const signals: FenceSignal[] = [];

  beforeEach(async () => {
    signals.length = 0;
    heartbeats = await startHeartbeatThread(
      { host: '127.0.0.1', port: 0 },
      { highestEpoch: 1n, status: STATUS },
      new Logger(() => undefined),
    );
    heartbeats.onFence((s) => signals.push(s));
    socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    socket.close();
    await heartbeats.close();
  });

  /** Sends a ping and resolves with the first answer read with `key`, or undefined after 1 s. */
  function exchange(epoch: bigint, flags = 0, key = KEY): Promise<Received | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        socket.off('message', onMessage);
        resolve(undefined);
      }, 1_000);
      const onMessage = (datagram: Buffer): void => {
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve(decodeHeartbeat(datagram, KEY));
      };
      socket.on('message', onMessage);
      socket.send(
        encodeHeartbeat({ kind: 'ping', epoch, seq: 7, flags }, key),
        heartbeats.port,
        '127.0.0.1',
      );
    });
  }

  async function until(test: () => boolean, timeoutMs = 3_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!test()) {
      if (Date.now() > end) {
        throw new Error('timed out');
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('answers NO_KEY before a Lead and a signed pong after it', async () => {
    expect(heartbeats.port).toBeGreaterThan(0);
    const before = await exchange(2n);
    expect(before?.authentic).toBe(false);
    expect(before?.message).toMatchObject({ kind: 'pong', flags: PONG_NO_KEY, filer: 'filer1' });

    heartbeats.update({ lead: { key: KEY, epoch: 2n }, fenceAfterMs: 60_000, heard: true });
    const after = await exchange(2n);
    expect(after).toEqual({
      authentic: true,
      message: { kind: 'pong', epoch: 2n, seq: 7, flags: 0, generation: 3n, filer: 'filer1' },
    });
    expect(await exchange(1n)).toBeUndefined();
  });

  it('signals fence after fence-after of silence, and fence-now for a FENCE_NOW ping', async () => {
    heartbeats.update({ lead: { key: KEY, epoch: 2n }, fenceAfterMs: 300, heard: true });
    await exchange(2n);
    await until(() => signals.length > 0);
    expect(signals).toEqual([{ kind: 'fence', silentMs: expect.any(Number) }]);
    expect((signals[0] as { silentMs: number }).silentMs).toBeGreaterThanOrEqual(300);

    heartbeats.update({ fenceAfterMs: 60_000, heard: true });
    await exchange(2n, PING_FENCE_NOW);
    await until(() => signals.length > 1);
    expect(signals[1]).toEqual({ kind: 'fence-now', epoch: 2n });
  });
});
