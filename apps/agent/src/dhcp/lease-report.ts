import { parseIp } from '@vsnet/model';

/** A lease as the agent's dhclient script reported it (one file per device and family). */
export interface Lease {
  readonly device: string;
  readonly family: 4 | 6;
  /** The leased address, without a prefix. */
  readonly ip: string;
  /** IPv4: from the subnet mask; IPv6: what DHCPv6 says (128 for IA_NA). */
  readonly prefixLength: number;
  /** IPv4 routers option, in the server's order. */
  readonly routers: readonly string[];
  /** Option 43 as it came (raw bytes), when the server sent it. */
  readonly vendorOptions?: Uint8Array;
  /** The server that answered: DHCPv4 server identifier, DHCPv6 server DUID (hex), if said. */
  readonly server?: string;
  /** When the lease ends (Unix ms), if the client said. */
  readonly expiresUnixMs?: number;
}

/** The file name of a device's report: `<device>.v4` / `<device>.v6`. */
export function reportFileName(device: string, family: 4 | 6): string {
  return `${device}.v${family}`;
}

const REPORT_NAME = /^(?<device>[A-Za-z0-9_.-]{1,15})\.v(?<family>[46])$/;

/** The device and family a report file is about, or undefined for any other file. */
export function reportFileOf(name: string): { device: string; family: 4 | 6 } | undefined {
  const m = REPORT_NAME.exec(name)?.groups;
  if (m?.device === undefined) {
    return undefined;
  }
  return { device: m.device, family: m.family === '6' ? 6 : 4 };
}

function maskLength(mask: string): number | undefined {
  const parts = mask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    return undefined;
  }
  const bits = parts.map((p) => p.toString(2).padStart(8, '0')).join('');
  // A netmask is ones then zeros; anything else is not one.
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : undefined;
}

/**
 * dhclient prints a binary option as colon-separated hex bytes without leading zeros
 * (`1:1:1:2:3:6c:61:62`); anything else is not option 43 as the vsnet server sends it.
 */
export function parseHexBytes(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2})*$/.test(text)) {
    return undefined;
  }
  return Uint8Array.from(text.split(':').map((b) => Number.parseInt(b, 16)));
}

/**
 * Reads one report written by the agent's dhclient script (`key=value` lines). Returns the
 * lease when the client holds one, undefined when it reported none (expired, released,
 * stopped) or when a value is not what dhclient writes: the agent plumbs nothing it cannot read.
 */
export function parseLeaseReport(device: string, family: 4 | 6, text: string): Lease | undefined {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) {
      fields.set(line.slice(0, at), line.slice(at + 1).trim());
    }
  }
  if (fields.get('state') !== 'bound') {
    return undefined;
  }
  const ip = parseIp(fields.get(family === 4 ? 'ip' : 'ip6') ?? '');
  if (!ip.ok || ip.value.family !== family) {
    return undefined;
  }
  const prefixLength =
    family === 4
      ? maskLength(fields.get('mask') ?? '')
      : Number.parseInt(fields.get('ip6_prefixlen') ?? '128', 10);
  if (prefixLength === undefined || !Number.isInteger(prefixLength)) {
    return undefined;
  }
  const routers = (fields.get('routers') ?? '').split(/\s+/).filter((r) => {
    const p = parseIp(r);
    return p.ok && p.value.family === 4;
  });
  const vendorOptions = parseHexBytes(fields.get('vendor_options') ?? '');
  const server = serverOf(family, fields);
  const expiresUnixMs = expiryOf(family, fields);
  return {
    device,
    family,
    ip: ip.value.ip,
    prefixLength,
    routers,
    ...(vendorOptions !== undefined ? { vendorOptions } : {}),
    ...(server !== undefined ? { server } : {}),
    ...(expiresUnixMs !== undefined ? { expiresUnixMs } : {}),
  };
}

/** A whole number of seconds as dhclient prints it, or undefined. */
function seconds(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,12}$/.test(text) ? Number(text) : undefined;
}

/** The DHCPv4 server identifier (an address) or the DHCPv6 server DUID (hex bytes). */
function serverOf(family: 4 | 6, fields: ReadonlyMap<string, string>): string | undefined {
  if (family === 4) {
    const p = parseIp(fields.get('server') ?? '');
    return p.ok && p.value.family === 4 ? p.value.ip : undefined;
  }
  const duid = fields.get('server6') ?? '';
  return parseHexBytes(duid) !== undefined ? duid : undefined;
}

/** DHCPv4: `expiry` is a Unix time; DHCPv6: the address's start plus its valid lifetime. */
function expiryOf(family: 4 | 6, fields: ReadonlyMap<string, string>): number | undefined {
  if (family === 4) {
    const at = seconds(fields.get('expiry'));
    return at === undefined ? undefined : at * 1000;
  }
  const starts = seconds(fields.get('life_starts'));
  const life = seconds(fields.get('max_life'));
  // 0xffffffff is an infinite lifetime: the lease does not end.
  return starts === undefined || life === undefined || life === 0xffff_ffff
    ? undefined
    : (starts + life) * 1000;
}
