import { spawn } from 'node:child_process';

/** How long a one-shot command may run unless the caller says otherwise. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

export interface RunOptions {
  /** Written to the command's standard input, which is then closed. */
  readonly input?: string;
  /** The command is killed (SIGKILL) after this long and the run fails. */
  readonly timeoutMs?: number;
  /** Resolve with the outcome instead of throwing when the command exits non-zero. */
  readonly allowFailure?: boolean;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
    reason: string,
  ) {
    super(`${command}: ${reason}${result.stderr.trim() ? `: ${result.stderr.trim()}` : ''}`);
    this.name = 'CommandError';
  }
}

/**
 * Runs a one-shot command to completion. Every run has a timeout (STYLE.md rule 12): a hung
 * command is killed and reported, never waited for forever.
 */
export function run(
  cmd: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const shown = [cmd, ...args].join(' ');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${shown}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code, signal, stdout, stderr, ms: performance.now() - started };
      if (timedOut) {
        reject(new CommandError(shown, result, `timed out after ${timeoutMs} ms`));
      } else if (code !== 0 && !options.allowFailure) {
        reject(new CommandError(shown, result, `exited with ${code ?? signal}`));
      } else {
        resolve(result);
      }
    });
    // A command that exits before reading its input closes the pipe; that is its business.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs `ip [-n ns] -batch -` with one command per line: one process for many changes. */
export function ipBatch(
  lines: readonly string[],
  options: {
    readonly namespace?: string;
    readonly force?: boolean;
    readonly timeoutMs?: number;
  } = {},
): Promise<RunResult> {
  const args = [
    ...(options.namespace !== undefined ? ['-n', options.namespace] : []),
    ...(options.force ? ['-force'] : []),
    '-batch',
    '-',
  ];
  return run('ip', args, {
    input: lines.join('\n') + '\n',
    allowFailure: options.force ?? false,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
}

/** `ip -j …` parsed; iproute2 prints nothing at all for an empty list. */
export async function ipJson<T>(args: readonly string[], timeoutMs?: number): Promise<T[]> {
  const { stdout } = await run('ip', ['-j', ...args], timeoutMs !== undefined ? { timeoutMs } : {});
  return stdout.trim() === '' ? [] : (JSON.parse(stdout) as T[]);
}
