import * as grpc from '@grpc/grpc-js';
import { Option } from 'commander';
import type { Path } from '@vsnet/model';
import {
  clusterApiGrpc,
  errorModelGrpc,
  loadClusterApiPackageDefinition,
} from '../../../libs/contracts/src/cluster-api.js';
import type {
  AuditServiceClient,
  AuthServiceClient,
  ChangeServiceClient,
  ClusterApiServiceName,
  ClusterServiceClient,
  ConfigServiceClient,
  DhcpServiceClient,
  FailoverServiceClient,
  FilerServiceClient,
  InterfaceServiceClient,
  RoutingServiceClient,
  SiteServiceClient,
  VsvrServiceClient,
} from '../../../libs/contracts/src/cluster-api.js';
import type { Value__Output } from '../../../libs/contracts/src/generated/google/protobuf/Value.js';
import {
  CliError,
  EXIT_ALREADY_EXISTS,
  EXIT_BAD_REQUEST,
  EXIT_INVALID,
  EXIT_NOT_FOUND,
  EXIT_PERMISSION_DENIED,
  EXIT_UNAUTHENTICATED,
  EXIT_USAGE,
} from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { loadClientConfig } from './client-config.js';
import type { ClientConfig } from './client-config.js';

// What the online verbs share: where the control service is, how long to wait for it, the
// token, a client of each service, and turning its failures into a line a person can act on.

export const DEFAULT_SERVER = '127.0.0.1:7400';
export const DEFAULT_TIMEOUT_SECONDS = 10;

/** The trailer the server's google.rpc.Status travels in (docs/api.md, error model). */
const STATUS_DETAILS_TRAILER = 'grpc-status-details-bin';

/** Where the token and server come from, for --help. */
export const CREDENTIALS_HELP = `The server is --server, else $VSNET_SERVER, else server: in the config file, else
${DEFAULT_SERVER}. The token is $VSNET_TOKEN, else token: in the config file; it is sent as
"authorization: Bearer <token>". With --tls-ca FILE, else $VSNET_TLS_CA, else tls_ca: in the
config file, the call goes over TLS and the server's certificate must chain to that CA;
otherwise it is plaintext. The config file is $VSNET_CONFIG, else
$XDG_CONFIG_HOME/vsnet/config.yaml, else ~/.config/vsnet/config.yaml.`;

/** What `--server`, `--tls-ca` and `--timeout` parse to. */
export interface ServerOptions {
  readonly server?: string;
  readonly tlsCa?: string;
  readonly timeout: number;
}

/** `--server HOST:PORT`; its default (env, config file, 127.0.0.1:7400) is resolved late. */
export function serverOption(): Option {
  return new Option(
    '--server <host:port>',
    `the vsnet control service (default: $VSNET_SERVER, the config file's server:, or ${DEFAULT_SERVER})`,
  );
}

/** `--tls-ca FILE`: call over TLS, trusting this CA; its default (env, config file) is resolved late. */
export function tlsCaOption(): Option {
  return new Option(
    '--tls-ca <file>',
    "call the control service over TLS, trusting this CA certificate (PEM) (default: $VSNET_TLS_CA or the config file's tls_ca:; none: plaintext)",
  );
}

/** `--timeout SECONDS`: the deadline of the call. */
export function timeoutOption(): Option {
  return new Option('--timeout <seconds>', 'how long to wait for the server')
    .default(DEFAULT_TIMEOUT_SECONDS)
    .argParser((value: string) => {
      const seconds = Number(value);
      if (!Number.isFinite(seconds) || seconds <= 0) {
        throw new CliError(`vsnet: --timeout ${value}: expected a positive number of seconds`);
      }
      return seconds;
    });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value !== '' ? value : undefined;
}

/**
 * The server to call: `--server`, else env `VSNET_SERVER`, else the config file's `server:`,
 * else the default. `HOST:PORT`, or a unix socket the service listens on
 * (VSNET_GRPC_SOCKET) as `unix:///absolute/path`.
 */
export function serverAddress(
  options: ServerOptions,
  env: CliIo['env'],
  config: ClientConfig = {},
): string {
  const server = options.server ?? nonEmpty(env['VSNET_SERVER']) ?? config.server ?? DEFAULT_SERVER;
  if (
    !/^(\[[^\]]+\]|[^\s:/[\]]+):\d{1,5}$/.test(server) &&
    !/^unix:(\/\/)?\/[^\s/?#][^\s?#]*$/.test(server)
  ) {
    const from =
      options.server !== undefined || nonEmpty(env['VSNET_SERVER']) !== undefined
        ? '--server'
        : `server: in ${config.path ?? 'the config file'}`;
    throw new CliError(
      `vsnet: ${from} ${server}: expected HOST:PORT, e.g. ${DEFAULT_SERVER} (the control service's gRPC port), or unix:///path/to/api.sock`,
    );
  }
  return server;
}

