import { isAbsolute, resolve } from 'node:path';
import { TlsSettingError, readTlsMaterial } from '../../../libs/contracts/src/tls.js';
import type { TlsIdentity } from '../../../libs/contracts/src/tls.js';

/** The agent's configuration: read from the environment once, at start, and checked whole. */
export interface AgentConfig {
  /** This filer's name, as the cluster document spells it (VSNET_FILER). */
  readonly filer: string;
  /** `host:port` (port 0 picks a free one), `[v6]:port`, or `unix:/absolute/path`. */
  readonly listen: string;
  /** Where the spec cache and the fencing state live. */
  readonly stateDir: string;
  readonly driver: 'linux' | 'dry-run';
  /** Network namespace that stands for the filer's own ('' = the agent's own namespace). */
  readonly filerNamespace: string;
  /** Prefix of every namespace the agent creates (lets several simulated filers share a host). */
  readonly namespacePrefix: string;
  /** Upper bound of one kernel command run by the linux driver. */
  readonly commandTimeoutMs: number;
  /**
   * UDP port of the heartbeat responder, on the listen host (VSNET_AGENT_HEARTBEAT_PORT; 0
   * picks a free one); absent: the port number the gRPC server bound (UDP and TCP do not clash).
   */
  readonly heartbeatPort?: number;
  /** Joining the cluster at start (VSNET_AGENT_JOIN_TOKEN); absent: the agent waits to be dialed. */
  readonly join?: JoinConfig;
  /**
   * Bootstrap mode (VSNET_AGENT_BOOTSTRAP=dhcp): with no cached spec, the agent builds its
   * interfaces from the DHCP vendor options before it serves (§5.2.6.2).
   */
  readonly bootstrap?: BootstrapConfig;
  /** TLS of the agent's gRPC server (VSNET_AGENT_TLS_*); absent: plaintext. */
  readonly tls?: AgentTls;
}

/** How the agent's server speaks TLS. */
export interface AgentTls {
  /** The agent's certificate and key (VSNET_AGENT_TLS_CERT, VSNET_AGENT_TLS_KEY), PEM. */
  readonly identity: TlsIdentity;
  /**
   * The CA a caller's certificate must chain to (VSNET_AGENT_TLS_CA), PEM; when set, a
   * caller without such a certificate is refused (mutual TLS).
   */
  readonly clientCa?: Buffer;
}

/** What a new filer needs to ask DHCP for its interface definitions. */
export interface BootstrapConfig {
  /** The cluster MAC (VSNET_CLUSTER_MAC), lower case. */
  readonly clusterMac: string;
}

/** How the agent registers its filer with the control service (FilerService/JoinFiler). */
export interface JoinConfig {
  /** The one-time join token an administrator minted (`vsj_<id>_<secret>`). */
  readonly token: string;
  /**
   * `host:port` of the control service's gRPC API (VSNET_CONTROL_SERVER), or its unix socket
   * as `unix:///absolute/path` (`unix:/absolute/path` too).
   */
  readonly controlServer: string;
  /**
   * `host:port` the control service should dial this agent at (VSNET_AGENT_ADVERTISE);
   * absent: the address the agent is bound to.
   */
  readonly advertise?: string;
  /**
   * The physical interfaces to report instead of those found in the kernel
   * (VSNET_AGENT_JOIN_INTERFACES `eth0=MAC,eth1=MAC`): the dry-run driver has no NICs of its own.
   */
  readonly interfaces?: readonly { readonly name: string; readonly mac: string }[];
  /**
   * The CA the control service's certificate must chain to (VSNET_CONTROL_TLS_CA), PEM; when
   * set, JoinFiler goes over TLS, otherwise in plaintext.
   */
  readonly controlCa?: Buffer;
}

