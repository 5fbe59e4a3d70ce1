import { describe, expect, it } from '@jest/globals';
import { parseFailuresByFile } from './batch-program.js';
import { parseBatchFailures } from './ip-batch.js';
import { splitJsonDocuments, toAddresses, toLinks, toRoutes, toRules } from './ip-json.js';
import { parseSnmp } from './snmp.js';

/** Output captured from iproute2 6.1 on the lab kernel (trimmed to the fields read). */
const BATCH_OUTPUT =
  '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK"],"mtu":65536,"link_type":"loopback","address":"00:00:00:00:00:00"},' +
  '{"ifindex":2,"link_index":3,"ifname":"data0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1400,"link_type":"ether","address":"02:00:00:00:00:01","link_netnsid":0,' +
  '"linkinfo":{"info_kind":"macvlan","info_data":{"mode":"bridge","bcqueuelen":1000}}}]\n' +
  '[{"ifname":"lo","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host"}]},' +
  '{"ifname":"data0","addr_info":[{"family":"inet","local":"198.18.1.21","prefixlen":24,"scope":"global"},' +
  '{"family":"inet6","local":"2001:db8:0:2::21","prefixlen":64,"scope":"global","nodad":true},' +
  '{"family":"inet6","local":"fe80::ff:fe00:a","prefixlen":64,"scope":"link"}]}]\n' +
  '[{"dst":"default","gateway":"198.18.1.1","dev":"data0","protocol":"static","flags":[]},' +
  '{"dst":"198.18.1.0/24","dev":"data0","protocol":"kernel","scope":"link","prefsrc":"198.18.1.21","flags":[]},' +
  '{"type":"local","dst":"198.18.1.21","dev":"data0","table":"local","protocol":"kernel"},' +
  '{"dst":"default","gateway":"2001:db8:0:2::1","dev":"data0","table":"1000000","protocol":"static","metric":1024,"pref":"medium"},' +
  '{"type":"multicast","dst":"ff00::/8","dev":"data0","table":"local","protocol":"kernel","metric":256}]\n';

describe('ip -json parsing', () => {
  const docs = splitJsonDocuments(BATCH_OUTPUT) as never[][];

  it('splits back-to-back documents, strings with brackets included', () => {
    expect(docs).toHaveLength(3);
    expect(splitJsonDocuments('[{"a":"]["}]\n[]')).toEqual([[{ a: '][' }], []]);
  });

  it('reads a vsvr macvlan whose lower is in the filer namespace (by index)', () => {
    expect(toLinks('vs-a', docs[0] ?? [], new Map([[3, 'eth1']]))).toEqual([
      {
        namespace: 'vs-a',
        name: 'lo',
        kind: 'loopback',
        mtu: 65536,
        mac: '00:00:00:00:00:00',
        up: false,
      },
      {
        namespace: 'vs-a',
        name: 'data0',
        kind: 'macvlan',
        mtu: 1400,
        mac: '02:00:00:00:00:01',
        up: true,
        lower: 'eth1',
        lowerNamespace: '',
        mode: 'bridge',
      },
    ]);
  });

  it('keeps global addresses only, canonical', () => {
    expect(toAddresses('vs-a', docs[1] ?? [])).toEqual([
      { namespace: 'vs-a', dev: 'data0', address: '198.18.1.21/24' },
      { namespace: 'vs-a', dev: 'data0', address: '2001:db8:0:2::21/64' },
    ]);
  });

  it('keeps unicast routes not made by the kernel; default is spelled per family', () => {
    expect(toRoutes('vs-a', docs[2] ?? [])).toEqual([
      { namespace: 'vs-a', table: 254, to: '0.0.0.0/0', dev: 'data0', via: '198.18.1.1' },
      {
        namespace: 'vs-a',
        table: 1000000,
        to: '::/0',
        dev: 'data0',
        via: '2001:db8:0:2::1',
        metric: 1024,
      },
    ]);
  });

  it('reads source rules, not `from all` ones', () => {
    expect(
      toRules('', [
        { priority: 0, src: 'all', table: 'local' },
        { priority: 10000, src: '198.18.0.11', table: '1000000' },
        { priority: 10000, src: '2001:db8:0:1::11', table: '1000000' },
      ]),
    ).toEqual([
      { namespace: '', priority: 10000, from: '198.18.0.11/32', table: 1000000 },
      { namespace: '', priority: 10000, from: '2001:db8:0:1::11/128', table: 1000000 },
    ]);
  });
});

describe('ip -force -batch error mapping', () => {
  it('charges each error to its line', () => {
    const stderr =
      'Error: ipv4: Address already assigned.\nCommand failed -:2\nCannot find device "nosuch"\nCommand failed -:3\n';
    expect(parseBatchFailures(stderr)).toEqual(
      new Map([
        [2, 'Error: ipv4: Address already assigned.'],
        [3, 'Cannot find device "nosuch"'],
      ]),
    );
  });
});

describe('outer batch error mapping (netns exec NS ip -batch FILE)', () => {
  it('tells the inner files and the outer lines apart', () => {
    const stderr =
      'Error: Nexthop has invalid gateway.\nCommand failed /tmp/x/2.batch:4\nCommand failed -:3\n' +
      'Cannot open network namespace "vs-gone": No such file or directory\nCommand failed -:5\n';
    expect(parseFailuresByFile(stderr)).toEqual(
      new Map([
        ['/tmp/x/2.batch', new Map([[4, 'Error: Nexthop has invalid gateway.']])],
        [
          '-',
          new Map([
            [3, 'failed'],
            [5, 'Cannot open network namespace "vs-gone": No such file or directory'],
          ]),
        ],
      ]),
    );
  });
});

describe('/proc/net/snmp parsing', () => {
  it('reads IP, TCP and UDP counters of both families', () => {
    const text =
      'Ip: Forwarding DefaultTTL InReceives\nIp: 2 64 17\nTcp: RtoAlgorithm ActiveOpens PassiveOpens\nTcp: 1 0 3\n' +
      'Udp: InDatagrams NoPorts\nUdp: 4 1\nIp6InReceives                   \t9\nUdp6InDatagrams                 \t2\n';
    expect(parseSnmp(text)).toEqual({
      ip: { Forwarding: 2, DefaultTTL: 64, InReceives: 17, Ip6InReceives: 9 },
      tcp: { RtoAlgorithm: 1, ActiveOpens: 0, PassiveOpens: 3 },
      udp: { InDatagrams: 4, NoPorts: 1, Udp6InDatagrams: 2 },
    });
  });
});
