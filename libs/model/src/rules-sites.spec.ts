import { describe, expect, it } from '@jest/globals';
import { addressTable } from './index.js';
import { check } from './testing/analyze-document.js';
import { clusterDoc, filerDoc, vsvrDoc } from './testing/documents.js';
import type { Refusal } from './testing/rules-fixtures.js';
import { FILER1_MGMT, withSites, odd, expectRefusal, onData0 } from './testing/rules-fixtures.js';

describe('sites (§3.1.3)', () => {
  it.each<Refusal>([
    {
      title: 'overlapping subnets in two sites',
      doc: withSites(
        { name: 'east', subnets: ['10.0.0.0/8'] },
        { name: 'west', subnets: ['10.2.0.0/16'] },
      ),
      code: 'site.overlap',
      path: ['sites', 1, 'subnets', 0],
      mentions: ['10.2.0.0/16', 'west', '10.0.0.0/8', 'east'],
    },
    {
      title: 'overlapping subnets within one site',
      doc: withSites({ name: 'east', subnets: ['10.0.0.0/16', '10.0.128.0/17'] }),
      code: 'site.overlap',
      path: ['sites', 0, 'subnets', 1],
      mentions: ['10.0.128.0/17', '10.0.0.0/16', 'east'],
    },
    {
      title: 'one subnet in two sites',
      doc: withSites(
        { name: 'east', subnets: ['10.0.0.0/16'] },
        { name: 'west', subnets: ['10.0.0.0/16'] },
      ),
      code: 'site.overlap',
      path: ['sites', 1, 'subnets', 0],
      mentions: ['10.0.0.0/16', 'west', 'east'],
    },
    {
      title: 'overlapping IPv6 subnets in two sites',
      doc: withSites(
        { name: 'east', subnets: ['2001:db8::/32'] },
        { name: 'west', subnets: ['2001:DB8:1::/48'] },
      ),
      code: 'site.overlap',
      path: ['sites', 1, 'subnets', 0],
      mentions: ['2001:db8:1::/48', '2001:db8::/32'],
    },
    {
      title: 'a subnet with host bits set',
      doc: withSites({ name: 'east', subnets: ['10.0.0.1/16'] }),
      code: 'address.invalid',
      path: ['sites', 0, 'subnets', 0],
      mentions: ['10.0.0.1/16', 'host bits'],
      hint: /10\.0\.0\.0\/16/,
    },
    {
      title: 'an IPv6 subnet with host bits set',
      doc: withSites({ name: 'east', subnets: ['2001:db8::1/64'] }),
      code: 'address.invalid',
      path: ['sites', 0, 'subnets', 0],
      mentions: ['2001:db8::1/64', 'host bits'],
      hint: /2001:db8::\/64/,
    },
    {
      title: 'a subnet without a prefix length',
      doc: withSites({ name: 'east', subnets: ['10.0.0.0'] }),
      code: 'address.invalid',
      path: ['sites', 0, 'subnets', 0],
      mentions: ['10.0.0.0', 'prefix'],
    },
    {
      title: 'a subnet that is not text',
      doc: withSites(odd({ name: 'east', subnets: [42] })),
      code: 'site.invalid',
      path: ['sites', 0, 'subnets', 0],
      mentions: ['subnet'],
    },
    {
      title: 'one site name twice, in different case',
      doc: withSites(
        { name: 'east', subnets: ['10.0.0.0/16'] },
        { name: 'EAST', subnets: ['10.1.0.0/16'] },
      ),
      code: 'name.duplicate',
      path: ['sites', 1, 'name'],
      mentions: ['EAST'],
    },
    {
      title: 'a site name with a space',
      doc: withSites({ name: 'east side', subnets: ['10.0.0.0/16'] }),
      code: 'name.invalid',
      path: ['sites', 0, 'name'],
      mentions: ['east side'],
    },
  ])('refuses $title', (c) => expectRefusal(c));

  it('accepts adjacent and mixed-family subnets', () => {
    const doc = withSites(
      { name: 'east', subnets: ['192.0.2.0/25', '2001:db8:1::/48'] },
      { name: 'west', subnets: ['192.0.2.128/25', '2001:db8:2::/48', '198.51.100.0/24'] },
    );
    expect(check(doc).problems).toEqual([]);
  });

  it('resolves each address to its site, and an address outside every site to none', () => {
    const doc = clusterDoc({
      sites: [
        { name: 'east', subnets: ['192.0.2.0/25', '2001:db8:1::/48'] },
        { name: 'west', subnets: ['192.0.2.128/25', '198.51.100.0/24'] },
      ],
      filers: [
        filerDoc('filer1', { addresses: [{ ...FILER1_MGMT }] }),
        filerDoc('filer2', { addresses: [{ alias: 'mgmt0', address: '192.0.2.130/24' }] }),
      ],
      vsvrs: [
        vsvrDoc('vs1', {
          addresses: [
            onData0('198.51.100.10/24'),
            onData0('203.0.113.10/24'),
            onData0('2001:db8:1::10/64'),
          ],
        }),
      ],
    });
    const { cluster, analysis, problems } = check(doc);
    expect(problems).toEqual([]);
    const sites = Object.fromEntries(
      addressTable(cluster, analysis).map((r) => [r.address, r.site ?? null]),
    );
    expect(sites).toEqual({
      '198.51.100.10/24': 'west',
      '203.0.113.10/24': null,
      '2001:db8:1::10/64': 'east',
      '192.0.2.11/24': 'east',
      '192.0.2.130/24': 'west',
    });
  });
});
