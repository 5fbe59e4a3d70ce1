import type { Family } from '@vsnet/model';
import type { DhcpPlan, DhcpSubnet, Reservation } from './dhcp-plan.js';
import { identifierDuid } from './kea.js';
import type { RenderOptions } from './kea.js';
import { wrapBlock } from './snippet.js';
import {
  decodeInterfaceDefinitions,
  toHex,
  VSNET_OPTION_SPACE,
  VSNET_SUBOPTIONS,
} from './vendor-options.js';

/** A dhcpd/dhclient string literal. Names in vsnet hold no quotes, but a domain might. */
export function iscString(text: string): string {
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** The `vsnet` option space, declared the same way in dhcpd.conf and dhclient.conf. */
export function iscOptionSpace(): string[] {
  return [
    `option space ${VSNET_OPTION_SPACE} code width 1 length width 1;`,
    ...Object.entries(VSNET_SUBOPTIONS).map(
      ([name, o]) => `option ${VSNET_OPTION_SPACE}.${name} code ${o.code} = ${o.isc};`,
    ),
  ];
}

/**
 * The vendor options of a host: named sub-options of the `vsnet` space, so a person reading
 * dhcpd.conf sees the filer's name; dhcpd encodes them into the same option 43 bytes as Kea's.
 */
function vendorStatements(payload: Uint8Array, indent: string): string[] {
  const defs = decodeInterfaceDefinitions(payload);
  return [
    `${indent}vendor-option-space ${VSNET_OPTION_SPACE};`,
    `${indent}option ${VSNET_OPTION_SPACE}.version ${defs.version};`,
    `${indent}option ${VSNET_OPTION_SPACE}.cluster ${iscString(defs.cluster)};`,
    `${indent}option ${VSNET_OPTION_SPACE}.filer ${iscString(defs.filer)};`,
    `${indent}option ${VSNET_OPTION_SPACE}.stack ${toHex(stackBytes(payload), ':')};`,
  ];
}

/** The data of the `stack` sub-option inside an encoded payload. */
function stackBytes(payload: Uint8Array): Uint8Array {
  let at = 0;
  while (at + 1 < payload.length) {
    const code = payload[at] ?? 0;
    const length = payload[at + 1] ?? 0;
    if (code === VSNET_SUBOPTIONS.stack.code) {
      return payload.subarray(at + 2, at + 2 + length);
    }
    at += 2 + length;
  }
  return new Uint8Array();
}

/**
 * A host name dhcpd accepts and a person can read: kind, owner, alias and instance, e.g.
 * `vsvr-sales-data0-1`, `filer-filer1-mgmt0`, `port-filer1-eth0`. Aliases and instances hold
 * no `-`, so reading from the right, two different addresses never get the same name.
 */
function hostName(r: Reservation): string {
  const { ownerKind, owner, alias, instance } = r.row;
  return [ownerKind, owner, alias, ...(instance !== undefined ? [String(instance)] : [])].join('-');
}

function netmask(prefixLength: number): string {
  const bits = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join('.');
}

function subnetDeclaration(s: DhcpSubnet): string[] {
  const head =
    s.family === 4
      ? `subnet ${s.network} netmask ${netmask(s.prefixLength)} {`
      : `subnet6 ${s.prefix} {`;
  const body =
    s.family === 4 && s.routers.length > 0 ? [`  option routers ${s.routers.join(', ')};`] : [];
  // First-boot requests have no fixed address: dhcpd answers them only from a range.
  const ranges = s.pools.map((p) => `  range ${p.first} ${p.last};`);
  return [head, ...body, ...ranges, '}'];
}

function hostDeclaration(family: Family, r: Reservation): string[] {
  const lines = [`host ${hostName(r)} {`];
  if (family === 4) {
    lines.push(
      `  option dhcp-client-identifier ${iscString(r.identifier)};`,
      `  fixed-address ${r.ip};`,
    );
    if (r.vendorOptions !== undefined) {
      lines.push(...vendorStatements(r.vendorOptions, '  '));
    }
  } else {
    lines.push(
      `  host-identifier option dhcp6.client-id ${identifierDuid(r.identifier)};`,
      `  fixed-address6 ${r.ip};`,
    );
  }
  lines.push('}');
  return lines;
}

function dnsStatements(plan: DhcpPlan, family: Family): string[] {
  const servers = family === 4 ? plan.dnsServers4 : plan.dnsServers6;
  const out: string[] = [];
  if (servers.length > 0) {
    out.push(
      `  option ${family === 4 ? 'domain-name-servers' : 'dhcp6.name-servers'} ${servers.join(', ')};`,
    );
  }
  if (plan.domain !== undefined) {
    out.push(
      `  option ${family === 4 ? 'domain-name' : 'dhcp6.domain-search'} ${iscString(plan.domain)};`,
    );
  }
  return out;
}

/**
 * vsnet's block of dhcpd.conf: the `vsnet` option space (IPv4), then one `group` holding a
 * host per address (and per port of each filer, for its first boot) with the DNS options.
 * Hosts are global in dhcpd whatever scope they are written in, so they are written globally;
 * the full configuration also declares the subnets, with their routers.
 */
export function dhcpdBlock(plan: DhcpPlan, family: Family, withSubnets: boolean): string {
  const lines: string[] = [];
  if (family === 4) {
    lines.push(
      '# The vsnet vendor options (option 43): docs/dhcp-vendor-options.md.',
      ...iscOptionSpace(),
      '',
    );
  }
  const subnets = family === 4 ? plan.subnets4 : plan.subnets6;
  if (withSubnets) {
    for (const s of subnets) {
      lines.push(...subnetDeclaration(s));
    }
    lines.push('');
  }
  lines.push('group {', ...dnsStatements(plan, family));
  for (const s of subnets) {
    lines.push(`  # ${s.prefix}`);
    for (const r of s.reservations) {
      lines.push(...hostDeclaration(family, r).map((l) => `  ${l}`));
    }
  }
  if (family === 4) {
    lines.push(
      '  # First boot: each port asks with <cluster MAC>:<port MAC> for the interface definitions.',
    );
    for (const f of plan.filers) {
      for (const p of f.ports) {
        lines.push(
          `  host port-${f.filer}-${p.name} {`,
          `    option dhcp-client-identifier ${iscString(p.identifier)};`,
          ...vendorStatements(f.vendorOptions, '    '),
          '  }',
        );
      }
    }
  }
  lines.push('}');
  return wrapBlock(plan.cluster.name, `${lines.join('\n')}\n`);
}

/**
 * ISC dhcpd configuration for IPv4 (`dhcpd -t -cf`) or IPv6 (`dhcpd -6 -t -cf`); with
 * `snippet`, only vsnet's block, without subnet declarations: the server it is pasted into
 * declares its own subnets, which must cover the addresses.
 */
export function renderDhcpd(plan: DhcpPlan, family: Family, options: RenderOptions = {}): string {
  const snippet = options.snippet === true;
  const block = dhcpdBlock(plan, family, !snippet);
  if (snippet) {
    return block;
  }
  const check = family === 4 ? 'dhcpd -t -cf FILE' : 'dhcpd -6 -t -cf FILE';
  // dhcpd takes its interfaces on the command line, and serves a subnet on the interface
  // whose address lies in it.
  const interfaces = plan.interfaces.length > 0 ? plan.interfaces.join(' ') : 'INTERFACE...';
  return [
    `# ISC dhcpd (DHCPv${family}) configuration of vsnet cluster ${plan.cluster.name} (cluster MAC ${plan.cluster.mac}).`,
    `# Generated by "vsnet dhcp export"; regenerate it rather than edit it. Check it with ${check}.`,
    `# Run it with: dhcpd -${family} -cf FILE -lf LEASE-FILE ${interfaces}`,
    'authoritative;',
    ...(family === 4 ? ['ddns-update-style none;'] : []),
    'default-lease-time 86400;',
    'max-lease-time 86400;',
    '',
    block,
  ].join('\n');
}
