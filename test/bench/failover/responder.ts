/**
 * The server half of the failover probe (probe.ts starts it inside a filer's or a vsvr's
 * namespace):
 *
 *   ip netns exec NS node dist/test/bench/failover/responder.js PORT
 *
 * Listens on [::]:PORT, dual-stack, so it answers on whatever address the namespace holds or
 * gains later (a floating address that moves in); accepts and closes at once. Prints
 * `listening` when bound and stops on SIGTERM, SIGINT or when its standard input closes.
 */
import { createServer } from 'node:net';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('usage: responder PORT\n');
  process.exit(2);
}

const server = createServer((socket) => {
  socket.on('error', () => undefined); // the client hung up first: nothing to answer
  socket.end();
});
server.on('error', (err) => {
  process.stderr.write(`responder: ${err.message}\n`);
  process.exit(1);
});
server.listen({ host: '::', port, ipv6Only: false }, () => process.stdout.write('listening\n'));

const stop = (): void => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop).on('error', stop).resume();
