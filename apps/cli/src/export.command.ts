import type { Command } from 'commander';
import { clusterDocumentFromWire } from '../../../libs/contracts/src/cluster-api-document.js';
import type { ExportResponse__Output } from '../../../libs/contracts/src/generated/vsnet/v1/ExportResponse.js';
import { EXIT_OK } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { outputOption } from './options.js';
import { toJson, toYaml } from './output.js';
import {
  connect,
  serverFailure,
  serverOption,
  timeoutOption,
  tlsCaOption,
  unary,
} from './server-client.js';
import type { ServerOptions } from './server-client.js';

const FORMATS = ['yaml', 'json'] as const;
export interface ExportOptions extends ServerOptions {
  readonly output: (typeof FORMATS)[number];
}

const EXAMPLES = `
The document printed is one that "vsnet apply -f -" accepts unchanged (applying it changes
nothing), so it can be edited and applied back.

Exit status: 0 printed, 1 the cluster has never been applied, 2 the server could not be reached.

Examples:
  vsnet export > cluster.yaml
  vsnet export -o json --server control.example:7400`;

/** `vsnet export`: the cluster the control service stores, as a document. */
export function registerExportCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  program
    .command('export')
    .description('print the cluster stored on the control service as a document')
    .addOption(serverOption())
    .addOption(tlsCaOption())
    .addOption(timeoutOption())
    .addOption(outputOption(FORMATS))
    .addHelpText('after', EXAMPLES)
    .action(async (options: ExportOptions) => {
      setExitCode(await exportCluster(options, io));
    });
}

/** Runs `export` on an already-parsed command line; returns the exit status. */
export async function exportCluster(options: ExportOptions, io: CliIo): Promise<number> {
  const call = await connect(options, io);
  try {
    const res = await unary<ExportResponse__Output>(call, (m, o, cb) =>
      call.config.export({}, m, o, cb),
    );
    if (res.document === null) {
      throw new Error('the server answered Export without a document');
    }
    const document = clusterDocumentFromWire(res.document);
    io.stdout.write(options.output === 'json' ? toJson(document) : toYaml(document));
    return EXIT_OK;
  } catch (err) {
    throw serverFailure(call, err);
  } finally {
    call.close();
  }
}
