import { describe, expect, it } from '@jest/globals';
import type { NodeSpec } from '@vsnet/model';
import type { NodeSpecMessage__Output } from './index.js';
import { WireError, agentGrpc, nodeSpecFromWire, nodeSpecToWire } from './index.js';
import { labNodeSpec, labNodeSpecs } from './testing/lab-specs.js';

const agent = agentGrpc();
const apply = agent.Agent.service.Apply;

/** Model → wire → protobuf bytes → wire → model, with the loader options the agent uses. */
function overTheWire(spec: NodeSpec): NodeSpec {
  const bytes = apply.requestSerialize({ spec: nodeSpecToWire(spec), generation: 1, epoch: 1 });
  const received = apply.requestDeserialize(bytes).spec;
  if (received === null) {
    throw new Error('the spec did not survive serialization');
  }
  return nodeSpecFromWire(received);
}

function decoded(spec: NodeSpec): NodeSpecMessage__Output {
  const bytes = apply.requestSerialize({ spec: nodeSpecToWire(spec) });
  const received = apply.requestDeserialize(bytes).spec;
  if (received === null) {
    throw new Error('the spec did not survive serialization');
  }
  return received;
}

describe('NodeSpec ⇄ agent wire message', () => {
  const specs = labNodeSpecs();

  it('compiles a spec for every filer of the lab example', () => {
    expect(specs.map((s) => s.filer)).toEqual(['filer1', 'filer2', 'filer3']);
  });

  it.each(specs.map((s) => [s.filer, s] as const))(
    'round-trips the lab spec of %s through protobuf bytes unchanged',
    (_filer, spec) => {
      expect(overTheWire(spec)).toStrictEqual(spec);
    },
  );

  it.each(specs.map((s) => [s.filer, s] as const))(
    'keeps the compiler key order for %s (the same JSON before and after the wire)',
    (_filer, spec) => {
      const back = overTheWire(spec);
      expect(JSON.stringify(back)).toBe(JSON.stringify(spec));
    },
  );

  it('covers every optional field kind the lab spec uses', () => {
    const spec = labNodeSpec('filer1');
    const kinds = new Set(spec.links.map((l) => l.kind));
    expect(kinds).toEqual(new Set(['physical', 'bond', 'failover', 'vlan']));
    expect(spec.links.some((l) => l.primary !== undefined)).toBe(true);
    expect(spec.aliases.some((a) => a.tag !== undefined)).toBe(true);
    expect(spec.vsvrs.some((v) => v.routes.some((r) => r.via !== undefined))).toBe(true);
  });

  it('refuses an unknown spec version with the field named', () => {
    const msg = { ...decoded(labNodeSpec('filer3')), specVersion: 2 };
    expect(() => nodeSpecFromWire(msg)).toThrow(
      new WireError(
        'spec.specVersion',
        'spec.specVersion is 2; this agent understands spec version 1 only',
      ),
    );
  });

  it('refuses an unspecified enum value and says what to send', () => {
    const msg = decoded(labNodeSpec('filer3'));
    const [first, ...rest] = msg.links;
    if (first === undefined) {
      throw new Error('filer3 has no links');
    }
    const bad = { ...msg, links: [{ ...first, kind: 'LINK_KIND_UNSPECIFIED' as const }, ...rest] };
    expect(() => nodeSpecFromWire(bad)).toThrow(
      /^spec\.links\[0\]\.kind is LINK_KIND_UNSPECIFIED; send one of LINK_KIND_PHYSICAL, /,
    );
  });

  it('refuses a missing cluster and a malformed hash', () => {
    const msg = decoded(labNodeSpec('filer3'));
    expect(() => nodeSpecFromWire({ ...msg, cluster: null })).toThrow(/^spec\.cluster is missing/);
    expect(() => nodeSpecFromWire({ ...msg, hash: 'abc' })).toThrow(/^spec\.hash is "abc"/);
  });

  it('refuses members on a link kind that has none', () => {
    const msg = decoded(labNodeSpec('filer3'));
    const links = msg.links.map((l) =>
      l.kind === 'LINK_KIND_PHYSICAL' ? { ...l, members: ['eth9'] } : l,
    );
    expect(() => nodeSpecFromWire({ ...msg, links })).toThrow(
      /^spec\.links\[0\]\.members is set on a physical link/,
    );
  });
});
