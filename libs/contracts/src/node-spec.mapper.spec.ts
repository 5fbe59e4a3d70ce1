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

/** A copy of `msg` with one field set by `set` (which may index into arrays: they must exist). */
type Setter = (m: NodeSpecMessage__Output, value: string) => void;

function at<T>(items: T[], what: string): T {
  const [first] = items;
  if (first === undefined) {
    throw new Error(`the lab spec of filer1 has no ${what}`);
  }
  return first;
}

const vsvrWithRoute = (m: NodeSpecMessage__Output) => {
  const v = m.vsvrs.find((x) => x.routes.some((r) => r.via !== undefined));
  if (v === undefined) {
    throw new Error('the lab spec of filer1 has no vsvr route with a gateway');
  }
  return { v, index: m.vsvrs.indexOf(v), route: v.routes.findIndex((r) => r.via !== undefined) };
};
const linkWith = (m: NodeSpecMessage__Output, field: 'primary' | 'parent' | 'mac') => {
  const index = m.links.findIndex((l) => l[field] !== undefined);
  if (index < 0) {
    throw new Error(`the lab spec of filer1 has no link with ${field}`);
  }
  return { link: m.links[index]!, index };
};
const linkWithMembers = (m: NodeSpecMessage__Output) => {
  const index = m.links.findIndex((l) => l.members.length > 0);
  return { link: m.links[index]!, index };
};

/** Every string field of the spec that reaches an `ip` command, with the path it is named by. */
const STRING_FIELDS: readonly (readonly [string, Setter])[] = [
  ['spec.cluster.name', (m, x) => (m.cluster!.name = x)],
  ['spec.cluster.mac', (m, x) => (m.cluster!.mac = x)],
  ['spec.filer', (m, x) => (m.filer = x)],
  ['spec.links[0].name', (m, x) => (at(m.links, 'link').name = x)],
  ['spec.links[$members].members[0]', (m, x) => (linkWithMembers(m).link.members[0] = x)],
  ['spec.links[$primary].primary', (m, x) => (linkWith(m, 'primary').link.primary = x)],
  ['spec.links[$parent].parent', (m, x) => (linkWith(m, 'parent').link.parent = x)],
  ['spec.links[$mac].mac', (m, x) => (linkWith(m, 'mac').link.mac = x)],
  ['spec.aliases[0].name', (m, x) => (at(m.aliases, 'alias').name = x)],
  ['spec.aliases[0].lower', (m, x) => (at(m.aliases, 'alias').lower = x)],
  ['spec.addresses[0].alias', (m, x) => (at(m.addresses, 'filer address').alias = x)],
  ['spec.addresses[0].address', (m, x) => (at(m.addresses, 'filer address').address = x)],
  ['spec.aliasRoutes[0].alias', (m, x) => (at(m.aliasRoutes, 'alias routes').alias = x)],
  ['spec.vsvrs[0].name', (m, x) => (at(m.vsvrs, 'vsvr').name = x)],
  ['spec.vsvrs[0].namespace', (m, x) => (at(m.vsvrs, 'vsvr').namespace = x)],
  [
    'spec.vsvrs[0].interfaces[0].name',
    (m, x) => (at(at(m.vsvrs, 'vsvr').interfaces, 'vsvr interface').name = x),
  ],
  [
    'spec.vsvrs[0].interfaces[0].lower',
    (m, x) => (at(at(m.vsvrs, 'vsvr').interfaces, 'vsvr interface').lower = x),
  ],
  [
    'spec.vsvrs[0].interfaces[0].mac',
    (m, x) => (at(at(m.vsvrs, 'vsvr').interfaces, 'vsvr interface').mac = x),
  ],
  [
    'spec.vsvrs[0].addresses[0].alias',
    (m, x) => (at(at(m.vsvrs, 'vsvr').addresses, 'vsvr address').alias = x),
  ],
  [
    'spec.vsvrs[0].addresses[0].address',
    (m, x) => (at(at(m.vsvrs, 'vsvr').addresses, 'vsvr address').address = x),
  ],
  [
    'spec.vsvrs[$v].routes[$r].to',
    (m, x) => (vsvrWithRoute(m).v.routes[vsvrWithRoute(m).route]!.to = x),
  ],
  [
    'spec.vsvrs[$v].routes[$r].via',
    (m, x) => (vsvrWithRoute(m).v.routes[vsvrWithRoute(m).route]!.via = x),
  ],
];

const HOSTILE_VALUES: readonly (readonly [string, (valid: string) => string])[] = [
  ['a newline and a batch line', (v) => `${v}\nnetns exec vs-x /bin/sh -c id`],
  ['a space', (v) => `${v} up`],
  ['a semicolon', (v) => `${v};reboot`],
  ['a path', () => '../../etc/passwd'],
  ['a very long value', (v) => v + 'a'.repeat(5000)],
];

/** `$members`-style placeholders resolved against the lab message, so paths name real indexes. */
function resolvePath(template: string, m: NodeSpecMessage__Output): string {
  return template
    .replace('$members', String(linkWithMembers(m).index))
    .replace('$primary', String(linkWith(m, 'primary').index))
    .replace('$parent', String(linkWith(m, 'parent').index))
    .replace('$mac', String(linkWith(m, 'mac').index))
    .replace('$v', String(vsvrWithRoute(m).index))
    .replace('$r', String(vsvrWithRoute(m).route));
}

