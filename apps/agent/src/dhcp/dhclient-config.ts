import { identifierDuid, VSNET_VENDOR_CLASS } from '@vsnet/dhcp';

/** One DHCP client the agent runs: a device, a family, and the identifier it sends. */
export interface DhcpClientRequest {
  readonly device: string;
  readonly family: 4 | 6;
  /** The vsnet identifier (§5.2.6.3): DHCPv4 client-id as raw ASCII, DHCPv6 DUID of its bytes. */
  readonly identifier: string;
}

/** A request's key: at most one client per device and family. */
export function clientKey(r: { readonly device: string; readonly family: 4 | 6 }): string {
  return `${r.device} v${r.family}`;
}

function iscString(text: string): string {
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * The dhclient.conf of one client: the identifier, the vsnet vendor class, and (IPv4) the
 * request for option 43, which carries the interface definitions (docs/dhcp-vendor-options.md).
 */
export function dhclientConfig(r: DhcpClientRequest): string {
  if (r.family === 6) {
    return `send dhcp6.client-id ${identifierDuid(r.identifier)};\n`;
  }
  return [
    `send dhcp-client-identifier ${iscString(r.identifier)};`,
    `send vendor-class-identifier ${iscString(VSNET_VENDOR_CLASS)};`,
    'also request vendor-encapsulated-options;',
    '',
  ].join('\n');
}
