import { isAbsolute } from 'node:path';
import type { DbEngine } from '@vsnet/store';
import { TlsSettingError, readTlsMaterial } from '../../../../libs/contracts/src/tls.js';
import type { TlsIdentity, TlsMaterial } from '../../../../libs/contracts/src/tls.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** vsnet-control's configuration: read from the environment once, at boot, and checked whole. */
export interface ControlConfig {
  /**
   * `mysql://user[:password]@host[:port]/database` (VSNET_MYSQL_URL); with
   * `?socket=/absolute/path` the server is reached over that unix socket instead.
   */
  readonly mysqlUrl: string;
  /** `redis://[user:password@]host[:port][/db]` or `unix:///absolute/path` (VSNET_REDIS_URL). */
  readonly redisUrl: string;
  /** Storage engine of every table the migrations create (VSNET_DB_ENGINE). */
  readonly dbEngine: DbEngine;
  readonly grpcPort: number;
  /**
   * An absolute path where the gRPC API listens as well, on a unix socket (VSNET_GRPC_SOCKET):
   * for callers on this host that cannot reach the port, such as another network namespace.
   */
  readonly grpcSocket?: string;
  readonly httpPort: number;
  readonly logLevel: LogLevel;
  /** The change pipeline's tuning (ARCHITECTURE.md §3); each has a working default. */
  readonly pipeline: PipelineConfig;
  /** Heartbeats, filer-loss detection and fencing (docs/decisions/0006-failover.md). */
  readonly failover: FailoverConfig;
  /**
   * The gRPC API's certificate and key (VSNET_GRPC_TLS_CERT, VSNET_GRPC_TLS_KEY), PEM;
   * absent: the API is plaintext.
   */
  readonly grpcTls?: TlsIdentity;
  /**
   * TLS of the calls to the agents: the CA their certificates must chain to
   * (VSNET_AGENT_TLS_CA) and the certificate the service presents to them
   * (VSNET_AGENT_TLS_CERT, VSNET_AGENT_TLS_KEY), PEM; absent: plaintext.
   */
  readonly agentTls?: TlsMaterial;
}

/** How changes travel to the agents. */
export interface PipelineConfig {
  /** Every how many ms the resync loop queues the filers that are behind (VSNET_RESYNC_INTERVAL_MS). */
  readonly resyncIntervalMs: number;
  /** Deadline of one call to an agent, Apply included (VSNET_AGENT_DEADLINE_MS). */
  readonly agentDeadlineMs: number;
  /** How long the leader lease lasts without renewal (VSNET_LEADER_LEASE_MS); renewed every third. */
  readonly leaderLeaseMs: number;
  /** Applies to different filers that run at once (VSNET_RECONCILE_CONCURRENCY). */
  readonly reconcileConcurrency: number;
  /**
   * Prefix of every Redis key of the reconcile queue (VSNET_QUEUE_PREFIX): control services
   * of different clusters sharing one Redis need different ones.
   */
  readonly queuePrefix: string;
}

/** The heartbeat profiles of docs/decisions/0006-failover.md; `custom` when a value was set. */
export type HeartbeatProfile = 'default' | 'aggressive' | 'custom';

/** How filer loss is detected, and how long an agent waits without a leader. */
export interface FailoverConfig {
  /** VSNET_FAILOVER_PROFILE, or `custom` when a value below differs from that profile's. */
  readonly profile: HeartbeatProfile;
  /** A ping to every agent every this many ms (VSNET_HEARTBEAT_INTERVAL_MS). */
  readonly heartbeatIntervalMs: number;
  /** Intervals without a pong before the filer is suspected (VSNET_HEARTBEAT_MISSES). */
  readonly heartbeatMisses: number;
  /** How long the TCP probe of a silent filer's kernel waits (VSNET_KERNEL_PROBE_TIMEOUT_MS). */
  readonly kernelProbeTimeoutMs: number;
  /** How long a filer back from `down` must answer without a miss to be up (VSNET_FILER_UP_HOLD_MS). */
  readonly filerUpHoldMs: number;
  /**
   * How long an agent that hears no leader keeps its vsvr addresses (VSNET_FENCE_AFTER_MS;
   * default twice the lease, never less than the lease).
   */
  readonly fenceAfterMs: number;
  /**
   * This replica's API endpoint, `host:port`, written into the leader lease so that another
   * replica can pass MoveVsvr on (VSNET_CONTROL_ADVERTISE); absent: `127.0.0.1:<gRPC port>`.
   */
  readonly advertise?: string;
}

/** The profiles' values: interval, misses, kernel probe timeout, up-hold. */
export const HEARTBEAT_PROFILES: Readonly<
  Record<Exclude<HeartbeatProfile, 'custom'>, Omit<FailoverConfig, 'profile' | 'fenceAfterMs'>>
> = {
  default: {
    heartbeatIntervalMs: 20,
    heartbeatMisses: 4,
    kernelProbeTimeoutMs: 50,
    filerUpHoldMs: 2_000,
  },
  aggressive: {
    heartbeatIntervalMs: 5,
    heartbeatMisses: 3,
    kernelProbeTimeoutMs: 10,
    filerUpHoldMs: 1_000,
  },
};

