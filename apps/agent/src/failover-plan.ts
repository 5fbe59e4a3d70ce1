import type { ObservedState } from '@vsnet/dataplane';
import type { NodeSpec } from '@vsnet/model';

// Pure helpers of the agent's failover paths (reconciler.service.ts): what a takeover plans,
// and which vsvrs the kernel runs.

/** The full names of the namespaces of `vsvrs` (the agent's prefix put before each). */
export function vsvrScope(
  spec: NodeSpec,
  vsvrs: ReadonlySet<string>,
  namespacePrefix: string,
): Set<string> {
  return new Set(
    spec.vsvrs.filter((v) => vsvrs.has(v.name)).map((v) => namespacePrefix + v.namespace),
  );
}

/**
 * `spec` cut to the vsvrs named: no filer links, aliases (but the data aliases a vsvr's VLAN
 * sits on), addresses or routes. A takeover plans it against a read of those vsvrs'
 * namespaces alone, so it never reads, plans or touches anything else.
 */
export function scopedSpec(spec: NodeSpec, vsvrs: ReadonlySet<string>): NodeSpec {
  return {
    specVersion: spec.specVersion,
    cluster: spec.cluster,
    filer: spec.filer,
    hash: spec.hash,
    links: [],
    aliases: spec.aliases.filter((a) => a.kind === 'data'),
    addresses: [],
    aliasRoutes: [],
    mysqlNodes: [],
    vsvrs: spec.vsvrs.filter((v) => vsvrs.has(v.name)),
  };
}

/**
 * The vsvrs of `spec` that the kernel runs: their namespace exists and one of their own links
 * is up. A standby copy has its links down; a fenced vsvr too; a rebooted filer has none.
 */
export function runningVsvrs(
  spec: NodeSpec,
  observed: ObservedState,
  namespacePrefix: string,
): Set<string> {
  const up = new Set(observed.links.filter((l) => l.up && l.name !== 'lo').map((l) => l.namespace));
  const present = new Set(observed.namespaces);
  return new Set(
    spec.vsvrs
      .filter((v) => {
        const ns = namespacePrefix + v.namespace;
        return present.has(ns) && up.has(ns);
      })
      .map((v) => v.name),
  );
}
