import type { VsvrCounters } from '../driver.js';

/**
 * Parses `/proc/net/snmp` (pairs of lines: `Ip: Forwarding DefaultTTL …` then `Ip: 1 64 …`)
 * followed by `/proc/net/snmp6` (`Ip6InReceives  12` lines) into IP, TCP and UDP counters.
 * IPv6 counters keep their `Ip6`/`Udp6` prefix; Linux counts TCP over both families in `Tcp`.
 */
export function parseSnmp(text: string): VsvrCounters {
  const groups = new Map<string, Record<string, number>>();
  const header = new Map<string, string[]>();
  const group = (name: string): Record<string, number> => {
    const g = groups.get(name) ?? {};
    groups.set(name, g);
    return g;
  };
  for (const line of text.split('\n')) {
    const table = /^(\w+):\s+(.*)$/.exec(line);
    if (table) {
      const [, name = '', rest = ''] = table;
      const fields = rest.trim().split(/\s+/);
      const names = header.get(name);
      if (names === undefined || fields.some((f) => !/^-?\d+$/.test(f))) {
        header.set(name, fields);
        continue;
      }
      const g = group(name);
      names.forEach((n, i) => (g[n] = Number(fields[i] ?? 0)));
      header.delete(name);
      continue;
    }
    const v6 = /^(Ip6|Udp6|UdpLite6|Icmp6)(\w+)\s+(-?\d+)$/.exec(line.trim());
    if (v6) {
      const [, prefix = '', counter = '', value = '0'] = v6;
      group(prefix)[prefix + counter] = Number(value);
    }
  }
  return {
    ip: { ...groups.get('Ip'), ...groups.get('Ip6') },
    tcp: { ...groups.get('Tcp') },
    udp: { ...groups.get('Udp'), ...groups.get('Udp6') },
  };
}
