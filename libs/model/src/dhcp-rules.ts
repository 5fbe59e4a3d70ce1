import type { Cluster } from './cluster.js';
import type { Cidr } from './ip.js';
import { MGMT_VSVR } from './names.js';
import type { Path, ProblemList } from './problems.js';
import type { Placement } from './spec-types.js';

/**
 * The rules `cluster.dhcp: internal` adds (§5.6): the cluster's own server must be able to
 * serve every address, and someone must run it.
 *
 * - A DHCP server hands one address of a family to one client identifier, and a filer's or
 *   MySQL node's identifier names the alias, not the address (§5.2.6.3): two IPv4 (or two IPv6)
 *   addresses of one owner on one alias cannot both be served. (vsvr identifiers carry the
 *   instance, which `address.instance` already keeps unique.)
 * - The server runs where vs_mgmt is active; without a vs_mgmt that can run anywhere, nothing
 *   serves DHCP (a warning: the cluster works, its DHCP clients do not).
 */
export function checkInternalDhcp(
  cluster: Cluster,
  placements: ReadonlyMap<string, Placement>,
  problems: ProblemList,
): void {
  if (cluster.dhcp !== 'internal') {
    return;
  }
  for (const f of cluster.filers) {
    sharedIdentifiers(`filer ${f.name}`, f.addresses, problems);
  }
  for (const n of cluster.mysqlNodes) {
    sharedIdentifiers(`MySQL node ${n.role}`, n.addresses, problems);
  }
  const mgmt = [...placements.values()].find((p) => p.vsvr.toLowerCase() === MGMT_VSVR);
  if (mgmt?.runsOn[0] === undefined) {
    problems.warning(
      'dhcp.no-server',
      ['cluster', 'dhcp'],
      mgmt === undefined
        ? `the internal DHCP server runs where ${MGMT_VSVR} runs, and the cluster has no ${MGMT_VSVR}`
        : `the internal DHCP server runs where ${MGMT_VSVR} runs, and no filer can run ${MGMT_VSVR}`,
      `give the cluster a ${MGMT_VSVR} that a filer can run, or set dhcp: external`,
    );
  }
}

function sharedIdentifiers(
  owner: string,
  addresses: readonly { readonly alias: string; readonly address: Cidr; readonly at: Path }[],
  problems: ProblemList,
): void {
  const first = new Map<string, Cidr>();
  for (const a of addresses) {
    const key = `${a.alias}|${a.address.family}`;
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, a.address);
      continue;
    }
    problems.error(
      'dhcp.identifier',
      [...a.at, 'address'],
      `${owner} has a second IPv${a.address.family} address on ${a.alias}, and the internal DHCP server gives one IPv${a.address.family} address per identifier`,
      `keep one IPv${a.address.family} address of ${owner} on ${a.alias}, or set cluster.dhcp: external`,
    );
  }
}
