import type { DhcpPlan } from './dhcp-plan.js';
import { DhcpExportError } from './dhcp-plan.js';
import { renderDhclient } from './dhclient.js';
import { dhcpdBlock, renderDhcpd } from './isc-dhcpd.js';
import { mergeKea, renderKea } from './kea.js';
import { mergeBlock } from './snippet.js';
import { renderWorksheet, renderWorksheetCsv } from './worksheet.js';

export const DHCP_FORMATS = [
  'kea4',
  'kea6',
  'dhcpd',
  'dhcpd6',
  'dhclient',
  'worksheet-csv',
  'worksheet',
] as const;
export type DhcpFormat = (typeof DHCP_FORMATS)[number];

export interface ExportRequest {
  readonly format: DhcpFormat;
  /** dhclient: the filer whose client configuration to write. */
  readonly filer?: string;
  /** Only vsnet's block (server and client formats). */
  readonly snippet?: boolean;
  /** An existing file to put vsnet's block into; the result is that file, changed only there. */
  readonly mergeInto?: { readonly name: string; readonly text: string };
}

/**
 * One export, as `vsnet dhcp export` runs it: the format's text, or the merged file. Merging
 * always uses the snippet's block: a server someone else runs declares its own subnets.
 */
export function exportDhcp(plan: DhcpPlan, request: ExportRequest): string {
  const { format, filer, mergeInto } = request;
  if (format === 'dhclient' && filer === undefined) {
    const known = plan.filers.map((f) => f.filer).join(', ') || '(none)';
    throw new DhcpExportError(
      `a dhclient configuration is per filer; pass --filer with one of: ${known}`,
    );
  }
  if (format !== 'dhclient' && filer !== undefined) {
    throw new DhcpExportError(
      `--filer applies to --format dhclient only; leave it out for ${format}`,
    );
  }
  const isWorksheet = format === 'worksheet' || format === 'worksheet-csv';
  if (isWorksheet && (mergeInto !== undefined || request.snippet === true)) {
    throw new DhcpExportError(
      `a worksheet is a document of its own: --snippet and --merge-into apply to kea4, kea6, dhcpd, dhcpd6 and dhclient`,
    );
  }
  const snippet = request.snippet === true || mergeInto !== undefined;
  refuseDroppedOptions(plan, format, snippet);
  const cluster = plan.cluster.name;
  switch (format) {
    case 'kea4':
    case 'kea6': {
      const family = format === 'kea4' ? 4 : 6;
      return mergeInto !== undefined
        ? mergeKea(mergeInto.text, plan, family, mergeInto.name)
        : renderKea(plan, family, { snippet });
    }
    case 'dhcpd':
    case 'dhcpd6': {
      const family = format === 'dhcpd' ? 4 : 6;
      return mergeInto !== undefined
        ? mergeBlock(mergeInto.text, dhcpdBlock(plan, family, false), cluster, mergeInto.name)
        : renderDhcpd(plan, family, { snippet });
    }
    case 'dhclient': {
      const text = renderDhclient(plan, filer ?? '', { snippet });
      return mergeInto !== undefined
        ? mergeBlock(mergeInto.text, text, cluster, mergeInto.name)
        : text;
    }
    case 'worksheet-csv':
      return renderWorksheetCsv(plan);
    case 'worksheet':
      return renderWorksheet(plan);
  }
}

/**
 * Refuses the server options a format would silently leave out, so an administrator never
 * believes a pool or lease file is configured when it is not. IPv4 pools are left out of the
 * IPv6 formats without complaint: one set of options serves both exports.
 */
function refuseDroppedOptions(plan: DhcpPlan, format: DhcpFormat, snippet: boolean): void {
  const server =
    format === 'kea4' || format === 'kea6' || format === 'dhcpd' || format === 'dhcpd6';
  if (!server) {
    const subnets = [...plan.subnets4, ...plan.subnets6];
    const option =
      plan.interfaces.length > 0
        ? 'interfaces'
        : subnets.some((s) => s.pools.length > 0)
          ? 'firstBootPools'
          : plan.leaseDatabase !== undefined
            ? 'leaseDatabase'
            : undefined;
    if (option !== undefined) {
      throw new DhcpExportError(
        `interfaces, first-boot pools and the lease file configure a DHCP server; leave them out for ${format}`,
        option,
      );
    }
    return;
  }
  if (plan.leaseDatabase !== undefined && (snippet || format === 'dhcpd' || format === 'dhcpd6')) {
    throw new DhcpExportError(
      format.startsWith('dhcpd')
        ? 'dhcpd takes its lease file on its command line (dhcpd -lf FILE); leave the lease file out for dhcpd'
        : 'the lease file belongs to a full Kea configuration, and the server a snippet goes into has its own; leave it out with a snippet',
      'leaseDatabase',
    );
  }
  if (snippet && format === 'dhcpd' && plan.subnets4.some((s) => s.pools.length > 0)) {
    throw new DhcpExportError(
      'a dhcpd snippet leaves the subnet declarations, where a range goes, to the server it goes into; add the range there, or export the full configuration',
      'firstBootPools',
    );
  }
}
