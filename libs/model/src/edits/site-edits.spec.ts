import { describe, expect, it } from '@jest/globals';
import type { ClusterDocument } from '../document-types.js';
import { check } from '../testing/analyze-document.js';
import { clusterDoc } from '../testing/documents.js';
import { expectRefused, refusalOf, verdictOf } from '../testing/edit-refusals.js';
import { createSite, deleteSite, updateSite } from './site-edits.js';

/** hq holds the fixture's addresses; branch a subnet of its own. */
function sited(): ClusterDocument {
  return clusterDoc({
    sites: [
      { name: 'hq', subnets: ['192.0.2.0/24', '198.51.100.0/24'] },
      { name: 'branch', subnets: ['203.0.113.0/24'] },
    ],
  });
}

describe('the fixture', () => {
  it('is a valid cluster whose addresses resolve to hq', () => {
    const { errors, cluster, analysis } = check(sited());
    expect(errors).toEqual([]);
    expect(cluster.sites.map((s) => s.name)).toEqual(['hq', 'branch']);
    expect(analysis.problems).toEqual([]);
  });
});

describe('createSite', () => {
  it('adds the site with canonical subnets, which the model accepts, leaving its input alone', () => {
    const current = sited();
    const planned = createSite(current, {
      name: 'lab',
      subnets: ['198.18.0.0/15', '2001:DB8:0:0::/32'],
    });
    expect(planned.result).toEqual({ name: 'lab', subnets: ['198.18.0.0/15', '2001:db8::/32'] });
    expect(planned.document.sites?.map((s) => s.name)).toEqual(['hq', 'branch', 'lab']);
    expect(planned.target).toBe('site lab');
    expect(verdictOf(planned)).toBeUndefined();
    expect(current).toEqual(sited());
  });

  it('refuses an uninitialized cluster', () => {
    const refusal = refusalOf(() =>
      createSite(undefined, { name: 'lab', subnets: ['198.18.0.0/15'] }),
    );
    expectRefused(refusal, 'failed-precondition', 'cluster', 'cluster.uninitialized');
  });

  it('refuses an empty name and an empty list of subnets', () => {
    const noName = refusalOf(() => createSite(sited(), { name: '', subnets: ['198.18.0.0/15'] }));
    expectRefused(noName, 'invalid-argument', 'site.name');
    const noSubnets = refusalOf(() => createSite(sited(), { name: 'lab', subnets: [] }));
    expectRefused(noSubnets, 'invalid-argument', 'site.subnets');
  });

  it('refuses a name that exists in another case', () => {
    const refusal = refusalOf(() =>
      createSite(sited(), { name: 'HQ', subnets: ['198.18.0.0/15'] }),
    );
    expectRefused(refusal, 'already-exists', 'site.name', 'name.duplicate');
  });

  it('leaves a subnet overlapping another site’s to the model: site.overlap', () => {
    const planned = createSite(sited(), {
      name: 'lab',
      subnets: ['198.18.0.0/15', '203.0.113.128/25'],
    });
    expectRefused(verdictOf(planned), 'failed-precondition', 'sites[2].subnets[1]', 'site.overlap');
  });

  it.each(['203.0.113.0', '198.18.0.1/15', 'not-a-subnet'])(
    'leaves the malformed subnet %j to the model, at its document path',
    (subnet) => {
      const planned = createSite(sited(), { name: 'lab', subnets: [subnet] });
      expectRefused(verdictOf(planned), 'invalid-argument', 'sites[2].subnets[0]');
    },
  );
});

describe('updateSite', () => {
  it('replaces the subnets, keeping the name as stored', () => {
    const planned = updateSite(sited(), { name: 'BRANCH', subnets: ['203.0.113.0/25'] });
    expect(planned.result).toEqual({ name: 'branch', subnets: ['203.0.113.0/25'] });
    expect(planned.before).toBe('branch: 203.0.113.0/24');
    expect(verdictOf(planned)).toBeUndefined();
  });

  it('refuses an unknown site, naming the sites there are', () => {
    const refusal = refusalOf(() =>
      updateSite(sited(), { name: 'lab', subnets: ['198.18.0.0/15'] }),
    );
    expectRefused(refusal, 'not-found', 'site.name', 'site.unknown');
    expect(refusal.message).toContain('hq, branch');
  });

  it('refuses an empty list of subnets', () => {
    const refusal = refusalOf(() => updateSite(sited(), { name: 'hq', subnets: [] }));
    expectRefused(refusal, 'invalid-argument', 'site.subnets');
  });

  it('leaves an overlap with another site to the model', () => {
    const planned = updateSite(sited(), { name: 'branch', subnets: ['192.0.2.128/25'] });
    expectRefused(verdictOf(planned), 'failed-precondition', 'sites[1].subnets[0]', 'site.overlap');
  });
});

describe('deleteSite', () => {
  it('deletes the site; the last one takes the list with it', () => {
    const planned = deleteSite(sited(), 'Branch');
    expect(planned.document.sites?.map((s) => s.name)).toEqual(['hq']);
    expect(planned.after).toBe('');
    const last = deleteSite(planned.document, 'hq');
    expect(last.document).not.toHaveProperty('sites');
    expect(verdictOf(last)).toBeUndefined();
  });

  it('refuses an unknown site', () => {
    expectRefused(
      refusalOf(() => deleteSite(sited(), 'lab')),
      'not-found',
      'name',
      'site.unknown',
    );
  });
});
