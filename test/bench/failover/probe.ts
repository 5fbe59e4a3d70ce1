/**
 * The failover probe of issue 7 and LAB.md: a client namespace opens a fresh TCP connection to
 * an address every 10 ms (300 ms timeout each, concurrent); the outage of a failover is the
 * largest gap between successes. Used by the failover benchmark and the failover lab tests.
 *
 * Both halves run compiled (probe-client.js, responder.js beside this module, or under dist/
 * when this module runs from its TypeScript source under Jest: run `npm run build` first).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { workerScript } from '@vsnet/contracts';
import type { Outage, ProbeAttempt } from './outage.js';
import { monotonicMs, outageSince, parseProbeLine } from './outage.js';

export type { Outage, ProbeAttempt } from './outage.js';
export { monotonicMs, outageSince, quantile } from './outage.js';

const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 2_000;
/** How late, beyond its timeout, an attempt's report may come (the client's batching). */
const REPORT_SLACK_MS = 1_000;

export interface ProbeOptions {
  /** The client namespace the connections start from. */
  readonly namespace: string;
  readonly address: string;
  readonly port: number;
  /** Between connection starts; 10 unless said otherwise. */
  readonly everyMs?: number;
  /** A connection not established within this long failed; 300 unless said otherwise. */
  readonly timeoutMs?: number;
}

/** A running probe. Times are `monotonicMs()` milliseconds, the clock of every process here. */
export interface Probe {
  readonly pid: number;
  /** False once the probe process has exited (stopped, or died: then `stop` was not called). */
  readonly running: boolean;
  /** Now, on the probe's clock: take it just before a fault. */
  mark(): number;
  /** What the client saw since `markMs` (see `Outage`), from the attempts reported so far. */
  outageSince(markMs: number): Outage;
  /** Failed attempts started at or after `sinceMs` (all of them by default). */
  failures(sinceMs?: number): ProbeAttempt[];
  /** Attempts reported so far that started at or after `sinceMs`. */
  attempts(sinceMs?: number): ProbeAttempt[];
  /** Resolves once every attempt started before `atMs` (now by default) has been reported. */
  settle(atMs?: number): Promise<void>;
  /** Resolves with the first success that started at or after `sinceMs`; rejects after `timeoutMs`. */
  waitForSuccess(sinceMs: number, timeoutMs: number): Promise<ProbeAttempt>;
  /** Stops the probe (SIGTERM, then SIGKILL) and waits for it; the attempts stay readable. */
  stop(): Promise<void>;
}

/** Starts the probe inside `namespace`; resolves once it runs. */
export async function startProbe(options: ProbeOptions): Promise<Probe> {
  const everyMs = options.everyMs ?? 10;
  const timeoutMs = options.timeoutMs ?? 300;
  const child = spawnInNamespace(options.namespace, 'probe-client', [
    options.address,
    String(options.port),
    String(everyMs),
    String(timeoutMs),
  ]);
  const label = `probe ${options.namespace} → ${options.address}:${options.port}`;
  const seen: ProbeAttempt[] = [];
  let watermarkMs = -Infinity;
  const lines = new LineReader(child, (line) => {
    const parsed = parseProbeLine(line);
    if (parsed && 'attempt' in parsed) {
      seen.push(parsed.attempt);
    } else if (parsed) {
      watermarkMs = parsed.watermarkMs;
    }
  });
  await lines.waitFor('ready', START_TIMEOUT_MS, label);

  /**
   * The attempts started at or after `sinceMs`, oldest report first. Attempts are reported in
   * the order they were decided, at most `timeoutMs` (and a flush) after they started, so the
   * scan from the newest stops at the first one started well before `sinceMs`: everything
   * reported before it started before `sinceMs` too. A long run keeps every check cheap.
   */
  const startedSince = (sinceMs: number): ProbeAttempt[] => {
    const found: ProbeAttempt[] = [];
    for (let i = seen.length - 1; i >= 0; i--) {
      const a = seen[i];
      if (a === undefined || a.startMs < sinceMs - timeoutMs - REPORT_SLACK_MS) {
        break;
      }
      if (a.startMs >= sinceMs) {
        found.push(a);
      }
    }
    return found.reverse();
  };

  const until = <T>(test: () => T | undefined, limitMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = test();
        if (found !== undefined) {
          finish();
          resolve(found);
        } else if (lines.exited) {
          finish();
          reject(new Error(`${label} exited before ${what}: ${lines.text()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${label}: no ${what} within ${limitMs} ms`));
      }, limitMs);
      const finish = (): void => {
        clearTimeout(timer);
        lines.off(check);
      };
      lines.on(check);
      check();
    });

  return {
    pid: child.pid ?? -1,
    get running() {
      return !lines.exited;
    },
    mark: monotonicMs,
    outageSince: (markMs) => outageSince(seen, markMs, monotonicMs()),
    failures: (sinceMs = -Infinity) => startedSince(sinceMs).filter((a) => !a.ok),
    attempts: (sinceMs = -Infinity) => startedSince(sinceMs),
    settle: (atMs = monotonicMs()) =>
      until(() => (watermarkMs >= atMs ? true : undefined), timeoutMs + 5_000, 'settling').then(
        () => undefined,
      ),
    waitForSuccess: (sinceMs, limitMs) =>
      until(
        () =>
          startedSince(sinceMs)
            .filter((a) => a.ok)
            .sort((x, y) => x.startMs - y.startMs)[0],
        limitMs,
        `a success since ${sinceMs.toFixed(0)}`,
      ),
    stop: () => lines.stop(),
  };
}

