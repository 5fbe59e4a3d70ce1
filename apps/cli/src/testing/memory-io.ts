import type { CliIo } from '../cli-io.js';

export interface MemoryIoOptions {
  /** Files `readFile` can read, by path; any other path fails like a missing file. */
  readonly files?: Readonly<Record<string, string>>;
  readonly stdin?: string;
  /** Whether stdout and stderr claim to be terminals. */
  readonly tty?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => Promise<string>;
  /** The clock the CLI reads, in milliseconds since the Unix epoch. */
  readonly now?: number;
}

/** An in-memory {@link CliIo} for tests, with what the CLI wrote. */
export interface MemoryIo {
  readonly io: CliIo;
  stdout(): string;
  stderr(): string;
}

function missing(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
    code: 'ENOENT',
  });
}

export function memoryIo(options: MemoryIoOptions = {}): MemoryIo {
  let out = '';
  let err = '';
  const files = options.files ?? {};
  const io: CliIo = {
    stdout: { write: (s) => void (out += s), isTTY: options.tty ?? false },
    stderr: { write: (s) => void (err += s), isTTY: options.tty ?? false },
    readFile:
      options.readFile ??
      ((path) => {
        const text = files[path];
        return text === undefined ? Promise.reject(missing(path)) : Promise.resolve(text);
      }),
    readStdin: () => Promise.resolve(options.stdin ?? ''),
    env: options.env ?? {},
    ...(options.now !== undefined ? { now: () => options.now ?? 0 } : {}),
  };
  return { io, stdout: () => out, stderr: () => err };
}
