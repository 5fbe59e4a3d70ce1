import { describe, expect, it } from '@jest/globals';
import type { ClusterDocument } from './document-types.js';
import { addressTable } from './index.js';
import { check } from './testing/analyze-document.js';
import { clusterDoc, filerDoc, vsvrDoc } from './testing/documents.js';
import type { Refusal } from './testing/rules-fixtures.js';
import {
  FILER1_MGMT,
  FILER2_MGMT,
  base,
  filer1With,
  bothWith,
  withVsvrs,
  withMysql,
  odd,
  expectRefusal,
  vsvrAddress,
  filerAddress,
  mysqlAddress,
  onData0,
  bonded,
} from './testing/rules-fixtures.js';

describe('addresses (§5.2.3, §5.11)', () => {
  it.each<Refusal>([
    {
      title: 'a filer address on eth0 directly',
      doc: filer1With(base(), [{ alias: 'eth0', address: '192.0.2.11/24' }]),
      code: 'address.not-on-alias',
      path: filerAddress(0, 0, 'alias'),
      mentions: ['eth0'],
    },
    {
      title: 'a filer address on a bond member',
      doc: filer1With(bonded(), [{ ...FILER1_MGMT }, { alias: 'eth2', address: '192.0.2.13/24' }]),
      code: 'address.not-on-alias',
      path: filerAddress(0, 1, 'alias'),
      mentions: ['eth2'],
    },
    {
      title: 'a filer address on a bond',
      doc: filer1With(bonded(), [{ ...FILER1_MGMT }, { alias: 'bond0', address: '192.0.2.13/24' }]),
      code: 'address.not-on-alias',
      path: filerAddress(0, 1, 'alias'),
      mentions: ['bond0'],
    },
    {
      title: 'a filer address on a VLAN of a physical interface',
      doc: filer1With(
        [...base(), { name: 'eth0.5' }],
        [{ alias: 'eth0.5', address: '192.0.2.11/24' }],
      ),
      code: 'address.not-on-alias',
      path: filerAddress(0, 0, 'alias'),
      mentions: ['eth0.5'],
    },
    {
      title: 'a vsvr address on eth1',
      doc: withVsvrs(
        vsvrDoc('vs1', { addresses: [{ alias: 'eth1', address: '198.51.100.10/24' }] }),
      ),
      code: 'address.not-on-alias',
      path: vsvrAddress(0, 0, 'alias'),
      mentions: ['eth1'],
    },
    {
      title: 'a MySQL node address on eth0',
      doc: withMysql({ alias: 'eth0', address: '192.0.2.60/24' }),
      code: 'address.not-on-alias',
      path: mysqlAddress(0, 'alias'),
      mentions: ['eth0'],
    },
    {
      title: 'a data0 address under a filer',
      doc: filer1With(base(), [{ ...FILER1_MGMT }, onData0('198.51.100.50/24')]),
      code: 'address.owner',
      path: filerAddress(0, 1, 'alias'),
      mentions: ['data0', 'filer1'],
    },
    {
      title: 'a data0.5 address under a filer',
      doc: filer1With(
        [...base(), { name: 'data0.5' }],
        [{ ...FILER1_MGMT }, { alias: 'data0.5', address: '203.0.113.50/24' }],
      ),
      code: 'address.owner',
      path: filerAddress(0, 1, 'alias'),
      mentions: ['data0.5', 'filer1'],
    },
    {
      title: 'an mgmt0 address under a vsvr',
      doc: withVsvrs(vsvrDoc('vs1', { addresses: [{ alias: 'mgmt0', address: '192.0.2.50/24' }] })),
      code: 'address.owner',
      path: vsvrAddress(0, 0, 'alias'),
      mentions: ['mgmt0', 'vs1'],
    },
    {
      title: 'a san0 address under a vsvr',
      doc: withVsvrs(
        vsvrDoc('vs1', { addresses: [{ alias: 'san0', address: '203.0.113.50/24' }] }),
      ),
      code: 'address.owner',
      path: vsvrAddress(0, 0, 'alias'),
      mentions: ['san0', 'vs1'],
    },
    {
      title: 'a MySQL node on data0',
      doc: withMysql(onData0('192.0.2.60/24')),
      code: 'address.owner',
      path: mysqlAddress(0, 'alias'),
      mentions: ['data0', 'MySQLMgmtNode'],
    },
    {
      title: 'a MySQL node on san0',
      doc: withMysql({ alias: 'san0', address: '192.0.2.60/24' }),
      code: 'address.owner',
      path: mysqlAddress(0, 'alias'),
      mentions: ['san0', 'MySQLMgmtNode'],
    },
    {
      title: 'the same IPv4 address on two vsvrs',
      doc: withVsvrs(
        vsvrDoc('vs1', { addresses: [onData0('198.51.100.10/24')] }),
        vsvrDoc('vs2', { addresses: [onData0('198.51.100.10/24')] }),
      ),
      code: 'address.duplicate',
      path: vsvrAddress(1, 0, 'address'),
      mentions: ['198.51.100.10', 'vs1', 'vs2'],
    },
    {
      title: 'the same IPv6 address written two ways on a vsvr and a filer',
      doc: clusterDoc({
        filers: [
          filerDoc('filer1', {
            addresses: [{ alias: 'mgmt0', address: '2001:0db8:0:0:0:0:0:1/64' }],
          }),
          filerDoc('filer2', { addresses: [{ ...FILER2_MGMT }] }),
        ],
        vsvrs: [vsvrDoc('vs1', { addresses: [onData0('2001:db8::1/64')] })],
      }),
      code: 'address.duplicate',
      path: vsvrAddress(0, 0, 'address'),
      mentions: ['2001:db8::1', 'vs1', 'filer1'],
    },
    {
      title: 'the same address with different prefix lengths',
      doc: withVsvrs(
        vsvrDoc('vs1', { addresses: [onData0('198.51.100.10/24')] }),
        vsvrDoc('vs2', { addresses: [onData0('198.51.100.10/25')] }),
      ),
      code: 'address.duplicate',
      path: vsvrAddress(1, 0, 'address'),
      mentions: ['198.51.100.10', 'vs1', 'vs2'],
    },
    {
      title: 'the same address twice on one vsvr',
      doc: withVsvrs(
        vsvrDoc('vs1', { addresses: [onData0('198.51.100.10/24'), onData0('198.51.100.10/24')] }),
      ),
      code: 'address.duplicate',
      path: vsvrAddress(0, 1, 'address'),
      mentions: ['198.51.100.10', 'vs1'],
    },
    {
      title: 'the same mgmt0 address on two filers',
      doc: clusterDoc({
        filers: [
          filerDoc('filer1', { addresses: [{ ...FILER1_MGMT }] }),
          filerDoc('filer2', { addresses: [{ ...FILER1_MGMT }] }),
        ],
      }),
      code: 'address.duplicate',
      path: filerAddress(1, 0, 'address'),
      mentions: ['192.0.2.11', 'filer1', 'filer2'],
    },
    {
      title: 'a MySQL node address that a filer has',
      doc: withMysql({ alias: 'mgmt0', address: '192.0.2.11/24' }),
      code: 'address.duplicate',
      path: mysqlAddress(0, 'address'),
      mentions: ['192.0.2.11', 'MySQLMgmtNode', 'filer1'],
    },
    {
      title: 'the network address of a /24',
      doc: withVsvrs(vsvrDoc('vs1', { addresses: [onData0('198.51.100.0/24')] })),
      code: 'address.host',
      path: vsvrAddress(0, 0, 'address'),
      mentions: ['198.51.100.0', 'network'],
    },
    {
      title: 'the broadcast address of a /24',
      doc: withVsvrs(vsvrDoc('vs1', { addresses: [onData0('198.51.100.255/24')] })),
      code: 'address.host',
      path: vsvrAddress(0, 0, 'address'),
      mentions: ['198.51.100.255', 'broadcast'],
    },
    {
      title: 'a filer’s mgmt0 on a network address',
      doc: filer1With(base(), [{ alias: 'mgmt0', address: '192.0.2.0/24' }]),
      code: 'address.host',
      path: filerAddress(0, 0, 'address'),
      mentions: ['192.0.2.0', 'network', 'filer1'],
    },
    {
      title: 'the IPv6 subnet-router anycast address',
      doc: withVsvrs(vsvrDoc('vs1', { addresses: [onData0('2001:db8::/64')] })),
      code: 'address.host',
      path: vsvrAddress(0, 0, 'address'),
      mentions: ['2001:db8::', 'anycast'],
    },
    {
      title: 'an address without a prefix length',
      doc: withVsvrs(vsvrDoc('vs1', { addresses: [onData0('198.51.100.10')] })),
      code: 'address.invalid',
      path: vsvrAddress(0, 0, 'address'),
      mentions: ['198.51.100.10', 'prefix'],
    },
    {
      title: 'an address with a leading zero in an octet',
      doc: withVsvrs(vsvrDoc('vs1', { addresses: [onData0('198.51.100.010/24')] })),
      code: 'address.invalid',
      path: vsvrAddress(0, 0, 'address'),
      mentions: ['198.51.100.010', 'leading zero'],
    },
    {
      title: 'a filer address on an alias the filer lacks',
      doc: filer1With(base(), [{ ...FILER1_MGMT }, { alias: 'san0', address: '203.0.113.11/24' }]),
      code: 'interface.unknown',
      path: filerAddress(0, 1, 'alias'),
      mentions: ['filer1', 'san0'],
    },
    {
      title: 'a MySQL node on an mgmt# alias no filer has',
      doc: withMysql({ alias: 'mgmt1', address: '192.0.2.60/24' }),
      code: 'interface.unknown',
      path: mysqlAddress(0, 'alias'),
      mentions: ['mgmt1', 'MySQLMgmtNode'],
    },
    {
      title: 'one explicit instance twice on one alias',
      doc: withVsvrs(
        vsvrDoc('vs1', {
          addresses: [
            onData0('198.51.100.10/24', { instance: 1 }),
            onData0('198.51.100.11/24', { instance: 1 }),
          ],
        }),
      ),
      code: 'address.instance',
      path: vsvrAddress(0, 1, 'instance'),
      mentions: ['vs1', 'data0', 'instance 1'],
    },
    {
      title: 'an address mode that is neither static nor dhcp',
      doc: withVsvrs(
        vsvrDoc('vs1', {
          addresses: [odd({ alias: 'data0', address: '198.51.100.10/24', mode: 'fixed' })],
        }),
      ),
      code: 'document.shape',
      path: vsvrAddress(0, 0, 'mode'),
      mentions: ['fixed'],
    },
  ])('refuses $title', (c) => expectRefusal(c));

  it.each<{ title: string; doc: ClusterDocument }>([
    {
      title: 'both addresses of a /31 and a /32',
      doc: withVsvrs(
        vsvrDoc('vs1', { addresses: [onData0('198.51.100.0/31'), onData0('198.51.100.1/31')] }),
        vsvrDoc('vs2', { addresses: [onData0('198.51.100.2/32')] }),
      ),
    },
    {
      title: 'a MySQL node on mgmt0',
      doc: withMysql({ alias: 'mgmt0', address: '192.0.2.60/24' }),
    },
    {
      title: 'one address per family on one alias',
      doc: withVsvrs(
        vsvrDoc('vs1', { addresses: [onData0('198.51.100.10/24'), onData0('2001:db8::10/64')] }),
      ),
    },
  ])('accepts $title', ({ doc }) => {
    expect(check(doc).problems).toEqual([]);
  });

  it('numbers implicit instances from 0 per alias (§5.2.6.3)', () => {
    const doc = bothWith([...base(), { name: 'data0.5' }], {
      vsvrs: [
        vsvrDoc('vs1', {
          addresses: [
            onData0('198.51.100.10/24'),
            { alias: 'data0.5', address: '203.0.113.10/24' },
            onData0('198.51.100.11/24'),
            { alias: 'data0.5', address: '203.0.113.11/24' },
          ],
        }),
      ],
    });
    const { cluster, analysis, problems } = check(doc);
    expect(problems).toEqual([]);
    const rows = addressTable(cluster, analysis).filter((r) => r.ownerKind === 'vsvr');
    expect(rows.map((r) => [r.identifier, r.address])).toEqual([
      ['00:07:34:04:12:0e:data0:vs1:0', '198.51.100.10/24'],
      ['00:07:34:04:12:0e:data0.5:vs1:0', '203.0.113.10/24'],
      ['00:07:34:04:12:0e:data0:vs1:1', '198.51.100.11/24'],
      ['00:07:34:04:12:0e:data0.5:vs1:1', '203.0.113.11/24'],
    ]);
  });

  it('gives an implicit instance the lowest number no explicit one has', () => {
    const doc = withVsvrs(
      vsvrDoc('vs1', {
        addresses: [onData0('198.51.100.10/24'), onData0('198.51.100.11/24', { instance: 0 })],
      }),
    );
    const { cluster, analysis, problems } = check(doc);
    expect(problems).toEqual([]);
    expect(
      addressTable(cluster, analysis)
        .filter((r) => r.owner === 'vs1')
        .map((r) => r.identifier),
    ).toEqual(['00:07:34:04:12:0e:data0:vs1:1', '00:07:34:04:12:0e:data0:vs1:0']);
  });
});
