import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { kernelVerdict } from './heartbeat.worker.js';

// The kernel probe must not call a live filer silent because the probing thread was busy past
// the timeout: the connect that completed meanwhile is read after the thread's timers run.

describe('kernelVerdict', () => {
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise<void>((resolve) =>
      server === undefined ? resolve() : server.close(() => resolve()),
    );
    server = undefined;
  });

  it('says the kernel answers when the thread was busy past the timeout', async () => {
    server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const verdict = kernelVerdict('127.0.0.1', port, 20);
    // Busy past the timeout: the handshake completes in the kernel meanwhile.
    const until = Date.now() + 150;
    while (Date.now() < until) {
      // a stalled event loop
    }
    expect(await verdict).toBe('answers');
  });
});
