export type {
  DhcpExportOptions,
  DhcpPlan,
  DhcpSubnet,
  FilerBootstrap,
  Reservation,
} from './dhcp-plan.js';
export { buildDhcpPlan, DhcpExportError, portIdentifier } from './dhcp-plan.js';
export type { AddressPool, DhcpInterface, FirstBootPool, LeaseDatabase } from './server-options.js';
export type { RenderOptions } from './kea.js';
export { identifierDuid, keaBlock, mergeKea, renderKea } from './kea.js';
export { dhcpdBlock, renderDhcpd } from './isc-dhcpd.js';
export { renderDhclient } from './dhclient.js';
export { renderWorksheet, renderWorksheetCsv, WORKSHEET_FIELDS } from './worksheet.js';
export type { BlockSpan } from './snippet.js';
export {
  beginMarker,
  endMarker,
  findBlock,
  mergeBlock,
  SnippetMergeError,
  wrapBlock,
} from './snippet.js';
export type { InterfaceDefinitions, InterfaceStack } from './vendor-options.js';
export {
  decodeInterfaceDefinitions,
  encodeInterfaceDefinitions,
  fromHex,
  interfaceStackOf,
  MAX_OPTION_BYTES,
  toHex,
  VENDOR_ENCAPSULATED_OPTIONS,
  VendorOptionError,
  VSNET_ENCODING_VERSION,
  VSNET_OPTION_SPACE,
  VSNET_SUBOPTIONS,
  VSNET_VENDOR_CLASS,
} from './vendor-options.js';
export { exportDhcp, DHCP_FORMATS } from './export.js';
export type { DhcpFormat, ExportRequest } from './export.js';
export { NODE_SPEC_OPTIONS, renderInternalDhcpServer } from './internal-server.js';
