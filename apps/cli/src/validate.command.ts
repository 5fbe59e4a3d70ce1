import type { Command } from 'commander';
import { EXIT_INVALID, EXIT_OK } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { checkCluster } from './checked-cluster.js';
import type { CheckedCluster } from './checked-cluster.js';
import { DOCUMENT_SOURCE_HELP, documentOptions, readDocument } from './cluster-source.js';
import type { DocumentOptions } from './cluster-source.js';
import { outputOption } from './options.js';
import { paletteFor, toJson } from './output.js';
import { CREDENTIALS_HELP } from './server-client.js';
import { formatProblem, problemRecord, summaryLine } from './problem-report.js';

const FORMATS = ['text', 'json'] as const;
export interface ValidateOptions extends DocumentOptions {
  readonly output: (typeof FORMATS)[number];
}

const EXAMPLES = `
${DOCUMENT_SOURCE_HELP}

Exit status: 0 when the document has no errors (warnings allowed), 1 when it has errors (or
the server's cluster has never been applied), 2 when the document cannot be read or parsed,
the server cannot be reached, or the command line is wrong; 6 no token or an unknown one.

Examples:
  vsnet validate -f cluster.yaml
  vsnet validate -f cluster.json -o json
  cat cluster.yaml | vsnet validate -f -
  vsnet validate --server control.example:7400
  vsnet validate --online -o json

${CREDENTIALS_HELP}`;

/** `vsnet validate`: every problem, with the line and column where it was written. */
export function registerValidateCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  documentOptions(
    program
      .command('validate')
      .description('check a cluster document and print every problem with its line and column'),
  )
    .addOption(outputOption(FORMATS))
    .addHelpText('after', EXAMPLES)
    .action(async (options: ValidateOptions) => {
      setExitCode(await validate(options, io));
    });
}

/** Runs `validate` on an already-parsed command line; returns the exit status. */
export async function validate(options: ValidateOptions, io: CliIo): Promise<number> {
  const checked = checkCluster(await readDocument(options, io));
  switch (options.output) {
    case 'json':
      io.stdout.write(toJson(validationRecord(checked)));
      break;
    case 'text': {
      const palette = paletteFor(io.stdout, io.env);
      const lines = checked.problems.map((p) => formatProblem(checked.file, p, palette));
      lines.push(summaryLine(checked, palette));
      io.stdout.write(`${lines.join('\n')}\n`);
      break;
    }
  }
  return checked.errorCount > 0 ? EXIT_INVALID : EXIT_OK;
}

/** The `-o json` report; it names the file, or the server and generation it was read from. */
function validationRecord(checked: CheckedCluster): Record<string, unknown> {
  const { stored } = checked.file;
  return {
    ...(stored === undefined
      ? { file: checked.file.name }
      : { server: stored.server, generation: Number(stored.generation) }),
    valid: checked.errorCount === 0,
    errorCount: checked.errorCount,
    warningCount: checked.warningCount,
    problems: checked.problems.map(problemRecord),
  };
}
