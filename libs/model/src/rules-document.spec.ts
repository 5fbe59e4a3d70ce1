import { describe, expect, it } from '@jest/globals';
import type { ClusterDocument, InterfaceDocument } from './document-types.js';
import { analyzeCluster, decodeClusterDocument } from './index.js';
import { check } from './testing/analyze-document.js';
import { clusterDoc, filerDoc, vsvrDoc } from './testing/documents.js';
import type { Refusal } from './testing/rules-fixtures.js';
import {
  FILER1_MGMT,
  FILER2_MGMT,
  base,
  withVsvrs,
  odd,
  expectRefusal,
  f1,
} from './testing/rules-fixtures.js';

describe('names of filers and vsvrs', () => {
  it.each<Refusal>([
    {
      title: 'a filer name with a space',
      doc: clusterDoc({
        filers: [filerDoc('filer 1', { addresses: [{ ...FILER1_MGMT }] })],
        vsvrs: [],
      }),
      code: 'name.invalid',
      path: ['filers', 0, 'name'],
      mentions: ['filer 1'],
    },
    {
      title: 'one filer name twice, in different case',
      doc: clusterDoc({
        filers: [filerDoc('filer1', { addresses: [{ ...FILER1_MGMT }] }), filerDoc('FILER1')],
        vsvrs: [],
      }),
      code: 'name.duplicate',
      path: ['filers', 1, 'name'],
      mentions: ['FILER1'],
    },
    ...['VS_MGMT', 'vs_mgmt2', 'Vs_Mgmt_backup'].map((name): Refusal => ({
      title: `the vsvr name ${name} (reserved)`,
      doc: withVsvrs(vsvrDoc(name)),
      code: 'name.reserved',
      path: ['vsvrs', 0, 'name'],
      mentions: [name, 'vs_mgmt'],
    })),
  ])('refuses $title', (c) => expectRefusal(c));

  it.each(['vs_mgmt', 'vsmgmt'])('accepts the vsvr name %s', (name) => {
    expect(check(withVsvrs(vsvrDoc(name))).problems).toEqual([]);
  });
});

describe('document shape', () => {
  const without = (key: keyof ClusterDocument): unknown => {
    const doc: Partial<ClusterDocument> = clusterDoc();
    delete doc[key];
    return doc;
  };

  it.each<Refusal>([
    ...[[], 'apiVersion: vsnet/v1', null, 42].map((doc): Refusal => ({
      title: `a document that is ${JSON.stringify(doc)}, not a mapping`,
      doc,
      code: 'document.shape',
      path: [],
      mentions: ['mapping'],
    })),
    {
      title: 'a document without apiVersion',
      doc: without('apiVersion'),
      code: 'document.shape',
      path: ['apiVersion'],
      mentions: ['apiVersion'],
    },
    {
      title: 'another apiVersion',
      doc: { ...clusterDoc(), apiVersion: 'vsnet/v2' },
      code: 'document.shape',
      path: ['apiVersion'],
      mentions: ['vsnet/v2'],
      hint: /vsnet\/v1/,
    },
    {
      title: 'the wrong kind',
      doc: { ...clusterDoc(), kind: 'Filer' },
      code: 'document.shape',
      path: ['kind'],
      mentions: ['Filer'],
      hint: /Cluster/,
    },
    {
      title: 'a document without cluster',
      doc: without('cluster'),
      code: 'document.shape',
      path: ['cluster'],
      mentions: ['cluster'],
    },
    {
      title: 'a document without filers',
      doc: without('filers'),
      code: 'document.shape',
      path: ['filers'],
      mentions: ['filers'],
    },
    {
      title: 'filers that are not a list',
      doc: { ...clusterDoc(), filers: { name: 'filer1' } },
      code: 'document.shape',
      path: ['filers'],
      mentions: ['filers', 'list'],
    },
    {
      title: 'a filer that is not a mapping',
      doc: { ...clusterDoc(), filers: ['filer1'], vsvrs: [] },
      code: 'document.shape',
      path: ['filers', 0],
      mentions: ['mapping'],
    },
    {
      title: 'interfaces that are not a list',
      doc: clusterDoc({ filers: [odd({ name: 'filer1', interfaces: 'eth0' })], vsvrs: [] }),
      code: 'document.shape',
      path: ['filers', 0, 'interfaces'],
      mentions: ['interfaces', 'list'],
    },
    {
      title: 'an unknown top-level field (vsvr for vsvrs)',
      doc: { ...clusterDoc(), vsvr: [] },
      code: 'document.unknown-field',
      path: ['vsvr'],
      mentions: ['vsvr'],
      hint: /did you mean "vsvrs"\?/,
    },
    {
      title: 'an unknown top-level field like no known one',
      doc: { ...clusterDoc(), zzzzzz: 1 },
      code: 'document.unknown-field',
      path: ['zzzzzz'],
      mentions: ['zzzzzz'],
      hint: /apiVersion, kind, cluster, filers, vsvrs/,
    },
    {
      title: 'an unknown filer field (interface for interfaces)',
      doc: clusterDoc({ filers: [odd({ ...filerDoc('filer1'), interface: [] })], vsvrs: [] }),
      code: 'document.unknown-field',
      path: ['filers', 0, 'interface'],
      mentions: ['interface'],
      hint: /did you mean "interfaces"\?/,
    },
    {
      title: 'an unknown vsvr field (adresses for addresses)',
      doc: withVsvrs(odd({ name: 'vs1', adresses: [] })),
      code: 'document.unknown-field',
      path: ['vsvrs', 0, 'adresses'],
      mentions: ['adresses'],
      hint: /did you mean "addresses"\?/,
    },
  ])('refuses $title', (c) => expectRefusal(c));

  it.each([[], 'apiVersion: vsnet/v1', null, 42])(
    'reports a document that is %j with one problem, not one per missing field',
    (doc) => {
      expect(check(doc).problems.map((p) => [p.code, p.path])).toEqual([['document.shape', []]]);
    },
  );

  it('accepts the fixture cluster as it is', () => {
    expect(check(clusterDoc()).problems).toEqual([]);
  });

  it('leaves the document it decodes as it was', () => {
    const doc = f1({ name: 'san0', on: 'eth0', members: ['eth1'] });
    const before = structuredClone(doc);
    decodeClusterDocument(doc);
    expect(doc).toEqual(before);
  });

  it('reports the same problems when one document is decoded twice', () => {
    const doc = f1({ name: 'eth0.5', on: 'eth0' });
    const first = check(doc).problems;
    expect(first.map((p) => p.code)).toContain('interface.kind');
    expect(check(doc).problems).toEqual(first);
  });

  it('reports a mistake in an interface that two filers share (a YAML anchor) on both', () => {
    const shared: InterfaceDocument = { name: 'eth2', on: 'eth0' };
    const doc = clusterDoc({
      filers: [
        filerDoc('filer1', { interfaces: [...base(), shared], addresses: [{ ...FILER1_MGMT }] }),
        filerDoc('filer2', { interfaces: [...base(), shared], addresses: [{ ...FILER2_MGMT }] }),
      ],
    });
    const decoded = decodeClusterDocument(doc);
    const problems = [...decoded.problems, ...analyzeCluster(decoded.cluster).problems];
    expect(problems.filter((p) => p.code === 'interface.kind').map((p) => p.path)).toEqual([
      ['filers', 0, 'interfaces', 4, 'on'],
      ['filers', 1, 'interfaces', 4, 'on'],
    ]);
  });
});
