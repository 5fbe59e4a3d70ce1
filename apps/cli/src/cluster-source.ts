import { Option } from 'commander';
import type { Command } from 'commander';
import type { ClusterDocument } from '@vsnet/model';
import { clusterDocumentFromWire } from '../../../libs/contracts/src/cluster-api-document.js';
import type { ExportResponse__Output } from '../../../libs/contracts/src/generated/vsnet/v1/ExportResponse.js';
import { CliError } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { parseClusterText, readClusterFile } from './cluster-file.js';
import type { ClusterFile, StoredCluster } from './cluster-file.js';
import { toYaml } from './output.js';
import { DEFAULT_SERVER, timeoutOption, tlsCaOption, unary, withServer } from './server-client.js';
import type { ServerOptions } from './server-client.js';

// Where the offline verbs (validate, plan, addresses) take their document from: a file with
// -f, or the cluster the control service stores with --server/--online. Either way the verb
// runs the same checks on the same data; only where a problem is said to be differs.

/** What `-f`, `--server`, `--online` and `--timeout` parse to. */
export interface DocumentOptions extends ServerOptions {
  readonly file?: string;
  readonly online?: boolean;
}

/** The ways to name the document, for the message that none was named. */
const SOURCES = '-f FILE (- for standard input), or --server HOST:PORT (or --online)';

/**
 * Adds `-f`, `--server`, `--online`, `--tls-ca` and `--timeout` to a verb that reads a cluster document.
 * None is mandatory to commander: {@link readDocument} says which combinations are wrong.
 */
export function documentOptions(command: Command): Command {
  return command
    .addOption(
      new Option('-f, --file <path>', 'cluster document, YAML or JSON ("-" reads standard input)'),
    )
    .addOption(
      new Option(
        '--server <host:port>',
        'use the cluster stored on this vsnet control service instead of a file',
      ),
    )
    .addOption(
      new Option(
        '--online',
        `use the cluster the control service stores ($VSNET_SERVER, the config file's server:, or ${DEFAULT_SERVER})`,
      ),
    )
    .addOption(tlsCaOption())
    .addOption(timeoutOption());
}

/**
 * Reads the document the options name: the file of `-f`, or the cluster the control
 * service stores (`--server`, or `--online` for the server the environment or config file
 * names). Both, or neither, is a one-line usage error (exit 2).
 */
export async function readDocument(options: DocumentOptions, io: CliIo): Promise<ClusterFile> {
  const online = options.server !== undefined || options.online === true;
  if (options.file !== undefined && online) {
    const flag = options.server !== undefined ? '--server' : '--online';
    throw new CliError(
      `vsnet: -f and ${flag} both name the document; pass -f FILE to read a file, or ${flag} alone to read the cluster the control service stores`,
    );
  }
  if (options.file !== undefined) {
    return readClusterFile(options.file, io);
  }
  if (!online) {
    throw new CliError(
      `vsnet: required option '-f, --file <path>' not specified; pass ${SOURCES} to use the cluster the control service stores`,
    );
  }
  return withServer(options, io, async (call) => {
    const res = await unary<ExportResponse__Output>(call, (m, o, cb) =>
      call.config.export({}, m, o, cb),
    );
    if (res.document === null) {
      throw new Error('the server answered Export without a document');
    }
    return storedClusterFile(clusterDocumentFromWire(res.document), {
      server: call.server,
      generation: res.generation,
    });
  });
}

/**
 * The stored cluster as a {@link ClusterFile}. It is rendered as `vsnet export` prints it and
 * parsed back, so a verb sees exactly the data `-f` on an exported file would give it, and
 * problems sort in the order of that printout.
 */
export function storedClusterFile(document: ClusterDocument, stored: StoredCluster): ClusterFile {
  return {
    ...parseClusterText(`(server, generation ${stored.generation})`, toYaml(document)),
    stored,
  };
}

/** Help text shared by the verbs that take {@link documentOptions}. */
export const DOCUMENT_SOURCE_HELP = `The document is -f FILE, or with --server HOST:PORT (or --online) the cluster the control
service stores, read with ConfigService/Export: its problems are shown at their document path
with "(server, generation N)" in place of FILE:LINE:COL.`;