/** A configuration value that cannot be used; the message is the one line the agent prints. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const DEFAULT_LISTEN = '0.0.0.0:7401';
export const DEFAULT_STATE_DIR = '/var/lib/vsnet-agent';
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

const FILER_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/i;
const NAMESPACE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const NAMESPACE_PREFIX = /^[a-z0-9_.-]{0,32}$/;
const HOST_PORT = /^(?<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(?<port>\d{1,5})$/;

const JOIN_TOKEN = /^vsj_[1-9][0-9]{0,9}_[A-Za-z0-9_-]{43}$/;
const PHYSICAL_NAME = /^eth(0|[1-9][0-9]{0,3})$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
/** Hosts an agent can bind to but nobody can dial. */
const WILDCARD_HOST = /^(0\.0\.0\.0|\[::\]|\[0*(:0*)*\])$/;

function text(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  return (env[name] ?? fallback).trim();
}

function checkListen(value: string): string {
  if (value.startsWith('unix:')) {
    const path = value.slice('unix:'.length);
    if (!isAbsolute(path)) {
      throw new ConfigError(
        `VSNET_AGENT_LISTEN=${value} is not usable: a unix socket needs an absolute path, e.g. unix:/run/vsnet-agent.sock`,
      );
    }
    return value;
  }
  const port = HOST_PORT.exec(value)?.groups?.port;
  if (port === undefined || Number(port) > 65_535) {
    throw new ConfigError(
      `VSNET_AGENT_LISTEN=${value} is not usable: give host:port (port 0-65535, 0 picks a free one), [ipv6]:port or unix:/path`,
    );
  }
  return value;
}

function checkDriver(value: string): AgentConfig['driver'] {
  if (value === 'linux' || value === 'dry-run') {
    return value;
  }
  throw new ConfigError(`VSNET_AGENT_DRIVER=${value} is not a driver: use linux or dry-run`);
}

function checkHeartbeatPort(value: string): number | undefined {
  if (value === '') {
    return undefined;
  }
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port > 65_535) {
    throw new ConfigError(
      `VSNET_AGENT_HEARTBEAT_PORT=${value} is not usable: give a UDP port from 1 to 65535 (0 picks a free one), or leave it unset to use the gRPC port's number`,
    );
  }
  return port;
}

function checkTimeout(value: string): number {
  const ms = Number(value);
  if (!/^\d+$/.test(value) || ms < 100 || ms > 600_000) {
    throw new ConfigError(
      `VSNET_AGENT_COMMAND_TIMEOUT_MS=${value} is not usable: give milliseconds from 100 to 600000`,
    );
  }
  return ms;
}

/** `host:port` with a port from 1 to 65535 that the control service could dial, or undefined. */
function dialable(value: string): string | undefined {
  const match = HOST_PORT.exec(value)?.groups;
  if (match?.host === undefined || match.port === undefined) {
    return undefined;
  }
  const port = Number(match.port);
  return port >= 1 && port <= 65_535 && !WILDCARD_HOST.test(match.host) ? value : undefined;
}

