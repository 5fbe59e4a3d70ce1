import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { CliError } from './cli-io.js';
import type { CliIo } from './cli-io.js';

// The online verbs' settings file: where the control service is and the caller's token, so
// neither has to be typed (or exported) for every command. Flags and the environment win.

/** What a config file may set; all optional. */
export interface ClientConfig {
  /** Where the file was looked for (shown in messages); undefined when no path applies. */
  readonly path?: string;
  readonly server?: string;
  readonly token?: string;
  /**
   * `tls_ca:` the CA file (PEM) the control service's certificate must chain to; a relative
   * path is taken from the config file's folder.
   */
  readonly tlsCa?: string;
}

const KEYS = ['server', 'token', 'tls_ca'] as const;

/**
 * The config file's path: `$VSNET_CONFIG`, else `$XDG_CONFIG_HOME/vsnet/config.yaml`, else
 * `~/.config/vsnet/config.yaml`; `explicit` tells whether the user named it (then it must exist).
 */
export function clientConfigPath(
  env: CliIo['env'],
): { readonly path: string; readonly explicit: boolean } | undefined {
  const named = env['VSNET_CONFIG'];
  if (named !== undefined && named !== '') {
    return { path: named, explicit: true };
  }
  const xdg = env['XDG_CONFIG_HOME'];
  if (xdg !== undefined && xdg !== '') {
    return { path: `${xdg.replace(/\/+$/, '')}/vsnet/config.yaml`, explicit: false };
  }
  const home = env['HOME'];
  if (home !== undefined && home !== '') {
    return { path: `${home.replace(/\/+$/, '')}/.config/vsnet/config.yaml`, explicit: false };
  }
  return undefined;
}

function errnoOf(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

/**
 * Reads the config file. A default path that does not exist is no config; a file named by
 * VSNET_CONFIG that does not exist, or a file that is not `server:`/`token:` strings, is a
 * one-line error naming the file and what to fix (exit 2).
 */
export async function loadClientConfig(io: CliIo): Promise<ClientConfig> {
  const where = clientConfigPath(io.env);
  if (where === undefined) {
    return {};
  }
  const { path, explicit } = where;
  let text: string;
  try {
    text = await io.readFile(path);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' && !explicit) {
      return { path };
    }
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : err instanceof Error
              ? err.message
              : String(err);
    const fix = explicit ? 'fix the path in VSNET_CONFIG or unset it' : 'fix or remove the file';
    throw new CliError(`vsnet: cannot read the config file ${path}: ${why}; ${fix}`);
  }
  const doc = parseDocument(text);
  const data: unknown = doc.errors.length === 0 ? doc.toJS() : undefined;
  if (
    doc.errors.length > 0 ||
    (data !== null && (typeof data !== 'object' || Array.isArray(data)))
  ) {
    throw new CliError(
      `vsnet: ${path}: not a vsnet config file; write a mapping with server: HOST:PORT and token: <secret>`,
    );
  }
  const fields = (data ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new CliError(
        `vsnet: ${path}: unknown key ${key}; a vsnet config file has only server:, token: and tls_ca:`,
      );
    }
    if (typeof value !== 'string' || value === '') {
      throw new CliError(`vsnet: ${path}: ${key} must be a non-empty string`);
    }
  }
  return {
    path,
    ...(typeof fields['server'] === 'string' ? { server: fields['server'] } : {}),
    ...(typeof fields['token'] === 'string' ? { token: fields['token'] } : {}),
    ...(typeof fields['tls_ca'] === 'string'
      ? { tlsCa: resolve(dirname(path), fields['tls_ca']) }
      : {}),
  };
}
