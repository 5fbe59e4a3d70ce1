import type { Site } from './cluster.js';
import type { Cidr } from './ip.js';
import { contains, formatCidr, overlaps } from './ip.js';
import { objectNameProblem } from './names.js';
import type { ProblemList } from './problems.js';

/** Sites (§3.1.3): named sets of subnets. No two subnets overlap, so an address has at most one site. */
export interface SiteIndex {
  siteOf(address: Pick<Cidr, 'family' | 'value'>): string | undefined;
}

export function indexSites(sites: readonly Site[], problems: ProblemList): SiteIndex {
  const names = new Map<string, Site>();
  const accepted: { site: string; subnet: Cidr; at: readonly (string | number)[] }[] = [];
  for (const site of sites) {
    const bad = objectNameProblem('site', site.name);
    if (bad) {
      problems.error('name.invalid', [...site.at, 'name'], bad.reason, bad.hint);
    }
    const key = site.name.toLowerCase();
    const first = names.get(key);
    if (first) {
      problems.error(
        'name.duplicate',
        [...site.at, 'name'],
        `site ${site.name} is defined twice`,
        'merge the two site entries',
      );
      continue;
    }
    names.set(key, site);
    site.subnets.forEach((subnet, i) => {
      const clash = accepted.find((a) => overlaps(a.subnet, subnet));
      if (clash) {
        problems.error(
          'site.overlap',
          [...site.at, 'subnets', i],
          `${formatCidr(subnet)} of site ${site.name} overlaps ${formatCidr(clash.subnet)} of site ${clash.site}`,
          'an address must resolve to at most one site: make the subnets disjoint',
        );
        return;
      }
      accepted.push({ site: site.name, subnet, at: [...site.at, 'subnets', i] });
    });
  }
  // Longest prefix first is not needed (no overlaps), but a stable order keeps lookups cheap.
  return {
    siteOf(address) {
      return accepted.find((a) => contains(a.subnet, address))?.site;
    },
  };
}
