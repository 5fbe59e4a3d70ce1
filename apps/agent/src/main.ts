import { startAgent } from './agent.js';
import type { RunningAgent } from './agent.js';
import { ConfigError, loadConfig } from './config.js';
import { errorMessage, stdoutLogger } from './logger.js';

/**
 * vsnet-agent: reads its configuration once, starts, and runs until SIGTERM or SIGINT, when it
 * stops taking calls, lets the running apply finish and exits 0. A configuration or start-up
 * problem exits non-zero with one line on stderr.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`vsnet-agent: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = stdoutLogger({ filer: config.filer });
  let agent: RunningAgent;
  // A signal while the agent is still starting (a DHCP bootstrap waits for a server) aborts
  // the start, which ends the DHCP clients it ran before the process exits.
  const starting = new AbortController();
  const onEarlySignal = (signal: NodeJS.Signals): void => {
    logger.info(`received ${signal} while starting`);
    starting.abort();
  };
  process.once('SIGTERM', onEarlySignal);
  process.once('SIGINT', onEarlySignal);
  try {
    agent = await startAgent(config, logger, { startSignal: starting.signal });
  } catch (err) {
    if (starting.signal.aborted) {
      logger.info('stopped before it had started');
      process.exit(0);
    }
    const line = `vsnet-agent: cannot start: ${errorMessage(err)}`;
    logger.error(line);
    process.stderr.write(`${line}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info(`received ${signal}`);
    agent.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error(`stopping failed: ${errorMessage(err)}`);
        process.exit(1);
      },
    );
  };
  process.off('SIGTERM', onEarlySignal);
  process.off('SIGINT', onEarlySignal);
  if (starting.signal.aborted) {
    onSignal('SIGTERM');
    return;
  }
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

main().catch((err: unknown) => {
  process.stderr.write(`vsnet-agent: ${errorMessage(err)}\n`);
  process.exit(1);
});
