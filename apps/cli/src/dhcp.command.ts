import { Option } from 'commander';
import type { Command } from 'commander';
import {
  buildDhcpPlan,
  DHCP_FORMATS,
  DhcpExportError,
  exportDhcp,
  SnippetMergeError,
} from '@vsnet/dhcp';
import type { DhcpExportOptions, DhcpFormat, DhcpInterface, FirstBootPool } from '@vsnet/dhcp';
import { CliError, EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import type { DhcpFormat as WireDhcpFormat } from '../../../libs/contracts/src/generated/vsnet/v1/DhcpFormat.js';
import type { ExportDhcpRequest } from '../../../libs/contracts/src/generated/vsnet/v1/ExportDhcpRequest.js';
import type { ExportDhcpResponse__Output } from '../../../libs/contracts/src/generated/vsnet/v1/ExportDhcpResponse.js';
import { checkCluster } from './checked-cluster.js';
import { readClusterFile } from './cluster-file.js';
import { documentOptions, readDocument } from './cluster-source.js';
import type { DocumentOptions } from './cluster-source.js';
import { paletteFor } from './output.js';
import { reportProblemsAside } from './problem-report.js';
import { unary, withServer } from './server-client.js';

export interface DhcpExportCliOptions extends DocumentOptions {
  readonly format: DhcpFormat;
  readonly filer?: string;
  readonly snippet?: boolean;
  readonly dns?: readonly string[];
  readonly domain?: string;
  readonly mergeInto?: string;
  /** `--interface NAME[=SUBNET,...]`, merged by name. */
  readonly interface?: readonly DhcpInterface[];
  readonly firstBootPool?: readonly FirstBootPool[];
  /** `--lease-file FILE`; false with `--no-lease-file`. */
  readonly leaseFile?: string | false;
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

The server formats listen on no interface unless told: --interface NAME (repeatable) names
one; NAME=SUBNET[,SUBNET...] says which subnets' clients are on that link (one per family),
and the one interface given without subnets serves the subnet of a family the others leave,
when only one is left. Other subnets' clients are reached through relays. A new filer's
first-boot request has no fixed address, so it is answered (with its interface definitions)
only from a pool: --first-boot-pool SUBNET=FIRST-LAST (repeatable, IPv4). Kea keeps its leases
in /var/lib/kea unless --lease-file FILE (an absolute path) or --no-lease-file (in memory
only). docs/dhcp.md shows how to run Kea and dhcpd with them.

With --server HOST:PORT (or --online) instead of -f, the control service generates it from the
cluster it stores (DhcpService/ExportDhcp); the output is the same as -f on an exported document.

Exit status: 0 printed, 1 the document has errors (nothing is printed), 2 the command line or
a file is unusable, or the cluster cannot be expressed as DHCP configuration.

Examples:
  vsnet dhcp export -f cluster.yaml --format kea4 --dns 192.0.2.53 --domain example.com > kea-dhcp4.conf
  vsnet dhcp export -f cluster.yaml --format kea4 --interface eth1 \
      --first-boot-pool 192.0.2.0/24=192.0.2.200-192.0.2.220 --lease-file /var/lib/kea/vsnet4.csv
  vsnet dhcp export -f cluster.yaml --format kea6 --interface eth1=2001:db8:0:1::/64 --interface eth2
  vsnet dhcp export -f cluster.yaml --format dhclient --filer filer1 > dhclient.conf
  vsnet dhcp export -f cluster.yaml --format dhcpd --merge-into /etc/dhcp/dhcpd.conf > dhcpd.conf.new
  vsnet dhcp export -f cluster.yaml --format worksheet-csv > worksheet.csv
  vsnet dhcp export --online --format kea4 > kea-dhcp4.conf`;

function list(value: string, previous: readonly string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  ];
}

/** `--interface NAME[=SUBNET,...]`, repeatable: the subnets of one name are gathered. */
function interfaceOption(value: string, previous: readonly DhcpInterface[] = []): DhcpInterface[] {
  const eq = value.indexOf('=');
  const name = (eq < 0 ? value : value.slice(0, eq)).trim();
  if (name === '') {
    throw new CliError(
      `vsnet: --interface ${value} names no interface; write NAME or NAME=SUBNET[,SUBNET...]`,
      EXIT_USAGE,
    );
  }
  const subnets = eq < 0 ? [] : list(value.slice(eq + 1));
  const known = previous.find((i) => i.name === name);
  if (known === undefined) {
    return [...previous, { name, subnets }];
  }
  return previous.map((i) =>
    i === known ? { name, subnets: [...(i.subnets ?? []), ...subnets] } : i,
  );
}

/** `--first-boot-pool SUBNET=FIRST-LAST`, repeatable. */
function poolOption(value: string, previous: readonly FirstBootPool[] = []): FirstBootPool[] {
  const eq = value.indexOf('=');
  if (eq < 0) {
    throw new CliError(
      `vsnet: --first-boot-pool ${value} has no range; write SUBNET=FIRST-LAST, like 192.0.2.0/24=192.0.2.200-192.0.2.220`,
      EXIT_USAGE,
    );
  }
  return [...previous, { subnet: value.slice(0, eq).trim(), range: value.slice(eq + 1).trim() }];
}

/** The server options of the command line, as the exporter takes them. */
function serverOptions(options: DhcpExportCliOptions): DhcpExportOptions {
  const lease = options.leaseFile;
  return {
    ...(options.interface !== undefined ? { interfaces: options.interface } : {}),
    ...(options.firstBootPool !== undefined ? { firstBootPools: options.firstBootPool } : {}),
    ...(lease === false ? { leaseDatabase: { persist: false } } : {}),
    ...(typeof lease === 'string' ? { leaseDatabase: { persist: true, name: lease } } : {}),
  };
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
  const exportCommand = dhcp
    .command('export')
    .description('print Kea, ISC dhcpd or dhclient configuration, or the worksheet');
  documentOptions(exportCommand)
    .addOption(
      new Option('--format <format>', 'what to print').choices(DHCP_FORMATS).makeOptionMandatory(),
    )
    .option('--filer <name>', 'the filer whose dhclient configuration to print')
    .option('--snippet', "only vsnet's block, for a server someone else runs")
    .option('--dns <addresses>', 'name servers handed out, comma separated', list)
    .option('--domain <name>', 'DNS domain handed out')
    .option('--merge-into <file>', "print this file with vsnet's block put into it")
    .option(
      '--interface <name[=subnets]>',
      'an interface the server listens on, and the subnets it serves there (repeatable)',
      interfaceOption,
    )
    .option(
      '--first-boot-pool <subnet=first-last>',
      'IPv4 pool answering first-boot requests (repeatable)',
      poolOption,
    )
    .option('--lease-file <file>', 'where Kea keeps its leases (an absolute path)')
    .option('--no-lease-file', 'Kea keeps its leases in memory only')
    .addHelpText('after', EXAMPLES)
    .action(async (options: DhcpExportCliOptions) => {
      setExitCode(await dhcpExport(options, io));
    });
}

/** Runs `dhcp export` on an already-parsed command line; returns the exit status. */
export async function dhcpExport(options: DhcpExportCliOptions, io: CliIo): Promise<number> {
  const online = options.server !== undefined || options.online === true;
  if (options.file === undefined || online) {
    return dhcpExportOnline(options, io);
  }
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
  const existing = await mergeTarget(options, io);
  try {
    const plan = buildDhcpPlan(checked.cluster, checked.analysis, {
      ...(options.dns !== undefined ? { dnsServers: options.dns } : {}),
      ...(options.domain !== undefined ? { domain: options.domain } : {}),
      ...serverOptions(options),
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

/** The file of --merge-into, read; undefined without the option. */
async function mergeTarget(
  options: DhcpExportCliOptions,
  io: CliIo,
): Promise<{ name: string; text: string } | undefined> {
  if (options.mergeInto === undefined) {
    return undefined;
  }
  try {
    return { name: options.mergeInto, text: await io.readFile(options.mergeInto) };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new CliError(
      `vsnet: cannot read ${options.mergeInto} to merge into (${why}); pass an existing file`,
    );
  }
}

const WIRE_FORMATS: Readonly<Record<DhcpFormat, WireDhcpFormat>> = {
  kea4: 'DHCP_FORMAT_KEA4',
  kea6: 'DHCP_FORMAT_KEA6',
  dhcpd: 'DHCP_FORMAT_DHCPD',
  dhcpd6: 'DHCP_FORMAT_DHCPD6',
  dhclient: 'DHCP_FORMAT_DHCLIENT',
  'worksheet-csv': 'DHCP_FORMAT_WORKSHEET_CSV',
  worksheet: 'DHCP_FORMAT_WORKSHEET',
};

/**
 * `dhcp export --server/--online`: the control service exports the cluster it stores. The
 * stored cluster has no errors (the service refuses them), so only the server's refusals,
 * mapped to their exit status, can stop it.
 */
async function dhcpExportOnline(options: DhcpExportCliOptions, io: CliIo): Promise<number> {
  if (options.file !== undefined || (options.server === undefined && options.online !== true)) {
    // Both or neither of -f and --server/--online: readDocument words the usage error the
    // other verbs give, and throws it.
    await readDocument(options, io);
  }
  const existing = await mergeTarget(options, io);
  const res = await withServer(options, io, (call) =>
    unary<ExportDhcpResponse__Output>(call, (m, o, cb) =>
      call.client('DhcpService').exportDhcp(
        {
          format: WIRE_FORMATS[options.format],
          ...(options.filer !== undefined ? { filer: options.filer } : {}),
          snippet: options.snippet === true,
          dnsServers: [...(options.dns ?? [])],
          ...(options.domain !== undefined ? { domain: options.domain } : {}),
          ...(existing !== undefined ? { mergeInto: existing } : {}),
          ...serverRequest(serverOptions(options)),
        },
        m,
        o,
        cb,
      ),
    ),
  );
  io.stdout.write(res.text);
  return EXIT_OK;
}

/** The server options as ExportDhcpRequest fields. */
function serverRequest(options: DhcpExportOptions): Partial<ExportDhcpRequest> {
  const db = options.leaseDatabase;
  return {
    interfaces: (options.interfaces ?? []).map((i) =>
      typeof i === 'string' ? { name: i } : { name: i.name, subnets: [...(i.subnets ?? [])] },
    ),
    firstBootPools: [...(options.firstBootPools ?? [])],
    ...(db !== undefined ? { leaseDatabase: { persist: db.persist, name: db.name ?? '' } } : {}),
  };
}
