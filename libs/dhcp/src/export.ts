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
