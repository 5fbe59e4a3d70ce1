import { Option } from 'commander';
import type { Command } from 'commander';
import * as grpc from '@grpc/grpc-js';
import type { ClusterDocument } from '@vsnet/model';
import { clusterDocumentToWire } from '../../../libs/contracts/src/cluster-api-document.js';
import type { ClusterDocumentMessage } from '../../../libs/contracts/src/cluster-api.js';
import type { ApplyResponse__Output } from '../../../libs/contracts/src/generated/vsnet/v1/ApplyResponse.js';
import type { Change__Output } from '../../../libs/contracts/src/generated/vsnet/v1/Change.js';
import { waitForChange, withWaitOptions } from './change-wait.js';
import type { WaitOptions } from './change-wait.js';
import { CliError, EXIT_INVALID, EXIT_OK } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { readClusterFile } from './cluster-file.js';
import type { ClusterFile } from './cluster-file.js';
import { fileOption, outputOption } from './options.js';
import type { CommonOptions } from './options.js';
import { paletteFor, toJson } from './output.js';
import type { Palette } from './output.js';
import {
  connect,
  fieldViolations,
  isServiceError,
  parseDocumentPath,
  serverFailure,
  serverOption,
  timeoutOption,
  tlsCaOption,
  unary,
  valueFromWire,
} from './server-client.js';
import type { FieldViolation, ServerOptions } from './server-client.js';

const FORMATS = ['text', 'json'] as const;
export interface ApplyOptions
  extends CommonOptions<(typeof FORMATS)[number]>, ServerOptions, WaitOptions {
  readonly dryRun?: boolean;
}

const EXAMPLES = `
The server validates the whole document and applies the difference in one transaction.
The token (VSNET_TOKEN, else token: in the config file) is sent as "authorization: Bearer <token>".

Exit status: 0 applied (or nothing to change), 1 the server refused the document (each
problem is printed with its line and column), 2 the server could not be reached or the
document cannot be read, 6 no token or an unknown one, 7 the token may not apply; with
--wait, 8 a filer failed to apply the change, 9 it was not applied within --wait-timeout.

Examples:
  vsnet apply -f cluster.yaml --dry-run
  vsnet apply -f cluster.yaml --server control.example:7400
  vsnet apply -f cluster.yaml --wait --wait-timeout 2m
  vsnet export | vsnet apply -f -`;

/** `vsnet apply`: make the cluster the control service stores equal to a document. */
export function registerApplyCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  withWaitOptions(
    program
      .command('apply')
      .description('make the cluster on the control service equal to a document')
      .addOption(fileOption())
      .addOption(new Option('--dry-run', 'show the changes without writing them'))
      .addOption(serverOption())
      .addOption(tlsCaOption())
      .addOption(timeoutOption())
      .addOption(outputOption(FORMATS)),
  )
    .addHelpText('after', EXAMPLES)
    .action(async (options: ApplyOptions) => {
      setExitCode(await apply(options, io));
    });
}

const KIND_SIGNS: Readonly<Record<string, string>> = {
  CHANGE_KIND_ADDED: '+',
  CHANGE_KIND_REMOVED: '-',
  CHANGE_KIND_CHANGED: '~',
};

const KIND_NAMES: Readonly<Record<string, string>> = {
  CHANGE_KIND_ADDED: 'added',
  CHANGE_KIND_REMOVED: 'removed',
  CHANGE_KIND_CHANGED: 'changed',
};

/** Runs `apply` on an already-parsed command line; returns the exit status. */
export async function apply(options: ApplyOptions, io: CliIo): Promise<number> {
  const file = await readClusterFile(options.file, io);
  const document = toWire(file);
  const call = await connect(options, io);
  try {
    const res = await unary<ApplyResponse__Output>(call, (m, o, cb) =>
      call.config.apply({ document, dryRun: options.dryRun === true }, m, o, cb),
    );
    printResult(res, options, io);
    if (options.dryRun !== true) {
      await waitForChange(io, options, res.generation);
    }
    return EXIT_OK;
  } catch (err) {
    if (isServiceError(err) && err.code === grpc.status.INVALID_ARGUMENT) {
      const violations = fieldViolations(err);
      if (violations.length > 0) {
        printViolations(file, call.server, violations, io);
        return EXIT_INVALID;
      }
    }
    throw serverFailure(call, err);
  } finally {
    call.close();
  }
}

/** The document as Apply's message; a document without the cluster shape cannot be sent. */
function toWire(file: ClusterFile): ClusterDocumentMessage {
  try {
    return clusterDocumentToWire(file.data as ClusterDocument);
  } catch {
    throw new CliError(
      `vsnet: ${file.name}: not a cluster document; vsnet validate says what is wrong with it`,
      EXIT_INVALID,
    );
  }
}

function changeLine(change: Change__Output, palette: Palette): string {
  const sign = KIND_SIGNS[change.kind] ?? '?';
  const colour =
    sign === '+' ? palette.green : sign === '-' ? palette.red : (s: string) => palette.yellow(s);
  return colour(`${sign} ${change.path}`);
}

function printResult(res: ApplyResponse__Output, options: ApplyOptions, io: CliIo): void {
  const dryRun = options.dryRun === true;
  if (options.output === 'json') {
    io.stdout.write(
      toJson({
        dryRun,
        applied: res.applied,
        generation: Number(res.generation),
        changes: res.changes.map((c) => ({
          kind: KIND_NAMES[c.kind] ?? c.kind,
          path: c.path,
          ...(c.before !== null ? { before: valueFromWire(c.before) } : {}),
          ...(c.after !== null ? { after: valueFromWire(c.after) } : {}),
        })),
        warnings: res.warnings.map((w) => ({ code: w.code, path: w.path, message: w.message })),
      }),
    );
    return;
  }
  const palette = paletteFor(io.stdout, io.env);
  const lines = res.changes.map((c) => changeLine(c, palette));
  const count = `${res.changes.length} change${res.changes.length === 1 ? '' : 's'}`;
  if (res.changes.length === 0) {
    lines.push(`no changes (generation ${res.generation})`);
  } else if (dryRun) {
    lines.push(`dry run: ${count}, nothing written (generation ${res.generation})`);
  } else {
    lines.push(`applied ${count} (generation ${res.generation})`);
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  const warn = paletteFor(io.stderr, io.env);
  for (const w of res.warnings) {
    io.stderr.write(
      `${warn.bold(warn.yellow('warning'))} ${warn.cyan(w.path)}: ${w.message} ${warn.dim(`[${w.code}]`)}\n`,
    );
  }
}

/** Each violation where it was written, like `validate` prints problems. */
function printViolations(
  file: ClusterFile,
  server: string,
  violations: readonly FieldViolation[],
  io: CliIo,
): void {
  const palette = paletteFor(io.stderr, io.env);
  const located = violations
    .map((v, index) => ({ v, index, at: file.locate(parseDocumentPath(v.field)) }))
    .sort((a, b) => a.at.line - b.at.line || a.at.column - b.at.column || a.index - b.index);
  const lines = located.map(({ v, at }) => {
    const where = palette.bold(`${file.name}:${at.line}:${at.column}`);
    return `${where} ${palette.bold(palette.red('error'))} ${palette.cyan(v.field)}: ${v.description}`;
  });
  const count = `${violations.length} problem${violations.length === 1 ? '' : 's'}`;
  lines.push(
    palette.bold(palette.red(`${server} refused the document: ${count}; nothing was written`)),
  );
  io.stderr.write(`${lines.join('\n')}\n`);
}
