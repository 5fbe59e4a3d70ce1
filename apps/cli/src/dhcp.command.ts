import { Option } from 'commander';
import type { Command } from 'commander';
import {
  buildDhcpPlan,
  DHCP_FORMATS,
  DhcpExportError,
  exportDhcp,
  SnippetMergeError,
} from '@vsnet/dhcp';
import type { DhcpFormat } from '@vsnet/dhcp';
import { CliError, EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { checkCluster } from './checked-cluster.js';
import { readClusterFile } from './cluster-file.js';
import { fileOption } from './options.js';
import { paletteFor } from './output.js';
import { reportProblemsAside } from './problem-report.js';

export interface DhcpExportCliOptions {
  readonly file: string;
  readonly format: DhcpFormat;
  readonly filer?: string;
  readonly snippet?: boolean;
  readonly dns?: readonly string[];
  readonly domain?: string;
  readonly mergeInto?: string;
}

const EXAMPLES = `
Every address of the cluster is a fixed DHCP address under its identifier (the worksheet of
"vsnet addresses"). The servers' configurations also carry each filer's interface definitions
(bonds, failover interfaces, VLANs, aliases, MTUs) as vendor options, which a new filer asks
for down every port (docs/dhcp-vendor-options.md). Output goes to standard output.

--snippet prints only vsnet's block, between "# BEGIN vsnet cluster NAME" and "# END vsnet
cluster NAME" lines, for a DHCP server someone else runs. --merge-into FILE prints FILE with
that block replaced (or added: appended, or for Kea put first in its subnet list); every
other byte of FILE is kept. Check the result, then move it into place.

Exit status: 0 printed, 1 the document has errors (nothing is printed), 2 the command line or
a file is unusable, or the cluster cannot be expressed as DHCP configuration.

Examples:
  vsnet dhcp export -f cluster.yaml --format kea4 --dns 192.0.2.53 --domain example.com > kea-dhcp4.conf
  vsnet dhcp export -f cluster.yaml --format dhclient --filer filer1 > dhclient.conf
  vsnet dhcp export -f cluster.yaml --format dhcpd --merge-into /etc/dhcp/dhcpd.conf > dhcpd.conf.new
  vsnet dhcp export -f cluster.yaml --format worksheet-csv > worksheet.csv`;

function list(value: string, previous: readonly string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  ];
}

/** `vsnet dhcp export`: DHCP server and client configuration and the worksheet, offline. */
export function registerDhcpCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  const dhcp = program
    .command('dhcp')
    .description('DHCP configuration generated from a cluster document');
  dhcp
    .command('export')
    .description('print Kea, ISC dhcpd or dhclient configuration, or the worksheet')
    .addOption(fileOption())
    .addOption(
      new Option('--format <format>', 'what to print').choices(DHCP_FORMATS).makeOptionMandatory(),
    )
    .option('--filer <name>', 'the filer whose dhclient configuration to print')
    .option('--snippet', "only vsnet's block, for a server someone else runs")
    .option('--dns <addresses>', 'name servers handed out, comma separated', list)
    .option('--domain <name>', 'DNS domain handed out')
    .option('--merge-into <file>', "print this file with vsnet's block put into it")
    .addHelpText('after', EXAMPLES)
    .action(async (options: DhcpExportCliOptions) => {
      setExitCode(await dhcpExport(options, io));
    });
}

/** Runs `dhcp export` on an already-parsed command line; returns the exit status. */
export async function dhcpExport(options: DhcpExportCliOptions, io: CliIo): Promise<number> {
  const checked = checkCluster(await readClusterFile(options.file, io));
  if (checked.errorCount > 0) {
    reportProblemsAside(
      checked,
      'no DHCP configuration is printed',
      io.stderr,
      paletteFor(io.stderr, io.env),
    );
    return EXIT_INVALID;
  }
  let existing: { name: string; text: string } | undefined;
  if (options.mergeInto !== undefined) {
    try {
      existing = { name: options.mergeInto, text: await io.readFile(options.mergeInto) };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new CliError(
        `vsnet: cannot read ${options.mergeInto} to merge into (${why}); pass an existing file`,
      );
    }
  }
  try {
    const plan = buildDhcpPlan(checked.cluster, checked.analysis, {
      ...(options.dns !== undefined ? { dnsServers: options.dns } : {}),
      ...(options.domain !== undefined ? { domain: options.domain } : {}),
    });
    io.stdout.write(
      exportDhcp(plan, {
        format: options.format,
        ...(options.filer !== undefined ? { filer: options.filer } : {}),
        ...(options.snippet === true ? { snippet: true } : {}),
        ...(existing !== undefined ? { mergeInto: existing } : {}),
      }),
    );
  } catch (err) {
    if (
      err instanceof DhcpExportError ||
      err instanceof SnippetMergeError ||
      err instanceof RangeError
    ) {
      throw new CliError(`vsnet: ${err.message}`, EXIT_USAGE);
    }
    throw err;
  }
  // Warnings do not stop an export, but the person running it should see them.
  return reportProblemsAside(
    checked,
    'the configuration may be wrong',
    io.stderr,
    paletteFor(io.stderr, io.env),
  ) === EXIT_OK
    ? EXIT_OK
    : EXIT_INVALID;
}