/** A TCP responder in a server namespace: accepts and closes, on every address it holds. */
export interface Responder {
  readonly pid: number;
  /** False once it has exited. */
  readonly running: boolean;
  stop(): Promise<void>;
}

/** Starts a responder listening on [::]:port (dual-stack) inside `namespace`. */
export async function startResponder(options: {
  readonly namespace: string;
  readonly port: number;
}): Promise<Responder> {
  const child = spawnInNamespace(options.namespace, 'responder', [String(options.port)]);
  const lines = new LineReader(child, () => undefined);
  await lines.waitFor('listening', START_TIMEOUT_MS, `responder in ${options.namespace}`);
  return {
    pid: child.pid ?? -1,
    get running() {
      return !lines.exited;
    },
    stop: () => lines.stop(),
  };
}

/** `ip netns exec NS node <script>.js ARGS`: `ip` execs node, so the pid is node's. */
function spawnInNamespace(
  namespace: string,
  script: string,
  args: readonly string[],
): ChildProcess {
  const path = fileURLToPath(workerScript(import.meta.url, script));
  const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, path, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) {
    throw new Error(`could not start ${script} in ${namespace}`);
  }
  return child;
}

/** Splits a child's stdout into lines; keeps its stderr for error messages; stops it by pid. */
class LineReader {
  private partial = '';
  private stderr = '';
  /** Called on every line and at exit. */
  private readonly listeners = new Set<() => void>();
  private readonly gone: Promise<void>;
  /** Lines other than the probe's attempts and watermarks (`ready`, `listening`). */
  private readonly markers = new Set<string>();
  exited = false;

  constructor(
    private readonly child: ChildProcess,
    onLine: (line: string) => void,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      const parts = (this.partial + d).split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) {
        if (!line.startsWith('a ') && !line.startsWith('w ')) {
          this.markers.add(line);
        }
        onLine(line);
        this.notify();
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    child.stdin?.on('error', () => undefined); // it exited; its exit says why
    this.gone = new Promise((resolve) =>
      child.on('exit', () => {
        this.exited = true;
        resolve();
        this.notify();
      }),
    );
  }

  text(): string {
    return this.stderr.trim();
  }

  /** Calls `listener` on every line and at exit, until `off`. */
  on(listener: () => void): void {
    this.listeners.add(listener);
  }

  off(listener: () => void): void {
    this.listeners.delete(listener);
  }

  waitFor(line: string, limitMs: number, label: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.markers.has(line)) {
          finish();
          resolve();
        } else if (this.exited) {
          finish();
          reject(new Error(`${label} exited before printing "${line}": ${this.text()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${label}: no "${line}" within ${limitMs} ms: ${this.text()}`));
        void this.stop();
      }, limitMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  async stop(): Promise<void> {
    if (this.exited) {
      return;
    }
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const lingered = await Promise.race([
      this.gone.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_GRACE_MS))),
    ]);
    clearTimeout(timer);
    if (lingered) {
      this.child.kill('SIGKILL');
      await this.gone;
    }
  }

  private notify(): void {
    for (const l of [...this.listeners]) {
      l();
    }
  }
}
