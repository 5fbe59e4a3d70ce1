/** Where log lines go: stdout in the agent, an array in tests. */
export type LogSink = (line: string) => void;

export type LogLevel = 'info' | 'warn' | 'error';

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * Structured logs: one JSON object a line, `time`, `level`, `msg`, then the logger's bound
 * fields (the filer) and the call's own. Nothing else in the agent writes to stdout.
 */
export class Logger {
  constructor(
    private readonly sink: LogSink,
    private readonly bound: LogFields = {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  info(msg: string, fields: LogFields = {}): void {
    this.write('info', msg, fields);
  }

  warn(msg: string, fields: LogFields = {}): void {
    this.write('warn', msg, fields);
  }

  error(msg: string, fields: LogFields = {}): void {
    this.write('error', msg, fields);
  }

  /** A logger that adds `fields` to every line. */
  with(fields: LogFields): Logger {
    return new Logger(this.sink, { ...this.bound, ...fields }, this.now);
  }

  private write(level: LogLevel, msg: string, fields: LogFields): void {
    this.sink(
      JSON.stringify({ time: this.now().toISOString(), level, msg, ...this.bound, ...fields }),
    );
  }
}

/** The process's logger: JSON lines on stdout. */
export function stdoutLogger(fields: LogFields = {}): Logger {
  return new Logger((line) => process.stdout.write(`${line}\n`), fields);
}

/** A one-line description of anything thrown. */
export function errorMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n', 1)[0] ?? '';
}
