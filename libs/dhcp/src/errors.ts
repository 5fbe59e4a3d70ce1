/** A cluster that cannot be exported as DHCP configuration as it stands; the message says why. */
export class DhcpExportError extends Error {
  /**
   * @param field the export option at fault, as the ExportDhcp request names it
   *   (`firstBootPools[0].range`), when the fault is in an option rather than the cluster.
   */
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DhcpExportError';
  }
}
