import { describe, expect, it } from '@jest/globals';
import { analyzeCluster } from '../analyze.js';
import { decodeClusterDocument } from '../decode.js';
import type { ClusterDocument } from '../document-types.js';
import { addressTable } from '../identifiers.js';
import { clusterDoc } from '../testing/documents.js';
import { commitEdit, refusalOf } from '../testing/edit-harness.js';
import { changeClusterMac, initCluster } from './cluster-edits.js';

function identifiers(doc: ClusterDocument): string[] {
  const cluster = decodeClusterDocument(doc).cluster;
  return addressTable(cluster, analyzeCluster(cluster)).map((r) => r.identifier);
}

describe('initCluster', () => {
  it('creates a cluster with no filers and no vs_mgmt, which the model accepts', () => {
    const { document, result } = commitEdit(undefined, (c) =>
      initCluster(c, { name: 'lab', mac: '00:00:5E:00:53:01' }),
    );
    expect(result).toEqual({ name: 'lab', mac: '00:00:5e:00:53:01' });
    expect(document.cluster).toEqual({ name: 'lab', mac: '00:00:5e:00:53:01' });
    expect(document.filers).toEqual([]);
    expect(document.vsvrs).toBeUndefined();
  });

  it('names the cluster "cluster" when no name is given, as a document without one does', () => {
    const { document } = commitEdit(undefined, (c) =>
      initCluster(c, { name: ' ', mac: '0000.5e00.5301' }),
    );
    expect(document.cluster).toEqual({ name: 'cluster', mac: '00:00:5e:00:53:01' });
  });

  it('refuses a second initialization with ALREADY_EXISTS', () => {
    const r = refusalOf(() => initCluster(clusterDoc(), { name: 'lab', mac: '00:00:5e:00:53:01' }));
    expect(r.kind).toBe('already-exists');
    expect(r.reason).toBe('cluster.initialized');
    expect(r.violations.map((v) => v.field)).toEqual(['cluster']);
  });

  it.each([
    ['not a MAC', 'not-a-mac', 'not a MAC address'],
    ['all zeros', '00:00:00:00:00:00', 'all zeros'],
    ['multicast', '01:00:5e:00:00:01', 'multicast'],
  ])('refuses a cluster MAC that is %s at cluster.mac', (_title, mac, says) => {
    const r = refusalOf(() => initCluster(undefined, { name: 'lab', mac }));
    expect(r.kind).toBe('invalid-argument');
    expect(r.violations[0]?.field).toBe('cluster.mac');
    expect(r.message).toContain(says);
  });

  it('refuses a name that cannot appear in output and identifiers at cluster.name', () => {
    const r = refusalOf(() =>
      initCluster(undefined, { name: 'my cluster', mac: '00:00:5e:00:53:01' }),
    );
    expect(r.kind).toBe('invalid-argument');
    expect(r.reason).toBe('name.invalid');
    expect(r.violations[0]?.field).toBe('cluster.name');
  });
});

describe('changeClusterMac', () => {
  it('sets the new MAC, and every DHCP identifier changes with it', () => {
    const before = clusterDoc();
    const { document, result } = commitEdit(before, (c) =>
      changeClusterMac(c, '02:00:00:00:00:AA'),
    );
    expect(result.mac).toBe('02:00:00:00:00:aa');
    expect(document.cluster.mac).toBe('02:00:00:00:00:aa');
    const old = identifiers(before);
    const now = identifiers(document);
    expect(now).toHaveLength(old.length);
    expect(old.length).toBeGreaterThan(0);
    now.forEach((id, k) => expect(id).not.toBe(old[k]));
  });

  it('does not change the document it was given', () => {
    const before = clusterDoc();
    const copy = structuredClone(before);
    changeClusterMac(before, '02:00:00:00:00:aa');
    expect(before).toEqual(copy);
  });

  it('refuses before the cluster exists with FAILED_PRECONDITION', () => {
    const r = refusalOf(() => changeClusterMac(undefined, '02:00:00:00:00:aa'));
    expect(r.kind).toBe('failed-precondition');
    expect(r.reason).toBe('cluster.uninitialized');
  });

  it('refuses a malformed MAC at cluster.mac', () => {
    const r = refusalOf(() => changeClusterMac(clusterDoc(), '02:00:00:00:00'));
    expect(r.kind).toBe('invalid-argument');
    expect(r.violations[0]?.field).toBe('cluster.mac');
  });

  it('refuses the MAC of a physical interface at cluster.mac', () => {
    const doc = clusterDoc();
    const eth0 = doc.filers[0]?.interfaces[0];
    if (eth0 === undefined) {
      throw new Error('fixture has no eth0');
    }
    eth0.mac = '02:00:00:00:00:10';
    const r = refusalOf(() => changeClusterMac(doc, '02:00:00:00:00:10'));
    expect(r.kind).toBe('invalid-argument');
    expect(r.reason).toBe('mac.duplicate');
    expect(r.violations[0]?.field).toBe('cluster.mac');
    expect(r.message).toContain('eth0 on filer1');
  });
});
