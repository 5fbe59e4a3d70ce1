import type { EffectiveRoute, LinkSpec, NodeSpec, Placement, VsvrSpec } from '@vsnet/model';
import type { Palette } from './output.js';
import { renderTable } from './table.js';
import type { Row } from './table.js';

/** How many hex digits of a spec hash to show: enough to tell two specs apart by eye. */
const SHORT_HASH = 12;

const text = (value: string | number | undefined): string =>
  value === undefined ? '' : String(value);

function linkDetails(link: LinkSpec): string {
  switch (link.kind) {
    case 'physical':
      return link.mac === undefined ? '' : `mac ${link.mac}`;
    case 'bond':
      return `members ${(link.members ?? []).join(', ')}; mode ${text(link.mode)}`;
    case 'failover':
      return `members ${(link.members ?? []).join(', ')}; primary ${text(link.primary)}`;
    case 'vlan':
      return `on ${text(link.parent)}; tag ${text(link.tag)}`;
  }
}

function routeRows(routes: readonly EffectiveRoute[]): Row[] {
  return routes.map((r) => [r.to, text(r.via), text(r.alias), text(r.metric), r.from]);
}

const ROUTE_COLUMNS = [
  { header: 'TO' },
  { header: 'VIA', optional: true },
  { header: 'ALIAS', optional: true },
  { header: 'METRIC', align: 'right', optional: true },
  { header: 'FROM' },
] as const;

function section(title: string, indent: number, body: string, palette: Palette): string {
  return `${' '.repeat(indent)}${palette.bold(title)}\n${body}`;
}

function renderVsvr(vsvr: VsvrSpec, palette: Palette): string {
  const role = vsvr.active ? palette.green('active') : palette.yellow('standby');
  const parts = [
    `    ${palette.bold(vsvr.name)}  ${role}  priority ${vsvr.priority}  namespace ${vsvr.namespace}\n`,
  ];
  if (vsvr.interfaces.length > 0) {
    const rows = vsvr.interfaces.map((i) => [i.name, i.lower, String(i.mtu), text(i.tag), i.mac]);
    const columns = [
      { header: 'INTERFACE' },
      { header: 'ON' },
      { header: 'MTU', align: 'right' },
      { header: 'VLAN', align: 'right', optional: true },
      { header: 'MAC' },
    ] as const;
    parts.push(renderTable(columns, rows, palette, { indent: 6 }));
  }
  if (vsvr.addresses.length > 0) {
    const rows = vsvr.addresses.map((a) => [
      a.address,
      a.alias,
      String(a.instance),
      a.mode,
      a.identifier,
    ]);
    const columns = [
      { header: 'ADDRESS', style: palette.cyan },
      { header: 'ALIAS' },
      { header: 'INSTANCE', align: 'right' },
      { header: 'MODE' },
      { header: 'IDENTIFIER' },
    ] as const;
    parts.push(renderTable(columns, rows, palette, { indent: 6 }));
  }
  if (vsvr.routes.length > 0) {
    parts.push(renderTable(ROUTE_COLUMNS, routeRows(vsvr.routes), palette, { indent: 6 }));
  }
  return parts.join('');
}

