import type { DhcpPlan } from './dhcp-plan.js';

/**
 * The worksheet (§5.2.6): what a network administrator needs to configure DHCP before the
 * filers arrive. Every address with its identifier, then the identifiers each filer's ports
 * send on first boot to fetch their interface definitions (no address: options only).
 */
export const WORKSHEET_FIELDS = [
  'identifier',
  'address',
  'ownerKind',
  'owner',
  'alias',
  'instance',
  'mode',
  'site',
] as const;

type Cell = string | number | undefined;

function worksheetRows(plan: DhcpPlan): Cell[][] {
  const rows: Cell[][] = plan.rows.map((r) => WORKSHEET_FIELDS.map((f) => r[f]));
  for (const f of plan.filers) {
    for (const p of f.ports) {
      rows.push([p.identifier, '', 'port', f.filer, p.name, undefined, 'options', undefined]);
    }
  }
  return rows;
}

function csvField(value: Cell): string {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** RFC 4180 CSV with a header row and CRLF line ends, the columns of `vsnet addresses -o csv`. */
export function renderWorksheetCsv(plan: DhcpPlan): string {
  return [[...WORKSHEET_FIELDS], ...worksheetRows(plan)]
    .map((row) => `${row.map(csvField).join(',')}\r\n`)
    .join('');
}

const HEADERS = ['IDENTIFIER', 'ADDRESS', 'KIND', 'OWNER', 'ALIAS', 'INSTANCE', 'MODE', 'SITE'];

/** The worksheet as plain aligned text for printing or mailing: no colour, no trailing blanks. */
export function renderWorksheet(plan: DhcpPlan): string {
  const all = worksheetRows(plan).map((r) => r.map((c) => (c === undefined ? '' : String(c))));
  // SITE is left out of a cluster that defines no sites, as `vsnet addresses` does.
  const keep = HEADERS.map((_, c) => c !== 7 || all.some((r) => r[c] !== ''));
  const headers = HEADERS.filter((_, c) => keep[c]);
  const rows = all.map((r) => r.filter((_, c) => keep[c]));
  let widths = headers.map((h) => h.length);
  for (const r of rows) {
    widths = widths.map((w, c) => Math.max(w, (r[c] ?? '').length));
  }
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (c === 5 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  const addresses = plan.rows.length;
  const ports = all.length - addresses;
  return [
    `vsnet DHCP worksheet: cluster ${plan.cluster.name}, cluster MAC ${plan.cluster.mac}`,
    `${addresses} fixed addresses and ${ports} filer ports. Each identifier is sent as the`,
    'DHCP client identifier, as these exact ASCII characters with no type byte (RFC 2132 9.14);',
    'over DHCPv6 its bytes are the DUID. Rows of kind "port" get no address, only the',
    'filer\'s interface definitions (option 43, vendor class "vsnet").',
    '',
    line(headers),
    ...rows.map(line),
    '',
  ].join('\n');
}
