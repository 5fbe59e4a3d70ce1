import { ConfigError, loadControlConfig } from './config/control-config.js';
import type { ControlConfig } from './config/control-config.js';
import { createControlApp, initialize, migrateDatabase } from './control-app.js';
import { JsonLogger } from './logging/json-logger.js';

const USAGE = `usage: vsnet-control [serve|migrate|init [--principal NAME]]
  serve     run the service (default): the gRPC API on VSNET_GRPC_PORT (7400) (and on the unix
            socket VSNET_GRPC_SOCKET when set), HTTP /healthz /readyz /metrics on
            VSNET_HTTP_PORT (7480)
  migrate   apply the pending database migrations to VSNET_MYSQL_URL and print them
  init      migrate, then create the first principal (default "admin", cluster NETWORK) and
            print its token once; refused when principals exist
`;

function fail(message: string, code: number): never {
  process.stderr.write(`vsnet-control: ${message}\n`);
  process.exit(code);
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n', 1)[0] ?? '';
}

async function migrate(config: ControlConfig): Promise<void> {
  const applied = await migrateDatabase(config);
  if (applied.length === 0) {
    process.stdout.write('vsnet-control: the database is up to date, nothing applied\n');
  }
  for (const name of applied) {
    process.stdout.write(`vsnet-control: applied ${name}\n`);
  }
}

async function init(config: ControlConfig, principal: string): Promise<void> {
  const made = await initialize(config, principal);
  for (const name of made.migrations) {
    process.stdout.write(`vsnet-control: applied ${name}\n`);
  }
  process.stdout.write(
    [
      `vsnet-control: created principal "${made.principal}" with cluster NETWORK and token ${made.tokenId}`,
      '',
      'Its token, shown this once (only its hash is stored; keep it like a password):',
      '',
      `  ${made.secret}`,
      '',
      'Next:',
      `  export VSNET_TOKEN=${made.secret}`,
      '  vsnet-control serve &                # the API on :7400, /healthz on :7480',
      '  vsnet whoami',
      '  vsnet apply -f deploy/examples/lab-cluster.yaml',
      '',
    ].join('\n'),
  );
}

async function serve(config: ControlConfig): Promise<void> {
  const logger = new JsonLogger(config.logLevel);
  const app = await createControlApp(config, logger);
  await app.startAllMicroservices();
  await app.listen(config.httpPort);
  logger.event('info', 'vsnet-control listening', {
    grpcPort: config.grpcPort,
    ...(config.grpcSocket !== undefined ? { grpcSocket: config.grpcSocket } : {}),
    grpcTls: config.grpcTls !== undefined,
    httpPort: config.httpPort,
    dbEngine: config.dbEngine,
  });
}

/** `init`'s principal name (`--principal NAME`, default admin); `undefined` for bad arguments. */
function initPrincipal(command: string, extra: readonly string[]): string | undefined {
  if (command !== 'init' || extra.length === 0) {
    return 'admin';
  }
  const [flag, name, ...rest] = extra;
  return flag === '--principal' && name !== undefined && rest.length === 0 ? name : undefined;
}

/**
 * vsnet-control: reads its configuration once and checks it; a wrong value stops it with one
 * line and exit status 2, before anything connects anywhere.
 */
async function main(argv: readonly string[]): Promise<void> {
  const [command = 'serve', ...extra] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const principal = initPrincipal(command, extra);
  if (
    (command !== 'serve' && command !== 'migrate' && command !== 'init') ||
    (command !== 'init' && extra.length > 0) ||
    principal === undefined
  ) {
    fail(`unknown command "${argv.join(' ')}"; ${USAGE.split('\n', 1)[0] ?? ''}`, 2);
  }
  let config: ControlConfig;
  try {
    config = loadControlConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      fail(err.message, 2);
    }
    throw err;
  }
  if (command === 'migrate') {
    await migrate(config);
  } else if (command === 'init') {
    await init(config, principal);
  } else {
    await serve(config);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => fail(oneLine(err), 1));
