import { Option } from 'commander';

/** `-f/--file`: the cluster document every verb reads (`-` for standard input). */
export function fileOption(): Option {
  return new Option(
    '-f, --file <path>',
    'cluster document, YAML or JSON ("-" reads standard input)',
  ).makeOptionMandatory();
}

/** `-o/--output`, restricted to the formats a verb supports; the first is the default. */
export function outputOption(formats: readonly [string, ...string[]]): Option {
  return new Option('-o, --output <format>', 'output format').choices(formats).default(formats[0]);
}

/** What `-f` and `-o` parse to; each verb narrows `output` to its own formats. */
export interface CommonOptions<F extends string> {
  readonly file: string;
  readonly output: F;
}
