import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeSpec } from '@vsnet/model';
import { VSVR_NAMESPACE_SYSCTLS } from '@vsnet/dataplane';

/**
 * The most direct iproute2 script doing the kernel work of applying `spec` from empty, written
 * by hand from the spec (not from vsnet's plan): batch files, then one `ip -batch` for the
 * namespaces and their sysctls, one for the filer, one per vsvr namespace, run in sequence by
 * `sh`. It does what the driver does (sysctls, MAC-set announcement line, routes) and nothing
 * else (no reading, no arping).
 */
export function writeBaselineScript(
  spec: NodeSpec,
  filer: string,
  prefix: string,
): { script: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vsnet-dataplane-bench-'));
  const sysctls = VSVR_NAMESPACE_SYSCTLS.map(([k, v]) => `${k}=${v}`).join(' ');
  const namespaces = spec.vsvrs.map((v) => prefix + v.namespace);
  const root = [
    ...namespaces.map((ns) => `netns add ${ns}`),
    ...namespaces.map((ns) => `netns exec ${ns} sysctl -qw ${sysctls}`),
  ];
  const filerLines = [
    ...spec.links.map((l) => `link set dev ${l.name} mtu ${l.mtu} up`),
    ...spec.aliases
      .filter((a) => a.kind !== 'data')
      .flatMap((a) => [
        `link add ${a.name} link ${a.lower} mtu ${a.mtu} type macvlan mode bridge`,
        `link set dev ${a.name} up`,
      ]),
    ...spec.addresses.flatMap((a) => {
      const [ip = '', len = ''] = a.address.split('/');
      const subnet = len === '24' ? `${ip.split('.').slice(0, 3).join('.')}.0/24` : a.address;
      return [
        `addr add ${a.address} dev ${a.alias}`,
        `route replace ${subnet} dev ${a.alias} table ${a.table} proto static`,
        `rule add from ${ip}/32 table ${a.table} priority 10000`,
      ];
    }),
    ...spec.vsvrs.flatMap((v) =>
      v.interfaces.map(
        (i) =>
          `link add ${i.name} link ${i.lower} netns ${prefix + v.namespace} address ${i.mac} mtu ${i.mtu} type macvlan mode bridge`,
      ),
    ),
  ];
  const files: string[] = [];
  const write = (name: string, lines: readonly string[]): string => {
    const file = join(dir, name);
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  };
  files.push(`ip -batch ${write('root.batch', root)}`);
  files.push(`ip -n ${filer} -batch ${write('filer.batch', filerLines)}`);
  for (const v of spec.vsvrs) {
    const ns = prefix + v.namespace;
    const lines = [
      'link set dev lo up',
      ...v.interfaces.map((i) => `link set dev ${i.name} up`),
      ...v.addresses.map(
        (a) => `addr add ${a.address} dev ${a.alias}${a.address.includes(':') ? ' nodad' : ''}`,
      ),
      ...v.interfaces.map((i) => `link set dev ${i.name} address ${i.mac}`),
      ...v.routes.map(
        (r) =>
          `route replace ${r.to} via ${r.via ?? ''} dev ${r.alias ?? ''} table 254 proto static`,
      ),
    ];
    files.push(`ip -n ${ns} -batch ${write(`${ns}.batch`, lines)}`);
  }
  const script = write('apply.sh', ['set -e', ...files]);
  return { script, dir };
}

export function removeBaselineScript(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
