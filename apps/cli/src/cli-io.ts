/** A stream the CLI writes to; `isTTY` decides whether output may be coloured. */
export interface CliStream {
  write(s: string): void;
  readonly isTTY?: boolean;
}

/**
 * Every effect the CLI has on the world. `main.ts` passes the process's; tests pass an
 * in-memory one, so a command runs in-process and its output can be read back.
 */
export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  readFile(path: string): Promise<string>;
  readStdin(): Promise<string>;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Exit statuses: 1 means the document has errors, 2 that the CLI could not do its job. */
export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

/**
 * A failure the user can fix (missing file, YAML syntax error, unknown filer). Its message
 * is one line saying what is wrong and how to fix it; the CLI prints it without a stack.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
