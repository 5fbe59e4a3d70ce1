import type { DhcpServerRenderer } from '@vsnet/model';
import { buildDhcpPlan } from './dhcp-plan.js';
import { renderKea } from './kea.js';

/**
 * The internal DHCP server's configurations (`cluster.dhcp: internal`): exactly what
 * `vsnet dhcp export --format kea4|kea6` writes, listening on vs_mgmt's interfaces. DHCPv6 only
 * when there is an IPv6 subnet to serve. Pass it as `compileNodeSpec`'s `dhcpServer` option.
 * The model refuses (`dhcp.identifier`) the clusters the plan could not serve.
 */
export const renderInternalDhcpServer: DhcpServerRenderer = (cluster, analysis, interfaces) => {
  const plan = buildDhcpPlan(cluster, analysis, { interfaces });
  return {
    kea4: renderKea(plan, 4),
    kea6: plan.subnets6.length > 0 ? renderKea(plan, 6) : '',
  };
};

/** The compile options every caller of the node spec compiler passes. */
export const NODE_SPEC_OPTIONS = { dhcpServer: renderInternalDhcpServer } as const;
