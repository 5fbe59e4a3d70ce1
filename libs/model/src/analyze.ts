import { checkAddresses } from './addresses.js';
import type { Cluster, Vsvr } from './cluster.js';
import type { FilerIndex } from './hierarchy.js';
import { checkInternalDhcp } from './dhcp-rules.js';
import { describeStack, indexFiler, vlanStack } from './hierarchy.js';
import { objectNameProblem } from './names.js';
import { placeVsvrs } from './placement.js';
import type { Problem } from './problems.js';
import { ProblemList } from './problems.js';
import type { RoutingResult } from './routing.js';
import { RoutingResolver } from './routing.js';
import type { SiteIndex } from './sites.js';
import { indexSites } from './sites.js';
import type { Placement } from './spec-types.js';

/** Everything the model knows about a cluster after checking it; the compiler reads from it. */
export interface ClusterAnalysis {
  readonly problems: readonly Problem[];
  readonly errorCount: number;
  readonly warningCount: number;
  /** By vsvr name, in document order. */
  readonly placements: ReadonlyMap<string, Placement>;
  /** By filer name in lower case. */
  readonly filers: ReadonlyMap<string, FilerIndex>;
  readonly routing: RoutingResult;
  readonly sites: SiteIndex;
  /** By vsvr name as written. */
  readonly vsvrs: ReadonlyMap<string, Vsvr>;
}

const MYSQL_ROLE = /^MySQL(MgmtNode|DataNode[1-9]\d*|AppNode[1-9]\d*)$/;

/** Checks a whole cluster against every rule of the model and indexes it for compilation. */
export function analyzeCluster(cluster: Cluster): ClusterAnalysis {
  const problems = new ProblemList();
  const filers = new Map<string, FilerIndex>();
  for (const f of cluster.filers) {
    const bad = objectNameProblem('filer', f.name);
    if (bad) {
      problems.error('name.invalid', [...f.at, 'name'], bad.reason, bad.hint);
    }
    const key = f.name.toLowerCase();
    if (filers.has(key)) {
      problems.error(
        'name.duplicate',
        [...f.at, 'name'],
        `filer ${f.name} is defined twice (names ignore case)`,
        'rename or remove one of them',
      );
      continue;
    }
    filers.set(key, indexFiler(f, problems));
  }
  checkMacs(cluster, problems);
  checkStacks(filers, problems);
  checkAddresses(cluster, filers, problems);
  const sites = indexSites(cluster.sites, problems);
  const placements = placeVsvrs(cluster, filers, problems);
  checkMysqlRoles(cluster, problems);
  checkInternalDhcp(cluster, placements, problems);
  const routing = new RoutingResolver(cluster, problems).resolveAll(filers);
  const errorCount = problems.errorCount;
  return {
    problems: problems.items,
    errorCount,
    warningCount: problems.items.length - errorCount,
    placements,
    filers,
    routing,
    sites,
    vsvrs: new Map(cluster.vsvrs.map((v) => [v.name, v])),
  };
}

/** Physical MACs are unique in the cluster, and none is the cluster MAC (§5.2.4). */
function checkMacs(cluster: Cluster, problems: ProblemList): void {
  const seen = new Map<string, string>([[cluster.mac, 'the cluster MAC']]);
  for (const f of cluster.filers) {
    for (const i of f.interfaces) {
      if (i.mac === undefined) {
        continue;
      }
      const first = seen.get(i.mac);
      if (first !== undefined) {
        problems.error(
          'mac.duplicate',
          [...i.at, 'mac'],
          `${i.mac} of ${i.name} on ${f.name} is also ${first}`,
          'every physical interface has its own MAC; check the label of the port',
        );
      } else {
        seen.set(i.mac, `${i.name} on ${f.name}`);
      }
    }
  }
}

/**
 * §5.7 and §5.2.2: a bond or failover interface should not span VLANs, and an alias name means
 * the same connectivity on every filer: the same VLAN tags.
 */
function checkStacks(filers: ReadonlyMap<string, FilerIndex>, problems: ProblemList): void {
  const byAlias = new Map<string, { filer: string; stack: string }>();
  for (const index of filers.values()) {
    for (const i of index.byName.values()) {
      if ((i.kind === 'bond' || i.kind === 'failover') && i.members.length > 1) {
        const stacks = new Set(
          i.members
            .filter((m) => index.byName.has(m))
            .map((m) => describeStack(vlanStack(index, m))),
        );
        if (stacks.size > 1) {
          problems.warning(
            'interface.vlan',
            [...i.at, 'members'],
            `${i.name} on ${index.filer.name} spans different VLANs (${[...stacks].join(', ')})`,
            'build it of members on the same VLAN',
          );
        }
      }
      if (i.baseKind !== 'data') {
        continue;
      }
      const stack = describeStack(vlanStack(index, i.name));
      const first = byAlias.get(i.name);
      if (!first) {
        byAlias.set(i.name, { filer: index.filer.name, stack });
      } else if (first.stack !== stack) {
        problems.warning(
          'interface.vlan',
          [...i.at, 'name'],
          `${i.name} is ${stack} on ${index.filer.name} but ${first.stack} on ${first.filer}; the same alias name must mean the same VLAN membership`,
          `put ${i.name} on the same VLAN on every filer, or use another data# instance`,
        );
      }
    }
  }
}

function checkMysqlRoles(cluster: Cluster, problems: ProblemList): void {
  const seen = new Set<string>();
  for (const n of cluster.mysqlNodes) {
    if (!MYSQL_ROLE.test(n.role)) {
      problems.error(
        'name.invalid',
        [...n.at, 'role'],
        `"${n.role}" is not a MySQL node role`,
        'use MySQLMgmtNode, MySQLDataNode<n> or MySQLAppNode<n> (§5.11)',
      );
    }
    const key = n.role.toLowerCase();
    if (seen.has(key)) {
      problems.error(
        'name.duplicate',
        [...n.at, 'role'],
        `MySQL node role ${n.role} is listed twice`,
        'merge its addresses into one entry',
      );
    }
    seen.add(key);
  }
}