/** One filer's node spec as sections of aligned tables; empty sections are left out. */
export function renderNodeSpec(spec: NodeSpec, palette: Palette): string {
  const hash = palette.dim(`spec ${spec.hash.slice(0, SHORT_HASH)}`);
  const out = [`${palette.bold(palette.underline(`Filer ${spec.filer}`))}  ${hash}\n`];
  const add = (title: string, body: string): void => {
    out.push(section(title, 2, body, palette));
  };
  if (spec.links.length > 0) {
    const rows = spec.links.map((l) => [l.name, l.kind, String(l.mtu), linkDetails(l)]);
    const columns = [
      { header: 'LINK' },
      { header: 'KIND' },
      { header: 'MTU', align: 'right' },
      { header: 'DETAILS' },
    ] as const;
    add('links', renderTable(columns, rows, palette, { indent: 4 }));
  }
  if (spec.aliases.length > 0) {
    const rows = spec.aliases.map((a) => [a.name, a.kind, a.lower, String(a.mtu), text(a.tag)]);
    const columns = [
      { header: 'ALIAS' },
      { header: 'KIND' },
      { header: 'ON' },
      { header: 'MTU', align: 'right' },
      { header: 'VLAN', align: 'right', optional: true },
    ] as const;
    add('aliases', renderTable(columns, rows, palette, { indent: 4 }));
  }
  if (spec.addresses.length > 0) {
    const rows = spec.addresses.map((a) => [
      a.address,
      a.alias,
      a.mode,
      String(a.table),
      a.identifier,
      text(a.site),
    ]);
    const columns = [
      { header: 'ADDRESS', style: palette.cyan },
      { header: 'ALIAS' },
      { header: 'MODE' },
      { header: 'TABLE', align: 'right' },
      { header: 'IDENTIFIER' },
      { header: 'SITE', optional: true },
    ] as const;
    add('filer addresses', renderTable(columns, rows, palette, { indent: 4 }));
  }
  const aliasRoutes = spec.aliasRoutes.filter((a) => a.routes.length > 0);
  for (const group of aliasRoutes) {
    const body = renderTable(ROUTE_COLUMNS, routeRows(group.routes), palette, { indent: 4 });
    add(`routes of ${group.alias} (table ${group.table})`, body);
  }
  if (spec.vsvrs.length > 0) {
    add('vsvrs', spec.vsvrs.map((v) => renderVsvr(v, palette)).join(''));
  }
  if (spec.mysqlNodes.length > 0) {
    const rows = spec.mysqlNodes.flatMap((m) =>
      m.addresses.map((a) => [m.role, a.address, a.alias, a.identifier]),
    );
    const columns = [
      { header: 'ROLE' },
      { header: 'ADDRESS', style: palette.cyan },
      { header: 'ALIAS' },
      { header: 'IDENTIFIER' },
    ] as const;
    add('mysql nodes', renderTable(columns, rows, palette, { indent: 4 }));
  }
  if (out.length === 1) {
    out.push(`${palette.dim('  nothing to configure')}\n`);
  }
  return out.join('');
}

/** A reason names its filer already (`Filer2 has no data1`); otherwise say which filer. */
function why(filer: string, reason: string): string {
  return reason.includes(filer) ? reason : `${filer}: ${reason}`;
}

/** Where each vsvr can run, and for every filer it cannot use, why not. */
export function renderPlacements(placements: readonly Placement[], palette: Palette): string {
  const rows = placements.map((p) => [
    p.vsvr,
    p.explicitGroup ? p.candidates.join(', ') || '(empty)' : '(any filer)',
    p.runsOn.length === 0 ? 'nowhere' : p.runsOn.join(', '),
    p.excluded.length === 0
      ? '-'
      : p.excluded
          .flatMap((e) =>
            e.reasons.length === 0 ? [e.filer] : e.reasons.map((r) => why(e.filer, r)),
          )
          .join('\n'),
  ]);
  const columns = [
    { header: 'VSVR', style: palette.bold },
    { header: 'FAILOVER GROUP' },
    {
      header: 'RUNS ON',
      style: (s: string) => (s === 'nowhere' ? palette.red(s) : palette.green(s)),
    },
    { header: 'CANNOT RUN ON', style: palette.yellow },
  ];
  return `${palette.bold(palette.underline('Placements'))}\n${renderTable(columns, rows, palette)}`;
}

/** The whole `plan` for a terminal: every filer's spec, then the placement table. */
export function renderPlan(
  specs: readonly NodeSpec[],
  placements: readonly Placement[],
  palette: Palette,
): string {
  const blocks =
    specs.length === 0
      ? [`${palette.bold('Filers')}\n  no filers\n`]
      : specs.map((s) => renderNodeSpec(s, palette));
  blocks.push(
    placements.length === 0
      ? `${palette.bold('Placements')}\n  no vsvrs\n`
      : renderPlacements(placements, palette),
  );
  return blocks.join('\n');
}
