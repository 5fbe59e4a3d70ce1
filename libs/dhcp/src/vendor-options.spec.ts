import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { compileNodeSpec } from '@vsnet/model';
import { analyzedLab } from './testing/lab-document.js';
import {
  decodeInterfaceDefinitions,
  encodeInterfaceDefinitions,
  fromHex,
  interfaceStackOf,
  MAX_OPTION_BYTES,
  toHex,
  VendorOptionError,
} from './vendor-options.js';

describe('the vsnet vendor options', () => {
  const { cluster, analysis } = analyzedLab();

  it.each(['filer1', 'filer2'])(
    "round-trip %s's stack to exactly the links and aliases its node spec holds",
    (filer) => {
      const spec = compileNodeSpec(cluster, filer, analysis);
      const payload = encodeInterfaceDefinitions({
        version: 1,
        cluster: 'lab',
        filer,
        stack: interfaceStackOf(analysis, filer),
      });
      expect(payload.length).toBeLessThanOrEqual(MAX_OPTION_BYTES);
      // Through hex as dhclient reports it, the way the agent will receive it.
      const decoded = decodeInterfaceDefinitions(fromHex(toHex(payload, ':')));
      expect(decoded).toEqual({
        version: 1,
        cluster: 'lab',
        filer,
        stack: { links: spec.links, aliases: spec.aliases },
      });
    },
  );

  it('carries bond modes, the failover primary, VLAN tags, the VLAN of an alias and MTUs', () => {
    const { stack } = decodeInterfaceDefinitions(
      encodeInterfaceDefinitions({
        version: 1,
        cluster: 'lab',
        filer: 'filer1',
        stack: interfaceStackOf(analysis, 'filer1'),
      }),
    );
    expect(stack.links.find((l) => l.name === 'bond1')).toMatchObject({
      mode: 'balance-alb',
      members: ['eth3', 'eth4'],
      mtu: 9000,
    });
    expect(stack.links.find((l) => l.name === 'fail0')).toMatchObject({
      members: ['bond0.20', 'bond1.20'],
      primary: 'bond1.20',
    });
    expect(stack.links.find((l) => l.name === 'bond1.100')).toMatchObject({
      parent: 'bond1',
      tag: 100,
    });
    expect(stack.aliases.find((a) => a.name === 'data0.5')).toEqual({
      name: 'data0.5',
      kind: 'data',
      lower: 'data0',
      tag: 5,
      mtu: 9000,
    });
    expect(stack.aliases.find((a) => a.name === 'mgmt1')).toMatchObject({
      lower: 'bond1.100',
      mtu: 1500,
    });
    expect(stack.links.find((l) => l.name === 'eth0')).toEqual({
      name: 'eth0',
      kind: 'physical',
      mtu: 1500,
      mac: '00:00:5e:00:53:10',
    });
  });

  it('round-trips any instance numbers, tags and MTUs, however large', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 4094 }),
        fc.integer({ min: 68, max: 65535 }),
        (n, tag, mtu) => {
          const stack = {
            links: [
              { name: `eth${n}`, kind: 'physical' as const, mtu },
              { name: `eth${n}.${tag}`, kind: 'vlan' as const, mtu, parent: `eth${n}`, tag },
            ],
            aliases: [
              { name: `data${n}`, kind: 'data' as const, lower: `eth${n}.${tag}`, mtu: 1500 },
            ],
          };
          const defs = { version: 1, cluster: 'c', filer: 'f', stack };
          expect(decodeInterfaceDefinitions(encodeInterfaceDefinitions(defs))).toEqual(defs);
        },
      ),
    );
  });

  it.each([
    ['an empty payload', '', /no vsnet version/],
    [
      'a later encoding version',
      '010102',
      /version 2, this agent reads version 1; update the agent/,
    ],
    ['a truncated stack', '010101 0403 820001', /ends in the middle of a field/],
    ['a reference forward', '010101 0403 86 00 05', /does not precede it/],
    ['an unknown record kind', '010101 0402 0f00', /has kind 15, which this decoder does not know/],
    ['text that is not hex', 'zz', /is not hex octets/],
  ])('refuses %s with a message saying what is wrong', (_what, hex, message) => {
    expect(() => decodeInterfaceDefinitions(fromHex(hex))).toThrow(VendorOptionError);
    expect(() => decodeInterfaceDefinitions(fromHex(hex))).toThrow(message);
  });

  it('skips sub-options it does not know, so a newer server can add some', () => {
    const payload = encodeInterfaceDefinitions({
      version: 1,
      cluster: 'lab',
      filer: 'filer2',
      stack: interfaceStackOf(analysis, 'filer2'),
    });
    const extended = Uint8Array.from([200, 2, 0xab, 0xcd, ...payload]);
    expect(decodeInterfaceDefinitions(extended)).toEqual(decodeInterfaceDefinitions(payload));
  });

  it('refuses to encode a stack that does not fit one DHCPv4 option, naming the filer', () => {
    const links = Array.from({ length: 40 }, (_, k) => ({
      name: `eth${k}`,
      kind: 'physical' as const,
      mtu: 9000,
      mac: '02:00:00:00:00:01',
    }));
    expect(() =>
      encodeInterfaceDefinitions({
        version: 1,
        cluster: 'c',
        filer: 'big',
        stack: { links, aliases: [] },
      }),
    ).toThrow(/interface definitions of filer big need \d+ bytes/);
  });
});
