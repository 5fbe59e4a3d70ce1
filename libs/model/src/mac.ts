/**
 * MAC addresses (§5.2.4). The cluster MAC is the cluster's unique id and the seed of every DHCP
 * identifier; physical interfaces keep their own. Stored lower case, colon separated.
 */

const MAC_PATTERNS: readonly RegExp[] = [
  /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i,
  /^([0-9a-f]{2})([0-9a-f]{2})\.([0-9a-f]{2})([0-9a-f]{2})\.([0-9a-f]{2})([0-9a-f]{2})$/i,
];

/** `00:07:34:04:12:0E`, `00-07-34-04-12-0e` and `0007.3404.120e` all become `00:07:34:04:12:0e`. */
export function normalizeMac(text: string): string | undefined {
  const trimmed = text.trim();
  for (const pattern of MAC_PATTERNS) {
    const m = pattern.exec(trimmed);
    if (m) {
      return m.slice(1, 7).join(':').toLowerCase();
    }
  }
  return undefined;
}

export function macBytes(mac: string): number[] {
  return mac.split(':').map((h) => parseInt(h, 16));
}

export function isMulticastMac(mac: string): boolean {
  return ((macBytes(mac)[0] ?? 0) & 0x01) === 1;
}

export function isZeroMac(mac: string): boolean {
  return macBytes(mac).every((b) => b === 0);
}
