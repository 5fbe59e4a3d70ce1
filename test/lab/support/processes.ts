import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';

/**
 * A long-running process a test started (a server in a vsvr namespace, a client connection, a
 * ping loop). It is ended only by its own pid, and every one still running is ended by
 * `stopStarted()` in the test's afterAll.
 */
export class LongRunning {
  private out = '';
  private readonly listeners = new Set<() => void>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => this.append(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => this.append(d));
    child.stdin?.on('error', () => undefined); // a closed peer; its exit says why
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        STARTED.delete(this);
        resolve({ code, signal });
        this.notify();
      }),
    );
  }

  /** Starts `ip netns exec ns cmd args…`; `ip` execs the command, so the pid is the command's. */
  static inNamespace(label: string, ns: string, cmd: string, args: readonly string[]): LongRunning {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) {
      throw new Error(`${label}: could not start ${cmd}`);
    }
    const p = new LongRunning(label, child);
    STARTED.add(p);
    return p;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  output(): string {
    return this.out;
  }

  write(text: string): void {
    this.child.stdin?.write(text);
  }

  /** Resolves once the output (from offset `from`) matches `pattern`. */
  async waitForOutput(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpExecArray> {
    return this.waitUntil(
      (out) => pattern.exec(out.slice(from)) ?? undefined,
      timeoutMs,
      `${pattern}`,
    );
  }

  /**
   * Resolves with the first defined value `test` returns for the output so far, re-checked on
   * every new output; fails after `timeoutMs`, or when the process exits first.
   */
  waitUntil<T>(
    test: (output: string) => T | undefined,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = test(this.out);
        if (found !== undefined) {
          done();
          resolve(found);
          return true;
        }
        if (!this.running) {
          done();
          reject(new Error(`${this.label} exited before printing ${what}; output:\n${this.out}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label}: no ${what} within ${timeoutMs} ms; output:\n${this.out}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = (): void => void check();
      if (!check()) {
        this.listeners.add(listener);
      }
    });
  }

  /** Sends `signal` to the pid and waits for the exit (SIGKILL after `graceMs`). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 3_000): Promise<void> {
    if (!this.running) {
      return;
    }
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const lingered = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (lingered) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  private append(d: string): void {
    this.out += d;
    this.notify();
  }

  private notify(): void {
    for (const l of [...this.listeners]) {
      l();
    }
  }
}

const STARTED = new Set<LongRunning>();

/** Ends every long-running process the tests started and that still runs, by pid. */
export async function stopStarted(): Promise<void> {
  await Promise.all([...STARTED].map((p) => p.stop()));
}
