import { describe, expect, it } from '@jest/globals';
import type { ClusterDocument } from '../document-types.js';
import { clusterDoc } from '../testing/documents.js';
import { commitEdit, refusalOf } from '../testing/edit-harness.js';
import type { PhysicalInterfaceInput } from './filer-edits.js';
import type { JoinFilerInput } from './join-edits.js';
import { joinFiler } from './join-edits.js';

/** filer1 with burnt-in MACs on eth0 and eth1. */
function withMacs(): ClusterDocument {
  const doc = clusterDoc();
  const filer1 = doc.filers[0];
  if (filer1 === undefined) {
    throw new Error('fixture has no filer1');
  }
  filer1.interfaces = filer1.interfaces.map((i) =>
    i.name === 'eth0'
      ? { ...i, mac: '02:00:00:00:00:10' }
      : i.name === 'eth1'
        ? { ...i, mac: '02:00:00:00:00:11' }
        : i,
  );
  return doc;
}

const FILER1_ETHS: PhysicalInterfaceInput[] = [
  { name: 'eth1', mac: '02-00-00-00-00-11' },
  { name: 'eth0', mac: '02:00:00:00:00:10' },
];

function join(overrides: Partial<JoinFilerInput>): JoinFilerInput {
  return {
    name: 'filer1',
    interfaces: FILER1_ETHS,
    agentAddress: '198.51.100.7:7401',
    tokenFiler: 'filer1',
    ...overrides,
  };
}

describe('joinFiler', () => {
  it('registers a new filer with the interfaces its agent reports', () => {
    const input = join({
      name: 'filer3',
      interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:30' }],
      tokenFiler: '',
    });
    const planned = joinFiler(withMacs(), input);
    expect(planned.after).toBe('filer3: eth0 02:00:00:00:00:30; agent at 198.51.100.7:7401');
    const { document, result } = commitEdit(withMacs(), (c) => joinFiler(c, input));
    expect(result).toEqual({
      name: 'filer3',
      interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:30' }],
    });
    expect(document.filers.map((f) => f.name)).toEqual(['filer1', 'filer2', 'filer3']);
  });

  it('keeps a known filer unchanged when it reports the same interfaces in any order', () => {
    const before = withMacs();
    const planned = joinFiler(before, join({ name: 'FILER1' }));
    expect(planned.result.name).toBe('filer1');
    expect(planned.document).toEqual(before);
    expect(planned.after).toBe(
      'filer1: eth0 02:00:00:00:00:10, eth1 02:00:00:00:00:11, mgmt0, data0; agent at 198.51.100.7:7401',
    );
  });

  it('refuses a known filer joining with a token for any filer with ALREADY_EXISTS', () => {
    const r = refusalOf(() => joinFiler(withMacs(), join({ tokenFiler: '' })));
    expect(r.kind).toBe('already-exists');
    expect(r.violations.map((v) => v.field)).toEqual(['name']);
    expect(r.message).toMatch(/token minted for it \(vsnet filer join-token --filer filer1\)/);
  });

  it('refuses a new filer reporting another filer’s MAC with ALREADY_EXISTS, naming neither', () => {
    const r = refusalOf(() =>
      joinFiler(
        withMacs(),
        join({
          name: 'filer3',
          tokenFiler: '',
          interfaces: [{ name: 'eth0', mac: '02-00-00-00-00-11' }],
        }),
      ),
    );
    expect(r.kind).toBe('already-exists');
    expect(r.violations.map((v) => v.field)).toEqual(['interfaces[0].mac']);
    expect(r.message).not.toMatch(/filer1|eth1/);
  });

  it('never quotes the stored MAC when a known filer reports another', () => {
    const r = refusalOf(() =>
      joinFiler(
        withMacs(),
        join({
          interfaces: [
            { name: 'eth0', mac: '02:00:00:00:00:99' },
            { name: 'eth1', mac: '02:00:00:00:00:11' },
          ],
        }),
      ),
    );
    expect(r.message).toContain('02:00:00:00:00:99');
    expect(r.message).not.toContain('02:00:00:00:00:10');
    expect(r.violations.map((v) => v.description).join(' ')).not.toContain('02:00:00:00:00:10');
  });

  it.each<[string, PhysicalInterfaceInput[], string]>([
    [
      'another MAC on eth0',
      [
        { name: 'eth0', mac: '02:00:00:00:00:99' },
        { name: 'eth1', mac: '02:00:00:00:00:11' },
      ],
      'interfaces[0].mac',
    ],
    [
      'an interface the stored filer lacks',
      [...FILER1_ETHS, { name: 'eth2', mac: '02:00:00:00:00:12' }],
      'interfaces[2].name',
    ],
    ['a stored interface missing', [{ name: 'eth0', mac: '02:00:00:00:00:10' }], 'interfaces'],
  ])('refuses a known filer reporting %s with FAILED_PRECONDITION', (_what, interfaces, field) => {
    const r = refusalOf(() => joinFiler(withMacs(), join({ interfaces })));
    expect(r.kind).toBe('failed-precondition');
    expect(r.violations.map((v) => v.field)).toEqual([field]);
  });

  it.each<[string, Partial<JoinFilerInput>, string]>([
    ['no agent address', { agentAddress: '' }, 'agentAddress'],
    ['an agent address without a port', { agentAddress: '198.51.100.7' }, 'agentAddress'],
    ['port 0', { agentAddress: '198.51.100.7:0' }, 'agentAddress'],
    ['a malformed MAC', { interfaces: [{ name: 'eth0', mac: 'zz' }] }, 'interfaces[0].mac'],
    ['no interface of a known filer', { interfaces: [] }, 'interfaces'],
    ['no interface of a new filer', { name: 'filer9', interfaces: [] }, 'interfaces'],
  ])('refuses %s with INVALID_ARGUMENT', (_what, overrides, field) => {
    const r = refusalOf(() => joinFiler(withMacs(), join(overrides)));
    expect(r.kind).toBe('invalid-argument');
    expect(r.violations.map((v) => v.field)).toEqual([field]);
  });

  it('accepts [ipv6]:port and host names as agent addresses', () => {
    for (const agentAddress of ['[2001:db8::7]:7401', 'filer1.example.net:7401']) {
      expect(joinFiler(withMacs(), join({ agentAddress })).after).toContain(agentAddress);
    }
  });

  it('refuses before the cluster exists with FAILED_PRECONDITION', () => {
    expect(refusalOf(() => joinFiler(undefined, join({}))).kind).toBe('failed-precondition');
  });
});
