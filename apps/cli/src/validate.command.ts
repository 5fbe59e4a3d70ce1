import type { Command } from 'commander';
import { EXIT_INVALID, EXIT_OK } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { checkCluster } from './checked-cluster.js';
import type { CheckedCluster } from './checked-cluster.js';
import { readClusterFile } from './cluster-file.js';
import { fileOption, outputOption } from './options.js';
import type { CommonOptions } from './options.js';
import { paletteFor, toJson } from './output.js';
import { formatProblem, problemRecord, summaryLine } from './problem-report.js';

const FORMATS = ['text', 'json'] as const;
export type ValidateOptions = CommonOptions<(typeof FORMATS)[number]>;

const EXAMPLES = `
Exit status: 0 when the document has no errors (warnings allowed), 1 when it has errors,
2 when the document cannot be read or parsed, or the command line is wrong.

Examples:
  vsnet validate -f cluster.yaml
  vsnet validate -f cluster.json -o json
  cat cluster.yaml | vsnet validate -f -`;

/** `vsnet validate`: every problem, with the line and column where it was written. */
export function registerValidateCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  program
    .command('validate')
    .description('check a cluster document and print every problem with its line and column')
    .addOption(fileOption())
    .addOption(outputOption(FORMATS))
    .addHelpText('after', EXAMPLES)
    .action(async (options: ValidateOptions) => {
      setExitCode(await validate(options, io));
    });
}

/** Runs `validate` on an already-parsed command line; returns the exit status. */
export async function validate(options: ValidateOptions, io: CliIo): Promise<number> {
  const checked = checkCluster(await readClusterFile(options.file, io));
  switch (options.output) {
    case 'json':
      io.stdout.write(toJson(validationRecord(checked)));
      break;
    case 'text': {
      const palette = paletteFor(io.stdout, io.env);
      const lines = checked.problems.map((p) => formatProblem(checked.file.name, p, palette));
      lines.push(summaryLine(checked, palette));
      io.stdout.write(`${lines.join('\n')}\n`);
      break;
    }
  }
  return checked.errorCount > 0 ? EXIT_INVALID : EXIT_OK;
}

function validationRecord(checked: CheckedCluster): Record<string, unknown> {
  return {
    file: checked.file.name,
    valid: checked.errorCount === 0,
    errorCount: checked.errorCount,
    warningCount: checked.warningCount,
    problems: checked.problems.map(problemRecord),
  };
}
