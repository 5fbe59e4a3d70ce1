import type { ClusterDocument } from '../document-types.js';
import { formatCidr, parseCidr } from '../ip.js';
import { requireCluster, requireText } from './document-edit.js';
import { EditRefusal } from './edit-refusal.js';
import type { PlannedEdit } from './planned-edit.js';

// Edits of sites (SiteService). The model owns what makes sites valid: subnets without host
// bits, and no subnet overlapping another (`site.overlap`), refused at their document paths
// (`sites[1].subnets[0]`). What the request names is checked here.

/** A site as the document holds it. */
export type SiteDocument = NonNullable<ClusterDocument['sites']>[number];

export interface SiteInput {
  readonly name: string;
  readonly subnets: readonly string[];
}

/** Index of the site named `name` (site names are unique without regard to case). */
export function findSite(document: ClusterDocument, name: string): number {
  const lower = name.toLowerCase();
  return (document.sites ?? []).findIndex((s) => s.name.toLowerCase() === lower);
}

export function createSite(
  current: ClusterDocument | undefined,
  input: SiteInput,
): PlannedEdit<SiteDocument> {
  const document = requireCluster(current);
  const name = requireText(input.name, 'site.name', 'the new site’s name');
  const existing = document.sites?.[findSite(document, name)];
  if (existing !== undefined) {
    throw EditRefusal.field(
      'already-exists',
      'site.name',
      `a site named "${existing.name}" exists (site names are compared without regard to case); choose another name, or update that one`,
      'name.duplicate',
    );
  }
  const site = siteOf(name, input.subnets);
  document.sites = [...(document.sites ?? []), site];
  return { document, target: `site ${name}`, before: '', after: describeSite(site), result: site };
}

/** Replaces the subnets of the site `input.name` names. */
export function updateSite(
  current: ClusterDocument | undefined,
  input: SiteInput,
): PlannedEdit<SiteDocument> {
  const document = requireCluster(current);
  const sites = document.sites ?? [];
  const index = requireSite(
    document,
    requireText(input.name, 'site.name', 'the site to update'),
    'site.name',
  );
  const old = sites[index] as SiteDocument;
  const site = siteOf(old.name, input.subnets);
  document.sites = sites.map((s, i) => (i === index ? site : s));
  return {
    document,
    target: `site ${old.name}`,
    before: describeSite(old),
    after: describeSite(site),
    result: site,
  };
}

export function deleteSite(
  current: ClusterDocument | undefined,
  name: string,
): PlannedEdit<SiteDocument> {
  const document = requireCluster(current);
  const sites = document.sites ?? [];
  const index = requireSite(document, requireText(name, 'name', 'the site to delete'), 'name');
  const site = sites[index] as SiteDocument;
  document.sites = sites.filter((_, i) => i !== index);
  if (document.sites.length === 0) {
    delete document.sites;
  }
  return {
    document,
    target: `site ${site.name}`,
    before: describeSite(site),
    after: '',
    result: site,
  };
}

/** One line for audit rows: `hq: 192.0.2.0/24, 2001:db8:1::/48`. */
export function describeSite(site: SiteDocument): string {
  return `${site.name}: ${site.subnets.join(', ')}`;
}

function requireSite(document: ClusterDocument, name: string, field: string): number {
  const index = findSite(document, name);
  if (index < 0) {
    const known = (document.sites ?? []).map((s) => s.name);
    throw EditRefusal.field(
      'not-found',
      field,
      `no site is named "${name}"; the cluster has: ${known.length === 0 ? '(none defined)' : known.join(', ')}`,
      'site.unknown',
    );
  }
  return index;
}

/**
 * The site with its subnets in canonical form where they parse (what does not parse is kept
 * as written, for the model to refuse at its path). A site without subnets says nothing.
 */
function siteOf(name: string, subnets: readonly string[]): SiteDocument {
  if (subnets.length === 0) {
    throw EditRefusal.field(
      'invalid-argument',
      'site.subnets',
      'a site needs at least one subnet, e.g. 192.0.2.0/24',
      'site.invalid',
    );
  }
  return {
    name,
    subnets: subnets.map((s) => {
      const subnet = parseCidr(s);
      return subnet.ok ? formatCidr(subnet.value) : s;
    }),
  };
}