/** A gRPC target naming a unix socket by absolute path: `unix:///path` or `unix:/path`. */
function unixSocketTarget(value: string): boolean {
  const path = /^unix:(?:\/\/)?(\/.*)$/.exec(value)?.[1];
  return path !== undefined && isAbsolute(path) && !/[\s?#]/.test(path) && !path.startsWith('//');
}

function checkJoinInterfaces(value: string): JoinConfig['interfaces'] {
  if (value === '') {
    return undefined;
  }
  const interfaces = value.split(',').map((pair) => {
    const [name = '', mac = ''] = pair.trim().split('=', 2);
    const normalized = mac.trim().toLowerCase().replaceAll('-', ':');
    if (!PHYSICAL_NAME.test(name.trim()) || !MAC.test(normalized)) {
      throw new ConfigError(
        `VSNET_AGENT_JOIN_INTERFACES=${value} is not usable: list eth#=MAC pairs separated by commas, e.g. eth0=00:00:5e:00:53:10,eth1=00:00:5e:00:53:11`,
      );
    }
    return { name: name.trim(), mac: normalized };
  });
  if (new Set(interfaces.map((i) => i.name)).size !== interfaces.length) {
    throw new ConfigError(
      `VSNET_AGENT_JOIN_INTERFACES=${value} is not usable: it lists an interface twice; list each once`,
    );
  }
  return interfaces;
}

/**
 * The join settings, when VSNET_AGENT_JOIN_TOKEN is set: the control service to call, the
 * address to advertise (required when the agent listens on a wildcard or a unix socket, which
 * nobody else can dial) and the interfaces to report (required with the dry-run driver).
 */
function loadJoin(
  env: NodeJS.ProcessEnv,
  listen: string,
  driver: AgentConfig['driver'],
): JoinConfig | undefined {
  const token = text(env, 'VSNET_AGENT_JOIN_TOKEN', '');
  if (token === '') {
    return undefined;
  }
  if (!JOIN_TOKEN.test(token)) {
    throw new ConfigError(
      'VSNET_AGENT_JOIN_TOKEN is not a join token: copy the vsj_… secret that vsnet filer join-token printed',
    );
  }
  const controlServer = text(env, 'VSNET_CONTROL_SERVER', '');
  if (dialable(controlServer) === undefined && !unixSocketTarget(controlServer)) {
    throw new ConfigError(
      controlServer === ''
        ? 'VSNET_CONTROL_SERVER is not set: a joining agent needs the control service address, e.g. VSNET_CONTROL_SERVER=198.51.100.2:50051'
        : `VSNET_CONTROL_SERVER=${controlServer} is not usable: give the control service's host:port, e.g. 198.51.100.2:50051, or its unix socket, e.g. unix:///run/vsnet/api.sock`,
    );
  }
  const advertise = text(env, 'VSNET_AGENT_ADVERTISE', '');
  if (advertise !== '' && dialable(advertise) === undefined) {
    throw new ConfigError(
      `VSNET_AGENT_ADVERTISE=${advertise} is not usable: give the host:port the control service dials this agent at (port 1-65535, not 0.0.0.0 or [::])`,
    );
  }
  const listenHost = HOST_PORT.exec(listen)?.groups?.host;
  if (advertise === '' && (listenHost === undefined || WILDCARD_HOST.test(listenHost))) {
    throw new ConfigError(
      `VSNET_AGENT_ADVERTISE is not set and VSNET_AGENT_LISTEN=${listen} cannot be dialed from elsewhere: set VSNET_AGENT_ADVERTISE to this filer's host:port, e.g. 198.51.100.7:7401`,
    );
  }
  const interfaces = checkJoinInterfaces(text(env, 'VSNET_AGENT_JOIN_INTERFACES', ''));
  if (driver === 'dry-run' && interfaces === undefined) {
    throw new ConfigError(
      'VSNET_AGENT_JOIN_INTERFACES is not set: the dry-run driver has no NICs to report when joining; list them, e.g. VSNET_AGENT_JOIN_INTERFACES=eth0=00:00:5e:00:53:10',
    );
  }
  const controlCa = tlsSetting(() => readTlsMaterial(env, { ca: 'VSNET_CONTROL_TLS_CA' }))?.ca;
  return {
    token,
    controlServer,
    ...(advertise !== '' ? { advertise } : {}),
    ...(interfaces !== undefined ? { interfaces } : {}),
    ...(controlCa !== undefined ? { controlCa } : {}),
  };
}

/** Runs a TLS file check, turning its refusal into the agent's {@link ConfigError}. */
function tlsSetting<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw err instanceof TlsSettingError ? new ConfigError(err.message) : err;
  }
}

/**
 * The server's TLS, when VSNET_AGENT_TLS_CERT and VSNET_AGENT_TLS_KEY are set; with
 * VSNET_AGENT_TLS_CA as well, callers must present a certificate of that CA. A CA alone is
 * refused: it would ask callers for certificates over a channel the agent cannot encrypt.
 */
function loadTls(env: NodeJS.ProcessEnv): AgentTls | undefined {
  const material = tlsSetting(() =>
    readTlsMaterial(env, {
      ca: 'VSNET_AGENT_TLS_CA',
      cert: 'VSNET_AGENT_TLS_CERT',
      key: 'VSNET_AGENT_TLS_KEY',
    }),
  );
  if (material === undefined) {
    return undefined;
  }
  if (material.identity === undefined) {
    throw new ConfigError(
      "VSNET_AGENT_TLS_CA is set without VSNET_AGENT_TLS_CERT and VSNET_AGENT_TLS_KEY: requiring client certificates needs the agent's own certificate and key; set both",
    );
  }
  return {
    identity: material.identity,
    ...(material.ca !== undefined ? { clientCa: material.ca } : {}),
  };
}

