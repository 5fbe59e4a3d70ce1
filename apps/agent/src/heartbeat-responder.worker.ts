// The agent's heartbeat worker thread (decision 0006): answers the leader's UDP pings off the
// main event loop, so neither a busy loop nor a garbage-collection pause of the agent delays a
// pong, and tells the main thread when silence (or the leader) says to fence. Node builtins
// and relative imports only: see heartbeat-responder.ts.
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { HeartbeatResponder } from './heartbeat-responder.js';
import type {
  ResponderEvent,
  ResponderUpdate,
  ResponderWorkerData,
} from './heartbeat-responder.js';

/** How often silence is checked: the fence comes at most this late. */
const TICK_MS = 10;

function post(event: ResponderEvent): void {
  parentPort?.postMessage(event);
}

function serve(data: ResponderWorkerData): void {
  const responder = new HeartbeatResponder(performance.now());
  responder.update(data.initial, performance.now());
  const socket = createSocket({ type: data.host.includes(':') ? 'udp6' : 'udp4' });
  socket.on('message', (datagram, from) => {
    const { reply, signal } = responder.receive(datagram, performance.now());
    if (reply !== undefined) {
      // Best effort, as UDP is: a pong that cannot be sent is a missed heartbeat.
      socket.send(reply, from.port, from.address, () => undefined);
    }
    if (signal !== undefined) {
      post(signal);
    }
  });
  socket.once('error', (err) => {
    post({ kind: 'error', message: err.message });
    socket.close();
  });
  socket.bind(data.port, data.host, () => {
    post({ kind: 'listening', port: socket.address().port });
    setInterval(() => {
      const signal = responder.tick(performance.now());
      if (signal !== undefined) {
        post(signal);
      }
    }, TICK_MS);
  });
  parentPort?.on('message', (update: ResponderUpdate) => {
    responder.update(update, performance.now());
  });
}

serve(workerData as ResponderWorkerData);
