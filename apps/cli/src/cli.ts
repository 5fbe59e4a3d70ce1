import { Command, CommanderError } from 'commander';
import { registerAddressesCommand } from './addresses.command.js';
import { registerApplyCommand } from './apply.command.js';
import { registerAuditCommand } from './audit.command.js';
import { registerAuthCommands } from './auth.command.js';
import { registerChangeCommands } from './change.command.js';
import { CliError, EXIT_OK, EXIT_STATUS_HELP, EXIT_USAGE } from './cli-io.js';
import { registerClusterCommands } from './cluster.command.js';
import type { CliIo, CliStream } from './cli-io.js';
import { registerExportCommand } from './export.command.js';
import { registerFailoverCommands } from './failover.command.js';
import { registerDhcpCommand } from './dhcp.command.js';
import { registerFilerCommands } from './filer.command.js';
import { registerIfaceCommands } from './iface.command.js';
import { paletteFor } from './output.js';
import { registerPlanCommand } from './plan.command.js';
import { registerRoutingCommands } from './policy.command.js';
import { registerSiteCommands } from './site.command.js';
import { registerValidateCommand } from './validate.command.js';
import { registerVsvrCommands } from './vsvr.command.js';

export type { CliIo } from './cli-io.js';

// One paragraph: commander wraps it to the terminal's width.
const DESCRIPTION =
  "Check and explain a vsnet cluster document offline: its problems, what each filer's agent " +
  'would be told to configure, and the DHCP address worksheet; apply it to the control service ' +
  'and export what the service stores. Read and change the cluster there one resource at a time ' +
  '(cluster, filer, iface, vsvr, policy, route, site), follow each change until every filer has ' +
  'applied it (--wait, changes, filer status), see who leads and where each vsvr runs and move ' +
  'vsvrs (failover status, vsvr move), and read its audit trail, principals and tokens.';

function hasColors(stream: CliStream, env: CliIo['env']): boolean {
  return paletteFor(stream, env).isColorSupported;
}

function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('vsnet')
    .description(DESCRIPTION)
    // Nothing below may call process.exit: errors come back to runCli as exceptions.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      getOutHasColors: () => hasColors(io.stdout, io.env),
      getErrHasColors: () => hasColors(io.stderr, io.env),
    })
    .showSuggestionAfterError();
  registerValidateCommand(program, io, setExitCode);
  registerPlanCommand(program, io, setExitCode);
  registerAddressesCommand(program, io, setExitCode);
  registerApplyCommand(program, io, setExitCode);
  registerExportCommand(program, io, setExitCode);
  registerDhcpCommand(program, io, setExitCode);
  registerClusterCommands(program, io);
  registerFilerCommands(program, io);
  registerIfaceCommands(program, io);
  registerVsvrCommands(program, io);
  registerRoutingCommands(program, io);
  registerSiteCommands(program, io);
  registerAuditCommand(program, io);
  registerChangeCommands(program, io);
  registerFailoverCommands(program, io);
  registerAuthCommands(program, io);
  program.addHelpText('after', `\n${EXIT_STATUS_HELP}`);
  return program;
}

/**
 * Runs one `vsnet` command line against `io` and returns the exit status: 0 success,
 * 1 the document has errors, 2 the command line or the input file is unusable, 3–7 the
 * control service's refusals (EXIT_STATUS_HELP). Only a bug escapes as an exception.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof CommanderError) {
      // Commander has already printed its message (or the help that was asked for).
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    throw err;
  }
  return exitCode;
}
