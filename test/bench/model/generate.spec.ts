import { describe, expect, it } from '@jest/globals';
import { analyzeCluster, compileNodeSpecs, decodeClusterDocument, formatPath } from '@vsnet/model';
import { generateClusterDocument } from './generate.js';

const SMALL = { filers: 4, vsvrs: 40, addresses: 160, seed: 1 };

describe('generateClusterDocument', () => {
  it.each([1, 2, 3])(
    'generates a cluster the model accepts without a single problem (seed %i)',
    (seed) => {
      const decoded = decodeClusterDocument(generateClusterDocument({ ...SMALL, seed }));
      const analysis = analyzeCluster(decoded.cluster);

      const problems = [...decoded.problems, ...analysis.problems].map(
        (p) => `${p.severity} ${p.code} at ${formatPath(p.path)}: ${p.message}`,
      );
      expect(problems).toEqual([]);
    },
  );

  it('has exactly the requested numbers of filers, vsvrs and addresses', () => {
    const { cluster } = decodeClusterDocument(generateClusterDocument(SMALL));

    expect(cluster.filers).toHaveLength(4);
    expect(cluster.vsvrs).toHaveLength(40);
    expect(cluster.vsvrs.reduce((n, v) => n + v.addresses.length, 0)).toBe(160);
  });

  it('places every vsvr on all three filers of its failover group', () => {
    const { cluster } = decodeClusterDocument(generateClusterDocument(SMALL));
    const analysis = analyzeCluster(cluster);
    const specs = compileNodeSpecs(cluster, analysis);

    expect(specs).toHaveLength(4);
    expect([...analysis.placements.values()].every((p) => p.runsOn.length === 3)).toBe(true);
    expect(specs.reduce((n, s) => n + s.vsvrs.length, 0)).toBe(3 * 40);
    expect(cluster.vsvrs.every((v) => new Set(v.addresses.map((a) => a.alias)).size <= 3)).toBe(
      true,
    );
  });

  it('mixes IPv4 and IPv6 addresses, all unique', () => {
    const { cluster } = decodeClusterDocument(
      generateClusterDocument({ filers: 8, vsvrs: 500, addresses: 2100, seed: 7 }),
    );
    const addresses = cluster.vsvrs.flatMap((v) => v.addresses.map((a) => a.address));

    expect(addresses).toHaveLength(2100);
    expect(new Set(addresses.map((a) => a.ip)).size).toBe(2100);
    expect(addresses.some((a) => a.family === 6)).toBe(true);
    expect(addresses.filter((a) => a.family === 4).length).toBeGreaterThan(500);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    expect(generateClusterDocument(SMALL)).toEqual(generateClusterDocument(SMALL));
    expect(generateClusterDocument({ ...SMALL, seed: 2 })).not.toEqual(
      generateClusterDocument(SMALL),
    );
  });
});
