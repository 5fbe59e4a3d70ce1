import * as grpc from '@grpc/grpc-js';
import { Option } from 'commander';
import type { Path } from '@vsnet/model';
import {
  clusterApiGrpc,
  errorModelGrpc,
  loadClusterApiPackageDefinition,
} from '../../../libs/contracts/src/cluster-api.js';
import type { ConfigServiceClient } from '../../../libs/contracts/src/cluster-api.js';
import type { Value__Output } from '../../../libs/contracts/src/generated/google/protobuf/Value.js';
import { CliError, EXIT_INVALID, EXIT_USAGE } from './cli-io.js';
import type { CliIo } from './cli-io.js';

// What the online verbs (apply, export) share: where the control service is, how long to
// wait for it, the token, and turning its failures into one line a person can act on.

export const DEFAULT_SERVER = '127.0.0.1:7400';
export const DEFAULT_TIMEOUT_SECONDS = 10;

/** The trailer the server's google.rpc.Status travels in (docs/api.md, error model). */
const STATUS_DETAILS_TRAILER = 'grpc-status-details-bin';

/** What `--server` and `--timeout` parse to. */
export interface ServerOptions {
  readonly server?: string;
  readonly timeout: number;
}

/** `--server HOST:PORT`; its default (env `VSNET_SERVER`, else 127.0.0.1:7400) is resolved late. */
export function serverOption(): Option {
  return new Option(
    '--server <host:port>',
    `the vsnet control service (default: $VSNET_SERVER or ${DEFAULT_SERVER})`,
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

/** The server to call: `--server`, else env `VSNET_SERVER`, else the default. */
export function serverAddress(options: ServerOptions, env: CliIo['env']): string {
  const fromEnv = env['VSNET_SERVER'];
  const server =
    options.server ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_SERVER);
  if (!/^(\[[^\]]+\]|[^\s:/[\]]+):\d{1,5}$/.test(server)) {
    throw new CliError(
      `vsnet: --server ${server}: expected HOST:PORT, e.g. ${DEFAULT_SERVER} (the control service's gRPC port)`,
    );
  }
  return server;
}

/** One RPC's worth of connection: the client, metadata with the token, the deadline. */
export interface ServerCall {
  readonly server: string;
  readonly timeoutSeconds: number;
  readonly config: ConfigServiceClient;
  metadata(): grpc.Metadata;
  callOptions(): grpc.CallOptions;
  close(): void;
}

/** Opens a ConfigService client to the resolved server; `close()` it when done. */
export function connect(options: ServerOptions, io: CliIo): ServerCall {
  const server = serverAddress(options, io.env);
  const api = clusterApiGrpc(loadClusterApiPackageDefinition());
  const config = new api.ConfigService(server, grpc.credentials.createInsecure());
  const token = io.env['VSNET_TOKEN'];
  return {
    server,
    timeoutSeconds: options.timeout,
    config,
    metadata: () => {
      const metadata = new grpc.Metadata();
      if (token !== undefined && token !== '') {
        metadata.set('authorization', `Bearer ${token}`);
      }
      return metadata;
    },
    callOptions: () => ({ deadline: Date.now() + options.timeout * 1000 }),
    close: () => config.close(),
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
  const cause = /Last error: (?:Error: )?(.*?)\.?(?: Resolution note:.*)?$/.exec(message)?.[1];
  return cause !== undefined && cause !== '' ? cause : message;
}

/**
 * A failure that is not about the document, as one line: an unreachable server or a missed
 * deadline name the server and what to check (exit 2); a refusal (FAILED_PRECONDITION, …)
 * is the server's message (exit 1).
 */
export function serverFailure(
  call: Pick<ServerCall, 'server' | 'timeoutSeconds'>,
  err: unknown,
): CliError {
  if (!isServiceError(err)) {
    return new CliError(
      `vsnet: ${call.server}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const message = detailsOf(err);
  switch (err.code) {
    case grpc.status.UNAVAILABLE:
      return new CliError(
        `vsnet: cannot reach the vsnet control service at ${call.server} (${connectionError(message)}); ` +
          'check that vsnet-control is running and its gRPC port is reachable, or pass --server HOST:PORT (or set VSNET_SERVER)',
        EXIT_USAGE,
      );
    case grpc.status.DEADLINE_EXCEEDED:
      return new CliError(
        `vsnet: the vsnet control service at ${call.server} did not answer within ${call.timeoutSeconds} s; ` +
          'check that it is healthy and the network to it, or raise --timeout',
        EXIT_USAGE,
      );
    case grpc.status.UNAUTHENTICATED:
    case grpc.status.PERMISSION_DENIED:
      return new CliError(
        `vsnet: ${call.server} refused the call: ${message}; check the token in VSNET_TOKEN`,
        EXIT_USAGE,
      );
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.FAILED_PRECONDITION:
    case grpc.status.ALREADY_EXISTS:
    case grpc.status.NOT_FOUND:
      return new CliError(`vsnet: ${call.server}: ${message}`, EXIT_INVALID);
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
