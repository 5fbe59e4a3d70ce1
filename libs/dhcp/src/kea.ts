import type { Family } from '@vsnet/model';
import type { DhcpPlan, DhcpSubnet, Reservation } from './dhcp-plan.js';
import { SnippetMergeError, findBlock, wrapBlock } from './snippet.js';
import { VENDOR_ENCAPSULATED_OPTIONS, toHex } from './vendor-options.js';

/** Options the exporters of server configuration share. */
export interface RenderOptions {
  /** Only vsnet's block, for pasting into (or merging with) a server someone else runs. */
  readonly snippet?: boolean;
}

/** JSON on one line with a space after `,` and `:`, the way people write Kea configurations. */
function inline(value: unknown): string {
  if (Array.isArray(value)) {
    return value.length === 0 ? '[]' : `[ ${value.map(inline).join(', ')} ]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return entries.length === 0
      ? '{}'
      : `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

/**
 * Option 43 as raw bytes: Kea's own definition of option 43 carries them as they are, so the
 * reservation needs no option-def and a snippet stands alone inside someone else's server.
 */
function vendorOptionData(payload: Uint8Array): object {
  return { code: VENDOR_ENCAPSULATED_OPTIONS, data: toHex(payload), 'csv-format': false };
}

/** Kea's client-id written as a quoted string is the string's bytes: what dhclient sends. */
function clientId(identifier: string): string {
  return `'${identifier}'`;
}

/** DHCPv6 has no client-id; the DUID is the identifier's bytes, which dhclient -6 sends. */
export function identifierDuid(identifier: string): string {
  return toHex(new TextEncoder().encode(identifier), ':');
}

function reservation(family: Family, r: Reservation): string {
  if (family === 6) {
    return inline({ duid: identifierDuid(r.identifier), 'ip-addresses': [r.ip] });
  }
  return inline({
    'client-id': clientId(r.identifier),
    'ip-address': r.ip,
    ...(r.vendorOptions !== undefined
      ? { 'option-data': [vendorOptionData(r.vendorOptions)] }
      : {}),
  });
}

function subnetOptions(plan: DhcpPlan, subnet: DhcpSubnet): object[] {
  const out: object[] = [];
  if (subnet.family === 4) {
    if (subnet.routers.length > 0) {
      out.push({ name: 'routers', data: subnet.routers.join(', ') });
    }
    if (plan.dnsServers4.length > 0) {
      out.push({ name: 'domain-name-servers', data: plan.dnsServers4.join(', ') });
    }
    if (plan.domain !== undefined) {
      out.push({ name: 'domain-name', data: plan.domain });
    }
  } else {
    if (plan.dnsServers6.length > 0) {
      out.push({ name: 'dns-servers', data: plan.dnsServers6.join(', ') });
    }
    if (plan.domain !== undefined) {
      out.push({ name: 'domain-search', data: plan.domain });
    }
  }
  return out;
}

const ENTRY = '      ';

/** One subnet4/subnet6 entry, one reservation a line so a diff shows what changed. */
function subnetEntry(plan: DhcpPlan, subnet: DhcpSubnet): string {
  const lines = [
    `${ENTRY}{`,
    `${ENTRY}  "id": ${subnet.id},`,
    `${ENTRY}  "subnet": ${JSON.stringify(subnet.prefix)},`,
  ];
  if (subnet.interface !== undefined) {
    lines.push(`${ENTRY}  "interface": ${JSON.stringify(subnet.interface)},`);
  }
  if (subnet.pools.length > 0) {
    const pools = subnet.pools.map((p) => ({ pool: `${p.first} - ${p.last}` }));
    lines.push(`${ENTRY}  "pools": ${inline(pools)},`);
  }
  const options = subnetOptions(plan, subnet);
  if (options.length > 0) {
    lines.push(`${ENTRY}  "option-data": [`);
    lines.push(options.map((o) => `${ENTRY}    ${inline(o)}`).join(',\n'));
    lines.push(`${ENTRY}  ],`);
  }
  lines.push(`${ENTRY}  "reservations": [`);
  const family = subnet.family;
  const rows = subnet.reservations.map((r) => `${ENTRY}    ${reservation(family, r)}`);
  if (rows.length > 0) {
    lines.push(rows.join(',\n'));
  }
  lines.push(`${ENTRY}  ]`, `${ENTRY}}`);
  return lines.join('\n');
}

interface Commas {
  /** The block follows an entry of someone else's with no comma after it. */
  readonly leading?: boolean;
  /** Someone else's entry follows the block. */
  readonly trailing?: boolean;
}

/** vsnet's subnets for `"subnet4"`/`"subnet6"`, between the cluster's markers. */
export function keaBlock(plan: DhcpPlan, family: Family, commas: Commas = {}): string {
  const subnets = family === 4 ? plan.subnets4 : plan.subnets6;
  const entries = subnets.map((s) => subnetEntry(plan, s));
  if (entries.length === 0) {
    return wrapBlock(plan.cluster.name, '');
  }
  let body = entries.join(',\n');
  if (commas.leading === true) {
    body = `${ENTRY},\n${body}`;
  }
  return wrapBlock(plan.cluster.name, `${body}${commas.trailing === true ? ',' : ''}\n`);
}

/**
 * `"lease-database"` (memfile), and for DHCPv6 where its server DUID goes with it: Kea 2.2
 * keeps the DUID in its data directory, and a server whose leases are forgotten at restart
 * has no use for the old one.
 */
function leaseLines(plan: DhcpPlan, family: Family): string[] {
  const db = plan.leaseDatabase;
  if (db === undefined) {
    return [`    "lease-database": ${inline({ type: 'memfile', 'lfc-interval': 3600 })},`];
  }
  if (!db.persist) {
    return [
      '    # Leases in memory only: a restart forgets them.',
      `    "lease-database": ${inline({ type: 'memfile', persist: false })},`,
      ...(family === 6 ? [`    "server-id": ${inline({ type: 'LLT', persist: false })},`] : []),
    ];
  }
  const name = db.name;
  return [
    `    "lease-database": ${inline({ type: 'memfile', name, 'lfc-interval': 3600 })},`,
    ...(family === 6 && name !== undefined
      ? [`    "data-directory": ${JSON.stringify(name.slice(0, name.lastIndexOf('/')) || '/')},`]
      : []),
  ];
}

/**
 * A complete Kea configuration (`Dhcp4` or `Dhcp6`), or with `snippet` only vsnet's block of
 * subnet entries. The full one listens on `plan.interfaces` only: a DHCP server that starts
 * answering on every interface of a machine is a hazard, so none is the default.
 */
export function renderKea(plan: DhcpPlan, family: Family, options: RenderOptions = {}): string {
  const block = keaBlock(plan, family);
  if (options.snippet === true) {
    return block;
  }
  const server = family === 4 ? 'Dhcp4' : 'Dhcp6';
  const out = [
    `# Kea DHCPv${family} configuration of vsnet cluster ${plan.cluster.name} (cluster MAC ${plan.cluster.mac}).`,
    `# Generated by "vsnet dhcp export"; regenerate it rather than edit it. Check it with kea-dhcp${family} -t FILE.`,
    '# Every address is a fixed reservation keyed by its vsnet identifier (§5.2.6.3).',
    ...(plan.interfaces.length === 0
      ? ['# It listens on no interface until one is named (vsnet dhcp export --interface NAME).']
      : []),
    '{',
    `  ${JSON.stringify(server)}: {`,
    `    "interfaces-config": ${inline({ interfaces: plan.interfaces })},`,
    ...leaseLines(plan, family),
    '    "valid-lifetime": 86400,',
  ];
  if (family === 4) {
    out.push(
      '    "host-reservation-identifiers": [ "client-id" ],',
      '    "reservations-global": true,',
      '    "reservations-in-subnet": true,',
      '    # A new filer asks down every port with <cluster MAC>:<port MAC> for its interface',
      '    # definitions (option 43, docs/dhcp-vendor-options.md) before it has any alias; the',
      '    # address of that answer comes from a pool of its subnet (--first-boot-pool).',
      '    "reservations": [',
    );
    const boot = plan.filers.flatMap((f) =>
      f.ports.map(
        (p) =>
          `      ${inline({ 'client-id': clientId(p.identifier), 'option-data': [vendorOptionData(f.vendorOptions)] })}`,
      ),
    );
    if (boot.length > 0) {
      out.push(boot.join(',\n'));
    }
    out.push('    ],');
  } else {
    out.push('    "preferred-lifetime": 43200,', '    "host-reservation-identifiers": [ "duid" ],');
  }
  out.push(`    "subnet${family}": [`, block.trimEnd(), '    ]', '  }', '}');
  return `${out.join('\n')}\n`;
}

/** The next character that is not blank or inside a `#`, `//` or block comment. */
function nextSignificant(text: string, from: number): string | undefined {
  let i = from;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#' || text.startsWith('//', i)) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl + 1;
    } else if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 2;
    } else {
      return c;
    }
  }
  return undefined;
}

