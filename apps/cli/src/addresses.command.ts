import type { Command } from 'commander';
import { addressTable } from '@vsnet/model';
import type { AddressRow } from '@vsnet/model';
import type { CliIo } from './cli-io.js';
import { checkCluster } from './checked-cluster.js';
import { DOCUMENT_SOURCE_HELP, documentOptions, readDocument } from './cluster-source.js';
import type { DocumentOptions } from './cluster-source.js';
import { outputOption } from './options.js';
import { paletteFor, toCsv, toJson, toYaml } from './output.js';
import type { Palette } from './output.js';
import { problemRecord, reportProblemsAside } from './problem-report.js';
import { CREDENTIALS_HELP } from './server-client.js';
import { renderTable } from './table.js';

const FORMATS = ['table', 'json', 'yaml', 'csv'] as const;
export interface AddressesOptions extends DocumentOptions {
  readonly output: (typeof FORMATS)[number];
}

const EXAMPLES = `
Every address in the cluster with the DHCP client identifier it is requested with: the
worksheet for reserving addresses on the DHCP server. With errors in the document the
worksheet is still printed, the problems go to standard error and the exit status is 1.

${DOCUMENT_SOURCE_HELP}

Examples:
  vsnet addresses -f cluster.yaml
  vsnet addresses -f cluster.yaml -o csv > reservations.csv
  vsnet addresses --server control.example:7400 -o csv > reservations.csv
  vsnet addresses --online

${CREDENTIALS_HELP}`;

/** The fields of an address row, in the order every format prints them. */
const FIELDS = [
  'identifier',
  'address',
  'ownerKind',
  'owner',
  'alias',
  'instance',
  'mode',
  'site',
] as const satisfies readonly (keyof AddressRow)[];

/** `vsnet addresses`: the DHCP identifier → address worksheet. */
export function registerAddressesCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  documentOptions(
    program
      .command('addresses')
      .description('list every address with its DHCP identifier, owner and alias'),
  )
    .addOption(outputOption(FORMATS))
    .addHelpText('after', EXAMPLES)
    .action(async (options: AddressesOptions) => {
      setExitCode(await addresses(options, io));
    });
}

/** Runs `addresses` on an already-parsed command line; returns the exit status. */
export async function addresses(options: AddressesOptions, io: CliIo): Promise<number> {
  const checked = checkCluster(await readDocument(options, io));
  const rows = addressTable(checked.cluster, checked.analysis);
  switch (options.output) {
    case 'json':
    case 'yaml': {
      const record = {
        addresses: rows.map(addressRecord),
        problems: checked.problems.map(problemRecord),
      };
      io.stdout.write(options.output === 'json' ? toJson(record) : toYaml(record));
      break;
    }
    case 'csv':
      io.stdout.write(
        toCsv(
          FIELDS,
          rows.map((r) => FIELDS.map((f) => r[f])),
        ),
      );
      break;
    case 'table':
      io.stdout.write(renderAddresses(rows, paletteFor(io.stdout, io.env)));
      break;
  }
  return reportProblemsAside(
    checked,
    'the worksheet may be incomplete or wrong',
    io.stderr,
    paletteFor(io.stderr, io.env),
  );
}

/** A row with its keys in {@link FIELDS} order, optional fields left out when absent. */
function addressRecord(row: AddressRow): Partial<Record<(typeof FIELDS)[number], unknown>> {
  const record: Partial<Record<(typeof FIELDS)[number], unknown>> = {};
  for (const field of FIELDS) {
    if (row[field] !== undefined) {
      record[field] = row[field];
    }
  }
  return record;
}

function renderAddresses(rows: readonly AddressRow[], palette: Palette): string {
  const columns = [
    { header: 'IDENTIFIER', style: palette.bold },
    { header: 'ADDRESS', style: palette.cyan },
    { header: 'KIND' },
    { header: 'OWNER' },
    { header: 'ALIAS' },
    { header: 'INSTANCE', align: 'right' },
    { header: 'MODE' },
    { header: 'SITE', optional: true },
  ] as const;
  const cells = rows.map((r) =>
    FIELDS.map((f) => {
      const value = r[f];
      return value === undefined ? '' : String(value);
    }),
  );
  return renderTable(columns, cells, palette);
}
