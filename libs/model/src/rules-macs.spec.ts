import { describe, expect, it } from '@jest/globals';
import { addressTable } from './index.js';
import { check } from './testing/analyze-document.js';
import { TEST_CLUSTER_MAC, clusterDoc } from './testing/documents.js';
import type { Refusal } from './testing/rules-fixtures.js';
import {
  base,
  filer1With,
  withMacs,
  odd,
  expectRefusal,
  ifaces,
} from './testing/rules-fixtures.js';

describe('MAC addresses (§5.2.4)', () => {
  it.each([TEST_CLUSTER_MAC, '00-07-34-04-12-0E', '0007.3404.120E', '00:07:34:04:12:0e'])(
    'stores the cluster MAC %s in lower case and starts every identifier with it',
    (mac) => {
      const { cluster, analysis, problems } = check(clusterDoc({ cluster: { name: 'test', mac } }));
      expect(problems).toEqual([]);
      expect(cluster.mac).toBe('00:07:34:04:12:0e');
      const identifiers = addressTable(cluster, analysis).map((r) => r.identifier);
      expect(identifiers).toHaveLength(3);
      for (const id of identifiers) {
        expect(id.startsWith('00:07:34:04:12:0e:')).toBe(true);
      }
    },
  );

  it.each<Refusal>([
    {
      title: 'a cluster MAC of five octets',
      doc: clusterDoc({ cluster: { name: 'test', mac: '00:07:34:04:12' } }),
      code: 'mac.invalid',
      path: ['cluster', 'mac'],
      mentions: ['00:07:34:04:12'],
    },
    {
      title: 'a cluster MAC that is not hex',
      doc: clusterDoc({ cluster: { name: 'test', mac: '00:07:34:04:12:0g' } }),
      code: 'mac.invalid',
      path: ['cluster', 'mac'],
      mentions: ['00:07:34:04:12:0g'],
    },
    {
      title: 'a multicast cluster MAC',
      doc: clusterDoc({ cluster: { name: 'test', mac: '01:00:5E:00:00:01' } }),
      code: 'mac.invalid',
      path: ['cluster', 'mac'],
      mentions: ['01:00:5e:00:00:01', 'multicast'],
    },
    {
      title: 'the broadcast MAC as cluster MAC',
      doc: clusterDoc({ cluster: { name: 'test', mac: 'ff:ff:ff:ff:ff:ff' } }),
      code: 'mac.invalid',
      path: ['cluster', 'mac'],
      mentions: ['multicast'],
    },
    {
      title: 'an all-zero cluster MAC',
      doc: clusterDoc({ cluster: { name: 'test', mac: '00:00:00:00:00:00' } }),
      code: 'mac.invalid',
      path: ['cluster', 'mac'],
      mentions: ['zeros'],
    },
    {
      title: 'no cluster MAC',
      doc: clusterDoc({ cluster: odd({ name: 'test' }) }),
      code: 'document.shape',
      path: ['cluster', 'mac'],
      mentions: ['mac'],
    },
    {
      title: 'one physical MAC on two filers, written two ways',
      doc: withMacs('52:54:00:00:00:01', '52-54-00-00-00-01'),
      code: 'mac.duplicate',
      path: ['filers', 1, 'interfaces', 0, 'mac'],
      mentions: ['52:54:00:00:00:01', 'filer1', 'filer2'],
    },
    {
      title: 'one physical MAC on two interfaces of a filer',
      doc: filer1With([
        { name: 'eth0', mac: '52:54:00:00:00:0a' },
        { name: 'eth1', mac: '5254.0000.000A' },
        ...base().slice(2),
      ]),
      code: 'mac.duplicate',
      path: ifaces(1, 'mac'),
      mentions: ['52:54:00:00:00:0a', 'eth0', 'eth1'],
    },
    {
      title: 'a physical MAC equal to the cluster MAC',
      doc: withMacs('0007.3404.120e', '52:54:00:00:00:02'),
      code: 'mac.duplicate',
      path: ['filers', 0, 'interfaces', 0, 'mac'],
      mentions: ['00:07:34:04:12:0e', 'cluster MAC'],
    },
    {
      title: 'a physical MAC that is not a MAC',
      doc: withMacs('52:54:00:00:00', '52:54:00:00:00:02'),
      code: 'mac.invalid',
      path: ['filers', 0, 'interfaces', 0, 'mac'],
      mentions: ['eth0', '52:54:00:00:00'],
    },
    {
      title: 'a multicast physical MAC',
      doc: withMacs('33:33:00:00:00:01', '52:54:00:00:00:02'),
      code: 'mac.invalid',
      path: ['filers', 0, 'interfaces', 0, 'mac'],
      mentions: ['eth0', 'multicast'],
    },
  ])('refuses $title', (c) => expectRefusal(c));

  it('accepts distinct physical MACs and stores them lower case', () => {
    const { cluster, problems } = check(withMacs('52:54:00:00:00:0A', '5254.0000.000b'));
    expect(problems).toEqual([]);
    expect(cluster.filers.map((f) => f.interfaces[0]?.mac)).toEqual([
      '52:54:00:00:00:0a',
      '52:54:00:00:00:0b',
    ]);
  });
});
