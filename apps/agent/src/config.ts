import { isAbsolute, resolve } from 'node:path';

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

function checkTimeout(value: string): number {
  const ms = Number(value);
  if (!/^\d+$/.test(value) || ms < 100 || ms > 600_000) {
    throw new ConfigError(
      `VSNET_AGENT_COMMAND_TIMEOUT_MS=${value} is not usable: give milliseconds from 100 to 600000`,
    );
  }
  return ms;
}

/**
 * Reads and checks every VSNET_AGENT_* variable (and VSNET_FILER). Throws a {@link ConfigError}
 * naming the first wrong variable, its value and what it should be.
 */
export function loadConfig(env: NodeJS.ProcessEnv): AgentConfig {
  const filer = text(env, 'VSNET_FILER', '');
  if (filer === '') {
    throw new ConfigError(
      "VSNET_FILER is not set: set it to this filer's name in the cluster document, e.g. VSNET_FILER=filer1",
    );
  }
  if (!FILER_NAME.test(filer)) {
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
  return {
    filer: filer.toLowerCase(),
    listen: checkListen(text(env, 'VSNET_AGENT_LISTEN', DEFAULT_LISTEN)),
    stateDir: resolve(stateDir),
    driver: checkDriver(text(env, 'VSNET_AGENT_DRIVER', 'linux')),
    filerNamespace,
    namespacePrefix,
    commandTimeoutMs: checkTimeout(
      text(env, 'VSNET_AGENT_COMMAND_TIMEOUT_MS', String(DEFAULT_COMMAND_TIMEOUT_MS)),
    ),
  };
}