/** The endpoint this replica advertises in the leader lease. */
export function advertisedEndpoint(config: ControlConfig): string {
  return config.failover.advertise ?? `127.0.0.1:${config.grpcPort}`;
}

/** A configuration value that cannot be used; the message is the one line the process prints. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const DEFAULT_MYSQL_URL = 'mysql://root@127.0.0.1:3306/vsnet';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_GRPC_PORT = 7400;
export const DEFAULT_HTTP_PORT = 7480;
export const DEFAULT_PIPELINE: PipelineConfig = {
  resyncIntervalMs: 1_000,
  agentDeadlineMs: 10_000,
  leaderLeaseMs: 3_000,
  reconcileConcurrency: 16,
  queuePrefix: 'vsnet',
};

const DB_ENGINES: readonly DbEngine[] = ['InnoDB', 'NDBCLUSTER'];
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

function text(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = env[name]?.trim() ?? '';
  return value === '' ? fallback : value;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = text(env, name, String(fallback));
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n < 1 || n > 65_535) {
    throw new ConfigError(`${name} must be a port number (1-65535), got "${value}"`);
  }
  return n;
}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  [min, max]: readonly [number, number],
  unit: string,
): number {
  const value = text(env, name, String(fallback));
  const n = Number(value);
  if (!/^\d{1,9}$/.test(value) || n < min || n > max) {
    throw new ConfigError(`${name} must be ${unit} from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

function queuePrefix(env: NodeJS.ProcessEnv): string {
  const value = text(env, 'VSNET_QUEUE_PREFIX', DEFAULT_PIPELINE.queuePrefix);
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(value)) {
    throw new ConfigError(
      `VSNET_QUEUE_PREFIX must be 1-64 letters, digits, _ . : or -, got "${value}"`,
    );
  }
  return value;
}

function url(env: NodeJS.ProcessEnv, name: string, fallback: string, scheme: string): string {
  const value = text(env, name, fallback);
  const example = scheme === 'mysql:' ? DEFAULT_MYSQL_URL : DEFAULT_REDIS_URL;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be a URL like ${example}, got "${value}"`);
  }
  if (scheme === 'redis:' && parsed.protocol === 'unix:') {
    return unixSocketUrl(name, value, parsed, 'unix:///run/redis/redis.sock');
  }
  const socket = parsed.searchParams.get('socket');
  if (scheme === 'mysql:' && socket !== null && !isAbsolute(socket)) {
    throw new ConfigError(
      `${name} names a socket that is not an absolute path (?socket=${socket}); write it like mysql://root@localhost/vsnet?socket=/run/mysqld/mysqld.sock`,
    );
  }
  if (parsed.protocol !== scheme || parsed.hostname === '') {
    throw new ConfigError(`${name} must be a ${scheme}// URL like ${example}, got "${value}"`);
  }
  if (parsed.port !== '' && (Number(parsed.port) < 1 || Number(parsed.port) > 65_535)) {
    throw new ConfigError(`${name} has no usable port (1-65535), got "${value}"`);
  }
  if (scheme === 'mysql:' && !/^\/[A-Za-z0-9_]{1,64}$/.test(parsed.pathname)) {
    throw new ConfigError(
      `${name} must name the database (letters, digits, _) like ${example}, got "${value}"`,
    );
  }
  return value;
}

/** A `unix:///absolute/path` URL, checked: a socket path, nothing else. */
function unixSocketUrl(name: string, value: string, parsed: URL, example: string): string {
  if (parsed.host !== '' || !isAbsolute(parsed.pathname) || parsed.search !== '') {
    throw new ConfigError(
      `${name} must name a unix socket by its absolute path like ${example}, got "${value}"`,
    );
  }
  return value;
}

/** VSNET_GRPC_SOCKET: an absolute path for a unix socket, or absent. */
function grpcSocket(env: NodeJS.ProcessEnv): string | undefined {
  const value = text(env, 'VSNET_GRPC_SOCKET', '');
  if (value === '') {
    return undefined;
  }
  if (!isAbsolute(value) || /[\s?#]/.test(value)) {
    throw new ConfigError(
      `VSNET_GRPC_SOCKET must be an absolute path for the API's unix socket like /run/vsnet/api.sock, got "${value}"`,
    );
  }
  return value;
}

function oneOf<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = text(env, name, fallback);
  // Engine and level names are matched case-insensitively and returned as spelled here.
  const found = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (found === undefined) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return found;
}

/** `host:port` (an IPv6 host in brackets), as another replica dials it. */
function endpoint(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = text(env, name, '');
  if (value === '') {
    return undefined;
  }
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const portNumber = Number(m?.[2]);
  if (m === null || portNumber < 1 || portNumber > 65_535) {
    throw new ConfigError(
      `${name} must be this replica's API address as host:port (e.g. 198.19.255.11:7400), got "${value}"`,
    );
  }
  return value;
}

