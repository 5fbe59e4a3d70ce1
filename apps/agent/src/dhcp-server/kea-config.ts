import { dirname } from 'node:path';

/** Where one Kea server of the agent keeps its files, all inside the agent's state folder. */
export interface KeaFiles {
  readonly config: string;
  readonly socket: string;
  readonly leases: string;
  readonly log: string;
}

/** The unix socket path limit (sun_path, 108 bytes with its terminating zero). */
const MAX_SOCKET_PATH = 107;

/**
 * The spec's Kea configuration with what only this host knows: where the leases, the control
 * socket and the log go. Everything else — subnets, reservations, interfaces — stays exactly as
 * generated. Kea takes `#` comments, JSON does not: the generator writes them on lines of their
 * own, which are dropped.
 */
export function localKeaConfig(text: string, family: 4 | 6, files: KeaFiles): string {
  if (Buffer.byteLength(files.socket) > MAX_SOCKET_PATH) {
    throw new Error(
      `the Kea control socket ${files.socket} is longer than a unix socket path may be (${MAX_SOCKET_PATH} bytes); give the agent a shorter VSNET_AGENT_STATE_DIR`,
    );
  }
  const json = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');
  let root: unknown;
  try {
    root = JSON.parse(json);
  } catch (err) {
    throw new Error(
      `the spec's kea${family} configuration is not the JSON vsnet generates (${(err as Error).message}); re-apply the spec from control`,
      { cause: err },
    );
  }
  const key = family === 4 ? 'Dhcp4' : 'Dhcp6';
  const server = (root as Record<string, unknown> | null)?.[key];
  if (typeof server !== 'object' || server === null) {
    throw new Error(`the spec's kea${family} configuration has no ${key} map`);
  }
  const interfaces = (server as Record<string, unknown>)['interfaces-config'];
  const local = {
    ...(server as Record<string, unknown>),
    // A new namespace's interfaces may still be coming up (IPv6 duplicate address detection):
    // keep retrying the sockets rather than serving on none.
    'interfaces-config': {
      ...(typeof interfaces === 'object' && interfaces !== null ? interfaces : {}),
      'service-sockets-max-retries': 20,
      'service-sockets-retry-wait-time': 500,
    },
    'lease-database': { type: 'memfile', name: files.leases, 'lfc-interval': 3600 },
    // Kea 2.2's DHCPv6 keeps its server DUID there (default /var/lib/kea, not the agent's).
    ...(family === 6 ? { 'data-directory': dirname(files.leases) } : {}),
    'control-socket': { 'socket-type': 'unix', 'socket-name': files.socket },
    loggers: [
      {
        name: `kea-dhcp${family}`,
        output_options: [{ output: files.log, maxsize: 1_048_576, maxver: 2 }],
        severity: 'INFO',
      },
    ],
  };
  return `${JSON.stringify({ [key]: local }, null, 2)}\n`;
}
