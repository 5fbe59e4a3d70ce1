import { describe, expect, it } from '@jest/globals';
import { check } from './testing/analyze-document.js';
import { clusterDoc, filerDoc, vsvrDoc } from './testing/documents.js';

/** Three filers; filer3 differs from the others in the one way each test names. */
function threeFilers(filer3: Parameters<typeof filerDoc>[1]) {
  return [filerDoc('filer1'), filerDoc('filer2'), filerDoc('filer3', filer3)];
}

const onData1 = vsvrDoc('vsc', { addresses: [{ alias: 'data1', address: '203.0.113.5/24' }] });

describe('placement and the failover-group check (§5.7)', () => {
  it('runs a vsvr only where every alias it uses exists, like VsvrC and data2 in §5.2.1', () => {
    const { analysis, errors } = check(
      clusterDoc({
        filers: threeFilers({
          interfaces: [
            { name: 'eth0' },
            { name: 'eth1' },
            { name: 'data0', on: 'eth1' },
            { name: 'data1', on: 'eth0' },
          ],
        }),
        vsvrs: [onData1],
      }),
    );
    expect(errors).toEqual([]);
    const p = analysis.placements.get('vsc');
    expect(p?.runsOn).toEqual(['filer3']);
    expect(p?.explicitGroup).toBe(false);
    expect(p?.excluded).toEqual([
      { filer: 'filer1', reasons: ['filer1 has no data1'] },
      { filer: 'filer2', reasons: ['filer2 has no data1'] },
    ]);
  });

  it('reports every filer of an explicit group that lacks an alias, at that group entry', () => {
    const { errors } = check(
      clusterDoc({ vsvrs: [{ ...onData1, failoverGroup: ['filer1', 'filer2'] }] }),
    );
    expect(errors.map((e) => [e.code, e.path])).toEqual([
      ['vsvr.failover-group', ['vsvrs', 0, 'failoverGroup', 0]],
      ['vsvr.failover-group', ['vsvrs', 0, 'failoverGroup', 1]],
    ]);
    expect(errors[0]?.message).toContain('filer1 has no data1');
  });

  it('reports a vsvr that can run nowhere when it has no group', () => {
    const { errors } = check(clusterDoc({ vsvrs: [onData1] }));
    expect(errors.map((e) => e.code)).toEqual(['vsvr.no-placement']);
  });

  it('refuses the same alias name on a different VLAN stack, and says which', () => {
    const { errors, analysis } = check(
      clusterDoc({
        filers: [
          filerDoc('filer1'),
          filerDoc('filer2', {
            interfaces: [
              { name: 'eth0' },
              { name: 'eth1' },
              { name: 'eth1.7' },
              { name: 'mgmt0', on: 'eth0' },
              { name: 'data0', on: 'eth1.7' },
            ],
          }),
        ],
      }),
    );
    expect(analysis.placements.get('vs1')?.runsOn).toEqual(['filer1']);
    const e = errors.find((x) => x.code === 'vsvr.failover-group');
    expect(e?.path).toEqual(['vsvrs', 0, 'failoverGroup', 1]);
    expect(e?.message).toContain('data0 is VLAN 7 on filer2 but untagged on filer1');
  });

  it('refuses an MTU mismatch, and reports all problems of one filer together', () => {
    const { errors } = check(
      clusterDoc({
        filers: [
          filerDoc('filer1'),
          filerDoc('filer2', {
            interfaces: [
              { name: 'eth0' },
              { name: 'eth1', mtu: 9000 },
              { name: 'mgmt0', on: 'eth0' },
              { name: 'data0', on: 'eth1' },
            ],
          }),
        ],
        vsvrs: [
          vsvrDoc('vs1', {
            failoverGroup: ['filer1', 'filer2'],
            addresses: [
              { alias: 'data0', address: '198.51.100.10/24' },
              { alias: 'data1', address: '203.0.113.10/24' },
            ],
          }),
        ],
      }),
    );
    const messages = errors.filter((e) => e.code === 'vsvr.failover-group').map((e) => e.message);
    expect(messages).toHaveLength(2);
    expect(messages[1]).toContain('data0 has MTU 9000 on filer2 but 1500 on filer1');
    expect(messages[1]).toContain('filer2 has no data1');
  });

  it('blames the one filer that builds an alias unlike the others, even when it comes first', () => {
    const odd = filerDoc('filer1', {
      interfaces: [
        { name: 'eth0' },
        { name: 'eth1', mtu: 9000 },
        { name: 'mgmt0', on: 'eth0' },
        { name: 'data0', on: 'eth1' },
      ],
    });
    const { analysis, errors } = check(
      clusterDoc({
        filers: [odd, filerDoc('filer2'), filerDoc('filer3')],
        vsvrs: [
          vsvrDoc('vs1', {
            failoverGroup: ['filer1', 'filer2', 'filer3'],
            addresses: [{ alias: 'data0', address: '198.51.100.10/24' }],
          }),
        ],
      }),
    );
    expect(analysis.placements.get('vs1')?.runsOn).toEqual(['filer2', 'filer3']);
    expect(errors.map((e) => [e.path, e.message])).toEqual([
      [
        ['vsvrs', 0, 'failoverGroup', 0],
        'vs1 cannot run on filer1: data0 has MTU 9000 on filer1 but 1500 on filer2',
      ],
    ]);
  });

  it('matches data0.5 only against filers that also have data0.5', () => {
    const withVlan = filerDoc('filer2', {
      interfaces: [
        { name: 'eth0' },
        { name: 'eth1' },
        { name: 'mgmt0', on: 'eth0' },
        { name: 'data0', on: 'eth1' },
        { name: 'data0.5' },
      ],
    });
    const { analysis, errors } = check(
      clusterDoc({
        filers: [filerDoc('filer1'), withVlan],
        vsvrs: [vsvrDoc('v5', { addresses: [{ alias: 'data0.5', address: '198.51.100.5/24' }] })],
      }),
    );
    expect(errors).toEqual([]);
    expect(analysis.placements.get('v5')?.runsOn).toEqual(['filer2']);
  });

  it('refuses an empty failover group, which would let the vsvr run nowhere', () => {
    const { errors } = check(clusterDoc({ vsvrs: [vsvrDoc('vs1', { failoverGroup: [] })] }));
    expect(errors.map((e) => [e.code, e.path])).toEqual([
      ['vsvr.failover-group', ['vsvrs', 0, 'failoverGroup']],
    ]);
  });

  it('refuses unknown and repeated filers in a failover group', () => {
    const { errors } = check(
      clusterDoc({
        vsvrs: [
          vsvrDoc('vs1', {
            failoverGroup: ['filer1', 'filer9', 'FILER1'],
            addresses: [{ alias: 'data0', address: '198.51.100.10/24' }],
          }),
        ],
      }),
    );
    expect(errors.map((e) => e.path)).toEqual([
      ['vsvrs', 0, 'failoverGroup', 1],
      ['vsvrs', 0, 'failoverGroup', 2],
    ]);
    expect(errors[0]?.message).toContain('filer9');
  });

  it('keeps the failover group order, resolving filer names without regard to case', () => {
    const { analysis, errors } = check(
      clusterDoc({
        vsvrs: [
          vsvrDoc('vs1', {
            failoverGroup: ['FILER2', 'filer1'],
            addresses: [{ alias: 'data0', address: '198.51.100.10/24' }],
          }),
        ],
      }),
    );
    expect(errors).toEqual([]);
    expect(analysis.placements.get('vs1')?.runsOn).toEqual(['filer2', 'filer1']);
  });

  it.each([
    ['vs_mgmt', []],
    ['VS_MGMT', ['name.reserved']],
    ['vs_mgmt2', ['name.reserved']],
    ['Vs_Mgmt_b', ['name.reserved']],
    ['vsmgmt', []],
    ['vs:1', ['name.invalid']],
  ])('vsvr name %s → %j', (name, codes) => {
    const { errors } = check(
      clusterDoc({
        vsvrs: [
          vsvrDoc(name, {
            failoverGroup: ['filer1'],
            addresses: [{ alias: 'data0', address: '198.51.100.10/24' }],
          }),
        ],
      }),
    );
    expect(errors.map((e) => e.code)).toEqual(codes);
  });

  it('refuses two vsvrs whose names differ only in case', () => {
    const { errors } = check(clusterDoc({ vsvrs: [vsvrDoc('VsvrA'), vsvrDoc('vsvra')] }));
    expect(errors.map((e) => [e.code, e.path])).toEqual([['name.duplicate', ['vsvrs', 1, 'name']]]);
  });

  it('warns when vs_mgmt sits on an interface no mgmt# alias uses (§5.7)', () => {
    const { problems } = check(
      clusterDoc({
        vsvrs: [
          vsvrDoc('vs_mgmt', {
            failoverGroup: ['filer1'],
            addresses: [{ alias: 'data0', address: '198.51.100.10/24' }],
          }),
        ],
      }),
    );
    expect(problems.map((p) => [p.severity, p.code])).toEqual([['warning', 'vsvr.mgmt-reach']]);
  });
});