function loadBootstrap(env: NodeJS.ProcessEnv): BootstrapConfig | undefined {
  const mode = text(env, 'VSNET_AGENT_BOOTSTRAP', '');
  if (mode === '') {
    return undefined;
  }
  if (mode !== 'dhcp') {
    throw new ConfigError(
      `VSNET_AGENT_BOOTSTRAP=${mode} is not a bootstrap mode: use dhcp, or leave it unset`,
    );
  }
  const mac = text(env, 'VSNET_CLUSTER_MAC', '').toLowerCase().replaceAll('-', ':');
  if (!MAC.test(mac)) {
    throw new ConfigError(
      `VSNET_CLUSTER_MAC=${env['VSNET_CLUSTER_MAC'] ?? ''} is not usable: bootstrap mode needs the cluster MAC, e.g. VSNET_CLUSTER_MAC=00:00:5e:00:53:01`,
    );
  }
  return { clusterMac: mac };
}

/**
 * Reads and checks every VSNET_AGENT_* variable (and VSNET_FILER). Throws a {@link ConfigError}
 * naming the first wrong variable, its value and what it should be.
 */
export function loadConfig(env: NodeJS.ProcessEnv): AgentConfig {
  const filer = text(env, 'VSNET_FILER', '');
  const bootstrap = loadBootstrap(env);
  // A filer in bootstrap mode learns its name from the DHCP vendor options (or its cache).
  if (filer === '' && bootstrap === undefined) {
    throw new ConfigError(
      "VSNET_FILER is not set: set it to this filer's name in the cluster document, e.g. VSNET_FILER=filer1",
    );
  }
  if (filer !== '' && !FILER_NAME.test(filer)) {
    throw new ConfigError(
      `VSNET_FILER=${filer} is not a filer name: use letters, digits, '-', '_' or '.', at most 63 characters`,
    );
  }
  const stateDir = text(env, 'VSNET_AGENT_STATE_DIR', DEFAULT_STATE_DIR);
  if (stateDir === '') {
    throw new ConfigError('VSNET_AGENT_STATE_DIR is empty: give the folder for the spec cache');
  }
  const filerNamespace = text(env, 'VSNET_AGENT_FILER_NAMESPACE', '');
  if (filerNamespace !== '' && !NAMESPACE_NAME.test(filerNamespace)) {
    throw new ConfigError(
      `VSNET_AGENT_FILER_NAMESPACE=${filerNamespace} is not a namespace name: use letters, digits, '-', '_' or '.', or leave it empty for the agent's own`,
    );
  }
  const namespacePrefix = text(env, 'VSNET_AGENT_NAMESPACE_PREFIX', '');
  if (!NAMESPACE_PREFIX.test(namespacePrefix)) {
    throw new ConfigError(
      `VSNET_AGENT_NAMESPACE_PREFIX=${namespacePrefix} is not usable: use at most 32 lower-case letters, digits, '-', '_' or '.'`,
    );
  }
  const listen = checkListen(text(env, 'VSNET_AGENT_LISTEN', DEFAULT_LISTEN));
  const driver = checkDriver(text(env, 'VSNET_AGENT_DRIVER', 'linux'));
  const commandTimeoutMs = checkTimeout(
    text(env, 'VSNET_AGENT_COMMAND_TIMEOUT_MS', String(DEFAULT_COMMAND_TIMEOUT_MS)),
  );
  const heartbeatPort = checkHeartbeatPort(text(env, 'VSNET_AGENT_HEARTBEAT_PORT', ''));
  const join = loadJoin(env, listen, driver);
  const tls = loadTls(env);
  return {
    filer: filer.toLowerCase(),
    listen,
    stateDir: resolve(stateDir),
    driver,
    filerNamespace,
    namespacePrefix,
    commandTimeoutMs,
    ...(heartbeatPort !== undefined ? { heartbeatPort } : {}),
    ...(join !== undefined ? { join } : {}),
    ...(bootstrap !== undefined ? { bootstrap } : {}),
    ...(tls !== undefined ? { tls } : {}),
  };
}
