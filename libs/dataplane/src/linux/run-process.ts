import { execFile } from 'node:child_process';

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
 * Runs a program with an argument vector (never a shell string) and a timeout; resolves with
 * its exit code and output whatever happens, so callers map failures to items.
 */
export function runProcess(
  file: string,
  args: readonly string[],
  options: RunOptions,
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      {
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_OUTPUT_BYTES,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const e = error as
          (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
        const spawnFailed =
          e !== null &&
          typeof e.code === 'string' &&
          e.code !== 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
        resolve({
          code: e === null ? 0 : typeof e.code === 'number' ? e.code : null,
          stdout,
          stderr,
          timedOut: e?.killed === true,
          ...(spawnFailed ? { spawnError: `${file}: ${e.message}` } : {}),
        });
      },
    );
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
