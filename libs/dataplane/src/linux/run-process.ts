import { spawn } from 'node:child_process';

export interface ProcessResult {
  /** Exit code; null when the process was killed (its timeout, or a signal). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  /** Why the process could not run at all (ENOENT…), if it could not. */
  readonly spawnError?: string;
}

export interface RunOptions {
  readonly input?: string;
  readonly timeoutMs: number;
}

/** Large enough for `ip -json` of a filer with thousands of objects. */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/**
 * Runs a program with an argument vector (never a shell string) and a timeout; resolves once
 * with its exit code and output whatever happens, so callers map failures to items.
 *
 * The program runs in its own process group (`detached`), and a timeout kills that whole
 * group: `ip netns exec … ip -batch` and `xargs → sh → arping` leave grandchildren that killing
 * the direct child alone would leave running. The promise settles when the timeout fires,
 * without waiting for a process that escaped the group to close the pipes.
 */
export function runProcess(
  file: string,
  args: readonly string[],
  options: RunOptions,
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let settled = false;
    let timedOut = false;
    const child = spawn(file, args, { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });

    const finish = (code: number | null, spawnError?: string): void => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
        ...(spawnError !== undefined ? { spawnError } : {}),
      });
    };
    /** Kills the child and everything it started; stops reading from them. */
    const killGroup = (): void => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ESRCH') {
            child.kill('SIGKILL');
          }
        }
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
    };
    const collect =
      (into: Buffer[]) =>
      (chunk: Buffer): void => {
        size += chunk.length;
        into.push(chunk);
        if (size > MAX_OUTPUT_BYTES) {
          killGroup();
          finish(null);
        }
      };

    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
      finish(null);
    }, options.timeoutMs);
    child.stdout?.on('data', collect(stdout));
    child.stderr?.on('data', collect(stderr));
    child.on('error', (e) => {
      if (child.pid === undefined) {
        finish(null, `${file}: ${e.message}`);
      }
    });
    child.on('close', (code) => finish(code));
    // A process that exits before reading its input must not crash us with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** Runs `task` over `items` with at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
