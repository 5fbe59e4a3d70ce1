import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { EXIT_STATUS_HELP } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { paletteFor, toJson, toYaml } from './output.js';
import type { Palette } from './output.js';
import { CREDENTIALS_HELP, serverOption, timeoutOption, tlsCaOption } from './server-client.js';
import type { ServerOptions } from './server-client.js';

// What the resource verbs (cluster, filer, iface, vsvr, policy, route, site, audit, principal,
// token, whoami) share: their options, their help, parsing of repeated and listed values, and
// printing an answer for a person or a program.

/** Reads print a table (or fields) by default; `-o json|yaml` for programs. */
export const READ_FORMATS = ['table', 'json', 'yaml'] as const;
/** Changes print one line saying what was done; `-o json|yaml` print the answer. */
export const WRITE_FORMATS = ['text', 'json', 'yaml'] as const;

export type ReadFormat = (typeof READ_FORMATS)[number];
export type WriteFormat = (typeof WRITE_FORMATS)[number];

/** What every resource verb's options include. */
export interface OnlineOptions<F extends string = ReadFormat | WriteFormat> extends ServerOptions {
  readonly output: F;
}

/**
 * Adds `--server`, `--tls-ca`, `--timeout` and `-o` to a leaf verb, and its help epilogue: `examples`
 * (each line a command), where the server and token come from, and the exit statuses.
 */
export function onlineVerb(
  command: Command,
  formats: readonly [string, ...string[]],
  examples: readonly string[],
): Command {
  return command
    .addOption(serverOption())
    .addOption(tlsCaOption())
    .addOption(timeoutOption())
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(formats).default(formats[0]),
    )
    .addHelpText(
      'after',
      `\nExample${examples.length === 1 ? '' : 's'}:\n${examples.map((e) => `  ${e}`).join('\n')}\n\n${CREDENTIALS_HELP}\n\n${EXIT_STATUS_HELP}`,
    );
}

/** A group of verbs (`vsnet vsvr …`); it only holds its subcommands. */
export function verbGroup(parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description);
}

/**
 * The answer as JSON or YAML a program reads: proto-loader's oneof markers (`_mode`) are
 * dropped, and generations (`generation`, `observedGeneration`, …) and times (decimal strings
 * on the wire) become numbers.
 */
export function plain(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => plain(v));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k, v]) => !k.startsWith('_') && v !== undefined)
        .map(([k, v]) => [k, plain(v, k)]),
    );
  }
  if (
    typeof value === 'string' &&
    /^\d+$/.test(value) &&
    (key === 'generation' || key.endsWith('Generation') || key.endsWith('UnixMs'))
  ) {
    return Number(value);
  }
  return value;
}

/**
 * Prints an answer: `-o json`/`-o yaml` print `machine` (made plain); otherwise the text
 * `human` renders with the palette of standard output (colour only on a terminal).
 */
export function emit(
  io: CliIo,
  output: string,
  machine: unknown,
  human: (palette: Palette) => string,
): void {
  if (output === 'json') {
    io.stdout.write(toJson(plain(machine)));
  } else if (output === 'yaml') {
    io.stdout.write(toYaml(plain(machine)));
  } else {
    const text = human(paletteFor(io.stdout, io.env));
    io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}

/** Name/value lines, the names aligned and bold: what a `show` verb prints. */
export function renderFields(
  fields: readonly (readonly [string, string | undefined])[],
  palette: Palette,
): string {
  const shown = fields.filter((f): f is readonly [string, string] => f[1] !== undefined);
  const width = Math.max(0, ...shown.map(([name]) => name.length));
  return shown
    .map(([name, value]) =>
      `${palette.bold(`${name}:`)}${' '.repeat(width - name.length + 1)} ${value}`.trimEnd(),
    )
    .join('\n');
}

/** `eth0,eth1` or `eth0, eth1` as a list; empty items are dropped. */
export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** For a repeatable option that also takes commas: `--vsvr a --vsvr b,c` → [a, b, c]. */
export function collectList(value: string, previous: readonly string[] = []): string[] {
  return [...previous, ...parseList(value)];
}

/** For a repeatable option taken whole: `--route 'default via 192.0.2.1'`. */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

/** A non-negative integer argument (`--instance 2`, a VLAN tag). */
export function parseCount(what: string): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      throw new InvalidArgumentError(`${what} must be a whole number, e.g. 0 or 2`);
    }
    return Number(value);
  };
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `90s`, `30m`, `1h`, `30d`, `2w` in milliseconds; undefined when it is not one. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d+)([smhdw])$/.exec(value.trim());
  if (match === null) {
    return undefined;
  }
  const [, count, unit] = match;
  return Number(count) * (DURATION_UNITS[unit ?? ''] ?? 0);
}

/** The clock the command reads. */
export function nowOf(io: CliIo): number {
  return io.now?.() ?? Date.now();
}

/** Milliseconds since the epoch (a decimal string, as the wire gives it) as `2025-06-01T10:00:00Z`. */
export function formatTime(unixMs: string | number): string {
  const ms = Number(unixMs);
  if (!Number.isFinite(ms) || ms <= 0) {
    return '';
  }
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `1 filer` / `2 filers`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