/** The last character before `to` that is not blank or on a comment line. */
function previousSignificant(text: string, to: number): string | undefined {
  const before = text.slice(0, to).split('\n');
  for (let k = before.length - 1; k >= 0; k--) {
    const t = (before[k] ?? '').trim();
    if (t === '' || t.startsWith('#') || t.startsWith('//')) {
      continue;
    }
    return t.at(-1);
  }
  return undefined;
}

/**
 * Puts vsnet's subnets into an existing Kea configuration: in place of the cluster's block, or
 * at the start of its `"subnet4"`/`"subnet6"` list when there is none. Every byte outside the
 * block is kept; the block carries the commas that its neighbours need.
 */
export function mergeKea(
  existing: string,
  plan: DhcpPlan,
  family: Family,
  fileName = 'the file',
): string {
  const span = findBlock(existing, plan.cluster.name, fileName);
  let start: number;
  let end: number;
  if (span !== undefined) {
    ({ start, end } = span);
  } else {
    const list = new RegExp(`"subnet${family}"\\s*:\\s*\\[[ \\t]*\\r?\\n?`).exec(existing);
    if (list === null) {
      throw new SnippetMergeError(
        `${fileName} has no "subnet${family}" list to put vsnet's subnets in; add "subnet${family}": [ ] to its Dhcp${family} map and merge again`,
      );
    }
    start = end = list.index + list[0].length;
  }
  const before = existing.slice(0, start);
  const prefix = before === '' || before.endsWith('\n') ? before : `${before}\n`;
  const previous = previousSignificant(existing, start);
  const next = nextSignificant(existing, end);
  const block = keaBlock(plan, family, {
    leading: previous !== undefined && previous !== '[' && previous !== ',',
    trailing: next !== undefined && next !== ']',
  });
  return prefix + block + existing.slice(end);
}
