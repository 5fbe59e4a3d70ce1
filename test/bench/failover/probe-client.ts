/**
 * The client half of the failover probe (probe.ts starts it inside the client namespace):
 *
 *   ip netns exec NS node dist/test/bench/failover/probe-client.js ADDRESS PORT [EVERY_MS [TIMEOUT_MS]]
 *
 * Every EVERY_MS (10) it opens a FRESH TCP connection to ADDRESS:PORT, without waiting for the
 * previous one; an attempt succeeds when the handshake completes within TIMEOUT_MS (300) and
 * fails otherwise (refused, unreachable, timed out). Each attempt is printed once it is decided,
 * batched: `a START_MS OK LATENCY_MS CODE` with START_MS on the machine's monotonic clock
 * (process.hrtime, the same in every process), OK 1 or 0, CODE `-` or why it failed. Each batch
 * ends with `w MS`: every attempt started before MS has been printed. It prints `ready` first and stops on SIGTERM, SIGINT or when its standard input closes.
 */
import { connect } from 'node:net';

const [address, portText, everyText = '10', timeoutText = '300'] = process.argv.slice(2);
const port = Number(portText);
const everyMs = Number(everyText);
const timeoutMs = Number(timeoutText);
if (
  address === undefined ||
  !Number.isInteger(port) ||
  port < 1 ||
  port > 65535 ||
  !(everyMs > 0) ||
  !(timeoutMs > 0)
) {
  process.stderr.write('usage: probe-client ADDRESS PORT [EVERY_MS [TIMEOUT_MS]]\n');
  process.exit(2);
}

const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Start times of the attempts not decided yet. */
const undecided = new Set<number>();
let pending: string[] = [];
const flush = (): void => {
  let watermark = monotonicMs();
  for (const start of undecided) {
    watermark = Math.min(watermark, start);
  }
  pending.push(`w ${watermark.toFixed(3)}\n`);
  process.stdout.write(pending.join(''));
  pending = [];
};

function attempt(): void {
  const start = monotonicMs();
  undecided.add(start);
  let decided = false;
  const decide = (ok: boolean, code: string): void => {
    if (decided) {
      return;
    }
    decided = true;
    undecided.delete(start);
    clearTimeout(timer);
    socket.destroy();
    pending.push(
      `a ${start.toFixed(3)} ${ok ? 1 : 0} ${(monotonicMs() - start).toFixed(3)} ${code}\n`,
    );
  };
  const socket = connect({ host: address, port, noDelay: true });
  socket.on('connect', () => decide(true, '-'));
  socket.on('error', (err: NodeJS.ErrnoException) => decide(false, err.code ?? 'error'));
  const timer = setTimeout(() => decide(false, 'TIMEOUT'), timeoutMs);
}

// Attempts follow a fixed schedule, not a chain of timers, so timer lateness does not add up;
// a tick that comes very late starts one attempt, not a burst of the ones it missed.
const origin = monotonicMs();
let next = 0;
let ticker: NodeJS.Timeout | undefined;
function tick(): void {
  const now = monotonicMs();
  if (origin + next * everyMs <= now) {
    attempt();
    next = Math.floor((now - origin) / everyMs) + 1;
  }
  ticker = setTimeout(tick, Math.max(0, origin + next * everyMs - monotonicMs()));
}

const flusher = setInterval(flush, 20);
const stop = (): void => {
  clearTimeout(ticker);
  clearInterval(flusher);
  flush();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop).on('error', stop).resume();
process.stdout.write('ready\n');
tick();