function caught(f: () => unknown): WireError {
  try {
    f();
  } catch (err) {
    if (err instanceof WireError) {
      return err;
    }
    throw err;
  }
  throw new Error('expected a WireError');
}

describe('nodeSpecFromWire refuses values that would inject into ip -batch', () => {
  const lab = decoded(labNodeSpec('filer1'));

  const cases = STRING_FIELDS.flatMap(([field, set]) =>
    HOSTILE_VALUES.map(([what, make]) => [field, what, set, make] as const),
  );

  it.each(cases)('%s with %s', (field, _what, set, make) => {
    const msg = structuredClone(lab);
    const path = resolvePath(field, msg);
    // The field's lab value, so most hostile values are a valid one with something appended.
    const probe = structuredClone(lab);
    set(probe, '\u0000');
    const valid = findChanged(lab, probe) ?? '';
    const hostile = make(valid);
    set(msg, hostile);
    const err = caught(() => nodeSpecFromWire(msg));
    expect(err.path).toBe(path);
    expect(err.message.startsWith(`${path} is `)).toBe(true);
    expect(err.message).toContain(JSON.stringify(hostile.slice(0, 64)));
    expect(err.message.length).toBeLessThan(400);
  });

  it('accepts the lab spec unchanged (every field above has a valid value in it)', () => {
    expect(() => nodeSpecFromWire(structuredClone(lab))).not.toThrow();
  });

  it.each([
    [
      'spec.links[0].mtu',
      (m: NodeSpecMessage__Output, n: number) => (m.links[0]!.mtu = n),
      [0, 67, 65536],
    ],
    [
      'spec.aliases[0].mtu',
      (m: NodeSpecMessage__Output, n: number) => (m.aliases[0]!.mtu = n),
      [0, 65536],
    ],
    [
      'spec.links[$parent].tag',
      (m: NodeSpecMessage__Output, n: number) => (linkWith(m, 'parent').link.tag = n),
      [0, 4095],
    ],
    [
      'spec.addresses[0].table',
      (m: NodeSpecMessage__Output, n: number) => (m.addresses[0]!.table = n),
      [0],
    ],
    [
      'spec.aliasRoutes[0].table',
      (m: NodeSpecMessage__Output, n: number) => (m.aliasRoutes[0]!.table = n),
      [0],
    ],
    [
      'spec.vsvrs[0].interfaces[0].mtu',
      (m: NodeSpecMessage__Output, n: number) => (m.vsvrs[0]!.interfaces[0]!.mtu = n),
      [0, 65536],
    ],
  ] as const)('refuses %s out of range', (field, set, values) => {
    for (const n of values) {
      const msg = structuredClone(lab);
      const path = resolvePath(field, msg);
      set(msg, n);
      const err = caught(() => nodeSpecFromWire(msg));
      expect(err.path).toBe(path);
      expect(err.message).toMatch(
        new RegExp(`^${path.replace(/[[\].]/g, '\\$&')} is ${n}; send a number from \\d+ to \\d+$`),
      );
    }
  });

  it('refuses a name that is valid but not in its stored form, and says which form to send', () => {
    const msg = structuredClone(lab);
    msg.links[0]!.name = msg.links[0]!.name.toUpperCase();
    expect(() => nodeSpecFromWire(msg)).toThrow(
      new WireError(
        'spec.links[0].name',
        `spec.links[0].name is "${lab.links[0]!.name.toUpperCase()}"; send the stored form "${lab.links[0]!.name}"`,
      ),
    );
  });

  it('refuses a namespace other than vs-<name>, a non-canonical address and an upper-case MAC', () => {
    const ns = structuredClone(lab);
    ns.vsvrs[0]!.namespace = 'vs-other';
    expect(() => nodeSpecFromWire(ns)).toThrow(
      /^spec\.vsvrs\[0\]\.namespace is "vs-other"; the namespace of vsvr \S+ is vs-/,
    );
    const addr = structuredClone(lab);
    addr.addresses[0]!.address = addr.addresses[0]!.address.replace('/', ' /');
    expect(() => nodeSpecFromWire(addr)).toThrow(/^spec\.addresses\[0\]\.address is /);
    const mac = structuredClone(lab);
    mac.cluster!.mac = mac.cluster!.mac.toUpperCase();
    expect(() => nodeSpecFromWire(mac)).toThrow(
      `spec.cluster.mac is "${lab.cluster!.mac.toUpperCase()}"; send the stored form ${lab.cluster!.mac}`,
    );
  });
});

/** The first string that differs between two messages (the field a setter wrote). */
function findChanged(a: unknown, b: unknown): string | undefined {
  if (typeof a === 'string' && typeof b === 'string') {
    return a === b ? undefined : a;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    for (const key of Object.keys(a)) {
      const found = findChanged(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
      );
      if (found !== undefined) {
        return found;
      }
    }
  }
  return undefined;
}