function failover(env: NodeJS.ProcessEnv, leaseMs: number): FailoverConfig {
  const name = oneOf(env, 'VSNET_FAILOVER_PROFILE', ['default', 'aggressive'] as const, 'default');
  const base = HEARTBEAT_PROFILES[name];
  const ms = 'milliseconds';
  const values = {
    heartbeatIntervalMs: integer(
      env,
      'VSNET_HEARTBEAT_INTERVAL_MS',
      base.heartbeatIntervalMs,
      [1, 10_000],
      ms,
    ),
    heartbeatMisses: integer(
      env,
      'VSNET_HEARTBEAT_MISSES',
      base.heartbeatMisses,
      [2, 1_000],
      'a number',
    ),
    kernelProbeTimeoutMs: integer(
      env,
      'VSNET_KERNEL_PROBE_TIMEOUT_MS',
      base.kernelProbeTimeoutMs,
      [1, 10_000],
      ms,
    ),
    filerUpHoldMs: integer(env, 'VSNET_FILER_UP_HOLD_MS', base.filerUpHoldMs, [0, 3_600_000], ms),
  };
  const custom = (Object.keys(values) as (keyof typeof values)[]).some(
    (k) => values[k] !== base[k],
  );
  const fenceAfterMs = integer(env, 'VSNET_FENCE_AFTER_MS', 2 * leaseMs, [1, 86_400_000], ms);
  if (fenceAfterMs < leaseMs) {
    // An agent that fenced before the lease ran out would drop addresses under a live leader.
    throw new ConfigError(
      `VSNET_FENCE_AFTER_MS must be at least the leader lease (VSNET_LEADER_LEASE_MS, ${leaseMs} ms), got "${fenceAfterMs}"`,
    );
  }
  const advertise = endpoint(env, 'VSNET_CONTROL_ADVERTISE');
  return {
    profile: custom ? 'custom' : name,
    ...values,
    fenceAfterMs,
    ...(advertise !== undefined ? { advertise } : {}),
  };
}

/** The TLS files `vars` name, read and checked; a refusal becomes a {@link ConfigError}. */
function tls(
  env: NodeJS.ProcessEnv,
  vars: Parameters<typeof readTlsMaterial>[1],
): TlsMaterial | undefined {
  try {
    return readTlsMaterial(env, vars);
  } catch (err) {
    throw err instanceof TlsSettingError ? new ConfigError(err.message) : err;
  }
}

/**
 * Reads and checks every VSNET_* variable vsnet-control uses. Throws a {@link ConfigError}
 * naming the first wrong variable, what it should be and the value it got.
 */
export function loadControlConfig(env: NodeJS.ProcessEnv): ControlConfig {
  const grpcTls = tls(env, { cert: 'VSNET_GRPC_TLS_CERT', key: 'VSNET_GRPC_TLS_KEY' })?.identity;
  const agentTls = tls(env, {
    ca: 'VSNET_AGENT_TLS_CA',
    cert: 'VSNET_AGENT_TLS_CERT',
    key: 'VSNET_AGENT_TLS_KEY',
  });
  const socket = grpcSocket(env);
  const leaderLeaseMs = integer(
    env,
    'VSNET_LEADER_LEASE_MS',
    DEFAULT_PIPELINE.leaderLeaseMs,
    [300, 600_000],
    'milliseconds',
  );
  return {
    mysqlUrl: url(env, 'VSNET_MYSQL_URL', DEFAULT_MYSQL_URL, 'mysql:'),
    redisUrl: url(env, 'VSNET_REDIS_URL', DEFAULT_REDIS_URL, 'redis:'),
    dbEngine: oneOf(env, 'VSNET_DB_ENGINE', DB_ENGINES, 'InnoDB'),
    grpcPort: port(env, 'VSNET_GRPC_PORT', DEFAULT_GRPC_PORT),
    httpPort: port(env, 'VSNET_HTTP_PORT', DEFAULT_HTTP_PORT),
    logLevel: oneOf(env, 'VSNET_LOG_LEVEL', LOG_LEVELS, 'info'),
    pipeline: {
      resyncIntervalMs: integer(
        env,
        'VSNET_RESYNC_INTERVAL_MS',
        DEFAULT_PIPELINE.resyncIntervalMs,
        [50, 3_600_000],
        'milliseconds',
      ),
      agentDeadlineMs: integer(
        env,
        'VSNET_AGENT_DEADLINE_MS',
        DEFAULT_PIPELINE.agentDeadlineMs,
        [100, 600_000],
        'milliseconds',
      ),
      leaderLeaseMs,
      reconcileConcurrency: integer(
        env,
        'VSNET_RECONCILE_CONCURRENCY',
        DEFAULT_PIPELINE.reconcileConcurrency,
        [1, 256],
        'a number',
      ),
      queuePrefix: queuePrefix(env),
    },
    failover: failover(env, leaderLeaseMs),
    ...(socket !== undefined ? { grpcSocket: socket } : {}),
    ...(grpcTls !== undefined ? { grpcTls } : {}),
    ...(agentTls !== undefined ? { agentTls } : {}),
  };
}