/** The bearer token: env `VSNET_TOKEN`, else the config file's `token:`; undefined: none. */
export function bearerToken(env: CliIo['env'], config: ClientConfig = {}): string | undefined {
  return nonEmpty(env['VSNET_TOKEN']) ?? config.token;
}

/**
 * The channel's credentials: TLS trusting the CA of `--tls-ca`, else env `VSNET_TLS_CA`, else
 * the config file's `tls_ca:`; plaintext when none names one. A CA file that cannot be read or
 * holds no certificate is a one-line error (exit 2).
 */
export async function channelCredentials(
  options: ServerOptions,
  io: CliIo,
  config: ClientConfig = {},
): Promise<{ readonly credentials: grpc.ChannelCredentials; readonly tlsCa?: string }> {
  const fromFlag = options.tlsCa ?? nonEmpty(io.env['VSNET_TLS_CA']);
  const path = fromFlag ?? config.tlsCa;
  if (path === undefined) {
    return { credentials: grpc.credentials.createInsecure() };
  }
  const from =
    options.tlsCa !== undefined
      ? '--tls-ca'
      : fromFlag !== undefined
        ? 'VSNET_TLS_CA'
        : `tls_ca: in ${config.path ?? 'the config file'}`;
  let pem: string;
  try {
    pem = await io.readFile(path);
  } catch (err) {
    // Duck-typed: an fs error from another realm (a test's) is no `instanceof Error` here.
    const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : err instanceof Error
              ? err.message
              : String(err);
    throw new CliError(
      `vsnet: ${from} ${path}: cannot read the CA certificate (${why}); give the PEM file of the CA that signed the control service's certificate`,
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new CliError(
      `vsnet: ${from} ${path}: not a PEM certificate; give the PEM file of the CA that signed the control service's certificate`,
    );
  }
  return { credentials: grpc.credentials.createSsl(Buffer.from(pem)), tlsCa: path };
}

/** A client of each vsnet.v1 service, by its proto name. */
export interface ServiceClients {
  readonly ClusterService: ClusterServiceClient;
  readonly FilerService: FilerServiceClient;
  readonly InterfaceService: InterfaceServiceClient;
  readonly VsvrService: VsvrServiceClient;
  readonly RoutingService: RoutingServiceClient;
  readonly SiteService: SiteServiceClient;
  readonly ConfigService: ConfigServiceClient;
  readonly AuditService: AuditServiceClient;
  readonly AuthService: AuthServiceClient;
  readonly ChangeService: ChangeServiceClient;
  readonly DhcpService: DhcpServiceClient;
  readonly FailoverService: FailoverServiceClient;
}

/** One command's worth of connection: clients, metadata with the token, the deadline. */
export interface ServerCall {
  readonly server: string;
  readonly timeoutSeconds: number;
  /** The CA file the call trusts; undefined: plaintext. */
  readonly tlsCa?: string;
  /** The client of `service`, opened on first use (they share one channel). */
  client<S extends ClusterApiServiceName>(service: S): ServiceClients[S];
  /** ConfigService's client (what apply and export use). */
  readonly config: ConfigServiceClient;
  metadata(): grpc.Metadata;
  callOptions(): grpc.CallOptions;
  close(): void;
}

/**
 * Resolves the server and token (flags, environment, config file) and returns a connection
 * whose clients are opened on demand; `close()` it when done.
 */
export async function connect(options: ServerOptions, io: CliIo): Promise<ServerCall> {
  const config = await loadClientConfig(io);
  const server = serverAddress(options, io.env, config);
  const token = bearerToken(io.env, config);
  const { credentials, tlsCa } = await channelCredentials(options, io, config);
  const api = clusterApiGrpc(loadClusterApiPackageDefinition());
  const opened = new Map<ClusterApiServiceName, grpc.Client>();
  const client = <S extends ClusterApiServiceName>(service: S): ServiceClients[S] => {
    let c = opened.get(service);
    if (c === undefined) {
      const Ctor = (api as unknown as Record<string, typeof grpc.Client>)[service];
      if (Ctor === undefined) {
        throw new Error(`no service ${service} in vsnet.v1`);
      }
      // grpc-js pools subchannels: clients of several services share one connection.
      c = new Ctor(server, credentials);
      opened.set(service, c);
    }
    return c as unknown as ServiceClients[S];
  };
  return {
    server,
    timeoutSeconds: options.timeout,
    ...(tlsCa !== undefined ? { tlsCa } : {}),
    client,
    get config() {
      return client('ConfigService');
    },
    metadata: () => {
      const metadata = new grpc.Metadata();
      if (token !== undefined) {
        metadata.set('authorization', `Bearer ${token}`);
      }
      return metadata;
    },
    callOptions: () => ({ deadline: Date.now() + options.timeout * 1000 }),
    close: () => {
      for (const c of opened.values()) {
        c.close();
      }
    },
  };
}

type Invoke<Res> = (
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<Res>,
) => unknown;

/** Calls a unary RPC; resolves to the answer or rejects with the grpc.ServiceError. */
export function unary<Res>(call: ServerCall, invoke: Invoke<Res>): Promise<Res> {
  return new Promise((resolve, reject) => {
    invoke(call.metadata(), call.callOptions(), (err, res) => {
      if (err) {
        reject(err);
      } else if (res === undefined) {
        reject(new Error('the server answered without a message'));
      } else {
        resolve(res);
      }
    });
  });
}

/**
 * Connects, runs `work`, and closes; any failure of the server becomes the CliError of
 * {@link serverFailure} (a CliError thrown by `work` passes unchanged).
 */
export async function withServer<T>(
  options: ServerOptions,
  io: CliIo,
  work: (call: ServerCall) => Promise<T>,
): Promise<T> {
  const call = await connect(options, io);
  try {
    return await work(call);
  } catch (err) {
    throw serverFailure(call, err);
  } finally {
    call.close();
  }
}

export function isServiceError(err: unknown): err is grpc.ServiceError {
  return (
    err instanceof Error &&
    'code' in err &&
    typeof err.code === 'number' &&
    'metadata' in err &&
    err.metadata instanceof grpc.Metadata
  );
}

/** The server's one-sentence message (grpc-js puts it in `details`). */
function detailsOf(err: grpc.ServiceError): string {
  return err.details === '' ? err.message : err.details;
}

/** grpc-js's `No connection established. Last error: Error: connect ECONNREFUSED …. Resolution note: ` → its cause. */
function connectionError(message: string): string {
  // An OpenSSL error spans lines; its first says what went wrong.
  const first = message.split('\n', 1)[0] ?? message;
  const cause = /Last error: (?:Error(?: \[\w+\])?: )?(.*?)\.?(?: Resolution note:.*)?$/.exec(
    first,
  )?.[1];
  const text = cause !== undefined && cause !== '' ? cause : first;
  // `…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:file:line:` → its reason.
  return (/SSL routines:[^:]*:([^:]+)/.exec(text)?.[1] ?? text).replace(
    /^(Failed to connect) \(\d{4}-[\d:.TZ-]+\)$/,
    '$1',
  );
}

/** A cause that says the TLS handshake failed rather than the connection. */
const TLS_FAILURE =
  /certificate|self[- ]signed|Hostname\/IP does not match|wrong version number|alert|handshake|SSL|TLS/i;

/**
 * An unreachable server as one line, with what to check: over TLS a failed handshake points at
 * the CA and the certificate; in plaintext a connection the server dropped may be a TLS port.
 */
function unreachable(call: Pick<ServerCall, 'server' | 'tlsCa'>, message: string): CliError {
  const cause = connectionError(message);
  if (call.tlsCa !== undefined && TLS_FAILURE.test(cause)) {
    return new CliError(
      `vsnet: no TLS session with the vsnet control service at ${call.server} (${cause}); ` +
        `check that it serves TLS (VSNET_GRPC_TLS_CERT) with a certificate for this host name signed by the CA in ${call.tlsCa}`,
      EXIT_USAGE,
    );
  }
  const tlsHint =
    call.tlsCa === undefined && !/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|Name resolution/.test(cause)
      ? '; if it serves TLS, pass --tls-ca FILE (or set VSNET_TLS_CA) with the CA of its certificate'
      : '';
  return new CliError(
    `vsnet: cannot reach the vsnet control service at ${call.server} (${cause}); ` +
      `check that vsnet-control is running and its gRPC port is reachable, or pass --server HOST:PORT (or set VSNET_SERVER)${tlsHint}`,
    EXIT_USAGE,
  );
}

/** The exit status of each refusal the API defines (cli-io.ts, EXIT_STATUS_HELP). */
const REFUSAL_EXIT: ReadonlyMap<grpc.status, number> = new Map([
  [grpc.status.FAILED_PRECONDITION, EXIT_INVALID],
  [grpc.status.INVALID_ARGUMENT, EXIT_BAD_REQUEST],
  [grpc.status.NOT_FOUND, EXIT_NOT_FOUND],
  [grpc.status.ALREADY_EXISTS, EXIT_ALREADY_EXISTS],
]);

/**
 * The refusal's field violations, one indented line each (`  field: description`), after
 * the message; a lone violation the message already says word for word is not repeated.
 */
function violationLines(err: grpc.ServiceError, message: string): string {
  const violations = fieldViolations(err).filter(
    (v, _, all) => all.length > 1 || message !== `${v.field}: ${v.description}`,
  );
  return violations.map((v) => `\n  ${v.field}: ${v.description}`).join('');
}

/**
 * A failure of the server as one line (plus, for a refusal, one line per field violation):
 * an unreachable server or a missed deadline name the server and what to check (exit 2); a
 * missing or refused token says how to give one (exit 6, 7); a refusal is the server's
 * message with an exit status of its own (1, 3, 4, 5). A CliError passes unchanged.
 */
export function serverFailure(
  call: Pick<ServerCall, 'server' | 'timeoutSeconds' | 'tlsCa'>,
  err: unknown,
): CliError {
  if (err instanceof CliError) {
    return err;
  }
  if (!isServiceError(err)) {
    return new CliError(
      `vsnet: ${call.server}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const message = detailsOf(err);
  const refusalExit = REFUSAL_EXIT.get(err.code);
  if (refusalExit !== undefined) {
    return new CliError(
      `vsnet: ${call.server}: ${message}${violationLines(err, message)}`,
      refusalExit,
    );
  }
  switch (err.code) {
    case grpc.status.UNAVAILABLE:
      return unreachable(call, message);
    case grpc.status.DEADLINE_EXCEEDED:
      return new CliError(
        `vsnet: the vsnet control service at ${call.server} did not answer within ${call.timeoutSeconds} s; ` +
          'check that it is healthy and the network to it, or raise --timeout',
        EXIT_USAGE,
      );
    case grpc.status.UNAUTHENTICATED:
      return new CliError(
        `vsnet: ${call.server} refused the call: ${message}; set VSNET_TOKEN (or token: in ~/.config/vsnet/config.yaml) to your token`,
        EXIT_UNAUTHENTICATED,
      );
    case grpc.status.PERMISSION_DENIED:
      return new CliError(
        `vsnet: ${call.server} refused the call: ${message}; use a token whose role allows it (vsnet whoami shows yours)`,
        EXIT_PERMISSION_DENIED,
      );
    case grpc.status.UNIMPLEMENTED:
      return new CliError(
        `vsnet: the vsnet control service at ${call.server} does not offer this call (UNIMPLEMENTED: ${message}); upgrade vsnet-control`,
        EXIT_USAGE,
      );
    default:
      return new CliError(
        `vsnet: ${call.server} failed (${grpc.status[err.code] ?? err.code}): ${message}`,
        EXIT_USAGE,
      );
  }
}

/** One google.rpc.BadRequest field violation. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/**
 * The field violations of an INVALID_ARGUMENT, decoded from the google.rpc.Status in the
 * `grpc-status-details-bin` trailer; empty when there is no trailer or no BadRequest in it.
 */
export function fieldViolations(err: grpc.ServiceError): FieldViolation[] {
  const trailer = err.metadata.get(STATUS_DETAILS_TRAILER)[0];
  if (!(trailer instanceof Buffer)) {
    return [];
  }
  try {
    const errors = errorModelGrpc(loadClusterApiPackageDefinition());
    const status = errors.Status.deserialize(trailer);
    return status.details
      .filter((d) => d.type_url.endsWith('/google.rpc.BadRequest'))
      .flatMap((d) => errors.BadRequest.deserialize(Buffer.from(d.value)).fieldViolations)
      .map((v) => ({ field: v.field, description: v.description }));
  } catch {
    // A trailer we cannot decode: the status message alone still says what is wrong.
    return [];
  }
}

/**
 * A path as formatPath wrote it (`vsvrs[0].addresses[2].address`) back as a Path. Bracketed
 * digits are list indexes; a bracketed name (`filers[Filer2]`) stays a string.
 */
export function parseDocumentPath(field: string): Path {
  const path: (string | number)[] = [];
  if (field === '(document)') {
    return path;
  }
  const token = /([^.[\]]+)|\[([^\]]*)\]/g;
  for (const match of field.matchAll(token)) {
    const [, key, bracketed] = match;
    if (key !== undefined) {
      path.push(key);
    } else if (bracketed !== undefined) {
      path.push(/^\d+$/.test(bracketed) ? Number(bracketed) : bracketed);
    }
  }
  return path;
}

/** A google.protobuf.Value as the JSON value it stands for. */
export function valueFromWire(value: Value__Output | null | undefined): unknown {
  if (value === null || value === undefined) {
    return undefined;
  }
  switch (value.kind) {
    case 'stringValue':
      return value.stringValue;
    case 'numberValue':
      return value.numberValue;
    case 'boolValue':
      return value.boolValue;
    case 'listValue':
      return (value.listValue?.values ?? []).map(valueFromWire);
    case 'structValue':
      return Object.fromEntries(
        Object.entries(value.structValue?.fields ?? {}).map(([k, v]) => [k, valueFromWire(v)]),
      );
    case 'nullValue':
    case undefined:
      return null;
  }
}
