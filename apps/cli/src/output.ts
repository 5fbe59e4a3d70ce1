import pc from 'picocolors';
import { stringify } from 'yaml';
import type { CliIo, CliStream } from './cli-io.js';

/** The colours the CLI uses; every one is the identity when colour is off. */
export type Palette = ReturnType<typeof pc.createColors>;

/**
 * Colour only for a person at a terminal: never when the stream is a pipe or a file, and
 * never when `NO_COLOR` is set to anything but the empty string (https://no-color.org).
 */
export function paletteFor(stream: CliStream, env: CliIo['env']): Palette {
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  return pc.createColors(stream.isTTY === true && !noColor);
}

/** Pretty-printed JSON with a trailing newline; never coloured, so it can be piped. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** YAML that a person can read and `vsnet` could parse back. */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

function csvField(value: string | number | undefined): string {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** RFC 4180 CSV: a header row, CRLF line ends, fields quoted only when they need it. */
export function toCsv(
  header: readonly string[],
  rows: readonly (readonly (string | number | undefined)[])[],
): string {
  return [header, ...rows].map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
}
