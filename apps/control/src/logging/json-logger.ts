import type { LoggerService } from '@nestjs/common';
import type { LogLevel } from '../config/control-config.js';

export type LogSink = (line: string) => void;

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

function firstLine(value: unknown): string {
  const text = value instanceof Error ? value.message : String(value);
  return text.split('\n', 1)[0] ?? '';
}

/**
 * Structured logs: one JSON object a line (`time`, `level`, `msg`, `context`, fields), below the
 * configured level dropped. Also serves as Nest's logger so framework lines look the same.
 */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly level: LogLevel,
    private readonly sink: LogSink = (line) => process.stdout.write(`${line}\n`),
    private readonly now: () => Date = () => new Date(),
  ) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  /** A line with structured fields, for the service's own events. */
  event(level: LogLevel, msg: string, fields: Readonly<Record<string, unknown>> = {}): void {
    if (RANK[level] >= RANK[this.level]) {
      this.sink(JSON.stringify({ time: this.now().toISOString(), level, msg, ...fields }));
    }
  }

  private write(level: LogLevel, message: unknown, rest: unknown[]): void {
    // Nest passes the context as the last string argument, and a stack before it for errors.
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    const fields: Record<string, unknown> = {};
    if (context !== undefined) {
      fields.context = context;
    }
    if (typeof message === 'object' && message !== null && !(message instanceof Error)) {
      this.event(level, 'event', { ...fields, ...(message as Record<string, unknown>) });
      return;
    }
    this.event(level, firstLine(message), fields);
  }
}
