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
  /** The clock, in milliseconds since the Unix epoch (`--since 1h`); absent: Date.now. */
  now?(): number;
}

/**
 * Exit statuses: 1 means the document has errors (or the cluster refuses the change as it
 * stands), 2 that the CLI could not do its job; the online verbs add one per refusal the
 * control service gives, so a script can tell them apart (EXIT_STATUS_HELP lists them).
 */
export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;
/** INVALID_ARGUMENT: a value in the request is malformed. */
export const EXIT_BAD_REQUEST = 3;
/** NOT_FOUND: the thing named does not exist. */
export const EXIT_NOT_FOUND = 4;
/** ALREADY_EXISTS: the thing to create exists, or the address or instance is taken. */
export const EXIT_ALREADY_EXISTS = 5;
/** UNAUTHENTICATED: no token, or one the service does not know. */
export const EXIT_UNAUTHENTICATED = 6;
/** PERMISSION_DENIED: the token's role may not do this. */
export const EXIT_PERMISSION_DENIED = 7;
/** `--wait`: a filer's agent failed to apply the change (the service keeps retrying). */
export const EXIT_CHANGE_FAILED = 8;
/** `--wait`: the change was not applied on every filer within `--wait-timeout`. */
export const EXIT_WAIT_TIMEOUT = 9;

/** The exit statuses of the online verbs, for their --help. */
export const EXIT_STATUS_HELP = `Exit status:
  0  done
  1  the cluster refuses the change as it stands (FAILED_PRECONDITION), or the document has errors
  2  the command line or input is unusable, or the server could not be reached or failed
  3  the server refused a value of the request (INVALID_ARGUMENT)
  4  what the command names does not exist (NOT_FOUND)
  5  what the command creates exists already, or the address is taken (ALREADY_EXISTS)
  6  no token or an unknown one (UNAUTHENTICATED): set VSNET_TOKEN or token: in the config file
  7  the token's role may not do this (PERMISSION_DENIED)
  8  --wait: a filer failed to apply the change (each failed filer's error follows)
  9  --wait: the change was not applied on every filer within --wait-timeout`;

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
