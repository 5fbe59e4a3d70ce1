import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCli } from './cli.js';
import { memoryIo } from './testing/memory-io.js';
import type { MemoryIoOptions } from './testing/memory-io.js';
import { TWO_FILERS } from './testing/documents.js';

// The online verbs without a control service: what they say when they cannot do their job.
// test/medium/cli-online.test.ts runs them against a real one.

async function vsnet(args: string[], options: MemoryIoOptions = {}) {
  const mem = memoryIo({ files: { 'c.yaml': TWO_FILERS }, ...options });
  const code = await runCli(args, mem.io);
  return { code, stdout: mem.stdout(), stderr: mem.stderr() };
}

describe('vsnet apply / export without a usable server', () => {
  /** A TCP server that accepts connections and never answers: a hung control service. */
  let silent: Server;
  const sockets: Socket[] = [];
  let silentAddress: string;
  let closedAddress: string;

  beforeAll(async () => {
    silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentAddress = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    closedAddress = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
  });

  afterAll(async () => {
    for (const socket of sockets) {
      socket.destroy();
    }
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('names the server from VSNET_SERVER when nothing listens there, exit 2', async () => {
    const { code, stdout, stderr } = await vsnet(['apply', '-f', 'c.yaml'], {
      env: { VSNET_SERVER: closedAddress },
    });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`cannot reach the vsnet control service at ${closedAddress}`);
    expect(stderr.trimEnd()).not.toMatch(/\n/);
  });

  it('gives up at the deadline of --timeout and says so, exit 2', async () => {
    const { code, stderr } = await vsnet(['export', '--server', silentAddress, '--timeout', '0.3']);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      new RegExp(
        `^vsnet: (the vsnet control service at ${silentAddress} did not answer within 0\\.3 s|cannot reach the vsnet control service at ${silentAddress})`,
      ),
    );
    expect(stderr.trimEnd()).not.toMatch(/\n/);
  });

  it('refuses a --server that is not HOST:PORT and a --timeout that is not positive, exit 2', async () => {
    const bad = await vsnet(['apply', '-f', 'c.yaml', '--server', 'http://x:1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^vsnet: --server http:\/\/x:1: expected HOST:PORT/);
    const zero = await vsnet(['export', '--timeout', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--timeout 0: expected a positive number of seconds/);
  });

  it('reads the file before calling anyone: a missing one is exit 2', async () => {
    const { code, stderr } = await vsnet(['apply', '-f', 'nope.yaml', '--server', closedAddress]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^vsnet: cannot read nope\.yaml: no such file/);
  });

  it('refuses to send what is not a cluster document, exit 1', async () => {
    const { code, stderr } = await vsnet(['apply', '-f', '-', '--server', closedAddress], {
      stdin: 'just a string\n',
    });
    expect(code).toBe(1);
    expect(stderr).toBe(
      'vsnet: <stdin>: not a cluster document; vsnet validate says what is wrong with it\n',
    );
  });
});
