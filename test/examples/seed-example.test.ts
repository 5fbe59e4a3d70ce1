import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import type { ClusterDocument } from '@vsnet/model';
import { addressTable, analyzeCluster, decodeClusterDocument } from '@vsnet/model';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'deploy', 'examples');

function load(file: string): ClusterDocument {
  return parse(readFileSync(join(EXAMPLES, file), 'utf8')) as ClusterDocument;
}

function check(doc: unknown) {
  const decoded = decodeClusterDocument(doc);
  const analysis = analyzeCluster(decoded.cluster);
  return { ...decoded, analysis, problems: [...decoded.problems, ...analysis.problems] };
}

/** The identifier tables of §5.2.6.3 and §5.11 as printed, the cluster MAC in stored lower case. */
const SPEC_TABLE: readonly [string, string][] = [
  ['00:07:34:04:12:0e:data0:VsvrA:0', '10.2.2.1'],
  ['00:07:34:04:12:0e:data0:VsvrA:1', '10.3.3.1'],
  ['00:07:34:04:12:0e:data0:VsvrB:0', '10.3.4.1'],
  ['00:07:34:04:12:0e:data1:VsvrA:0', '10.2.2.3'],
  ['00:07:34:04:12:0e:mgmt0:Filer1', '10.1.1.2'],
  ['00:07:34:04:12:0e:mgmt1:Filer1', '10.1.1.3'],
  ['00:07:34:04:12:0e:san0:Filer1', '10.2.2.2'],
  ['00:07:34:04:12:0e:data2:VsvrC:0', '10.3.5.1'],
  ['00:07:34:04:12:0e:mgmt0:Filer2', '10.1.1.4'],
  ['00:07:34:04:12:0e:mgmt1:Filer2', '10.1.1.5'],
  ['00:07:34:04:12:0e:san0:Filer2', '10.2.2.3'],
  ['00:07:34:04:12:0e:mgmt0:MySQLMgmtNode', '10.1.1.10'],
  ['00:07:34:04:12:0e:mgmt1:MySQLMgmtNode', '10.1.1.11'],
  ['00:07:34:04:12:0e:mgmt0:MySQLDataNode1', '10.1.1.12'],
  ['00:07:34:04:12:0e:mgmt1:MySQLDataNode1', '10.1.1.13'],
  ['00:07:34:04:12:0e:mgmt0:MySQLDataNode2', '10.1.1.14'],
  ['00:07:34:04:12:0e:mgmt1:MySQLDataNode2', '10.1.1.15'],
  ['00:07:34:04:12:0e:mgmt0:MySQLAppNode1', '10.1.1.16'],
  ['00:07:34:04:12:0e:mgmt1:MySQLAppNode1', '10.1.1.17'],
  ['00:07:34:04:12:0e:mgmt0:MySQLAppNode2', '10.1.1.18'],
  ['00:07:34:04:12:0e:mgmt1:MySQLAppNode2', '10.1.1.19'],
  ['00:07:34:04:12:0e:mgmt0:MySQLAppNode3', '10.1.1.20'],
  ['00:07:34:04:12:0e:mgmt1:MySQLAppNode3', '10.1.1.21'],
];

describe('the spec example (deploy/examples/seed-cluster.yaml)', () => {
  it('has exactly one problem: the spec gives 10.2.2.3 to both data1 of VsvrA and san0 of Filer2', () => {
    const { problems } = check(load('seed-cluster.yaml'));
    expect(problems.map((p) => [p.severity, p.code, p.path])).toEqual([
      ['error', 'address.duplicate', ['vsvrs', 0, 'addresses', 2, 'address']],
    ]);
    expect(problems[0]?.message).toBe(
      '10.2.2.3 is assigned twice: to data1 instance 0 of vsvr VsvrA and to san0 of filer Filer2 (filers[1].addresses[2].address)',
    );
  });

  it('validates clean once that line is corrected', () => {
    const doc = load('seed-cluster.yaml');
    const san0 = doc.filers[1]?.addresses?.find((a) => a.alias === 'san0');
    expect(san0?.address).toBe('10.2.2.3/24');
    if (san0) {
      san0.address = '10.2.2.4/24';
    }
    expect(check(doc).problems).toEqual([]);
  });

  it('prints every identifier of §5.2.6.3 and §5.11 character for character', () => {
    const { cluster, analysis } = check(load('seed-cluster.yaml'));
    const rows = addressTable(cluster, analysis).map((r) => [
      r.identifier,
      r.address.replace(/\/\d+$/, ''),
    ]);
    expect(new Set(rows.map(([id, ip]) => `${id} ${ip}`))).toEqual(
      new Set(SPEC_TABLE.map(([id, ip]) => `${id} ${ip}`)),
    );
    expect(rows).toHaveLength(SPEC_TABLE.length);
  });

  it('runs VsvrC only on Filer2, where data2 exists; VsvrA and VsvrB on both filers', () => {
    const { analysis } = check(load('seed-cluster.yaml'));
    expect(analysis.placements.get('VsvrC')).toMatchObject({
      runsOn: ['Filer2'],
      excluded: [{ filer: 'Filer1', reasons: ['Filer1 has no data2'] }],
    });
    expect(analysis.placements.get('VsvrA')?.runsOn).toEqual(['Filer1', 'Filer2']);
    expect(analysis.placements.get('VsvrB')?.runsOn).toEqual(['Filer1', 'Filer2']);
  });
});

describe('the lab example (deploy/examples/lab-cluster.yaml)', () => {
  it('validates clean', () => {
    const { problems } = check(load('lab-cluster.yaml'));
    expect(problems).toEqual([]);
  });
});
