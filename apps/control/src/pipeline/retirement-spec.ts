import { hash as digest } from 'node:crypto';
import type { NodeSpec } from '@vsnet/model';

/**
 * The spec a filer removed from the cluster gets before control forgets it: nothing. Its agent
 * then removes whatever vsnet made there (vsvr namespaces, mgmt#/san# aliases and their
 * addresses, routes, rules; see libs/dataplane/src/ownership.ts), so the vsvrs that moved to
 * other filers do not answer on two, while the physical links it never deletes keep carrying
 * the host's own traffic. Hashed as the spec compiler hashes a spec without vsvrs.
 */
export function retirementSpec(cluster: { name: string; mac: string }, filer: string): NodeSpec {
  const body: Omit<NodeSpec, 'hash'> = {
    specVersion: 1,
    cluster: { name: cluster.name, mac: cluster.mac },
    filer,
    links: [],
    aliases: [],
    addresses: [],
    aliasRoutes: [],
    vsvrs: [],
    mysqlNodes: [],
  };
  return { ...body, hash: digest('sha256', JSON.stringify(body), 'hex') };
}
