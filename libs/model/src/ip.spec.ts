import { describe, expect, it } from '@jest/globals';
import type { Cidr } from './ip.js';
import {
  contains,
  formatCidr,
  overlaps,
  parseCidr,
  parseIp,
  subnetOf,
  unusableHostReason,
} from './ip.js';

/** A CIDR the test knows is valid; fails the test loudly if it is not. */
function cidr(text: string): Cidr {
  const result = parseCidr(text);
  if (!result.ok) {
    throw new Error(`test fixture ${text} does not parse: ${result.reason}`);
  }
  return result.value;
}

/** §5.2.3: addresses are compared in canonical form, so two spellings are one address. */
describe('parseCidr', () => {
  it.each<{ input: string; family: 4 | 6; ip: string; prefix: number }>([
    { input: '2001:0DB8:0:0::1/64', family: 6, ip: '2001:db8::1', prefix: 64 },
    { input: '2001:db8:0:0:0:0:0:1/64', family: 6, ip: '2001:db8::1', prefix: 64 },
    {
      input: '2001:DB8:0000:0000:0000:0000:0000:0001/64',
      family: 6,
      ip: '2001:db8::1',
      prefix: 64,
    },
    { input: '2001:DB8::A/64', family: 6, ip: '2001:db8::a', prefix: 64 },
    // RFC 5952: the longest run of zeros is compressed, the first of equal runs, never one field.
    { input: '2001:db8:0:1:0:0:0:1/64', family: 6, ip: '2001:db8:0:1::1', prefix: 64 },
    { input: '2001:db8:0:0:1:0:0:1/64', family: 6, ip: '2001:db8::1:0:0:1', prefix: 64 },
    { input: '2001:db8:0:1:1:1:1:1/64', family: 6, ip: '2001:db8:0:1:1:1:1:1', prefix: 64 },
    { input: '::/0', family: 6, ip: '::', prefix: 0 },
    { input: '::1/128', family: 6, ip: '::1', prefix: 128 },
    { input: 'fe80::1/64', family: 6, ip: 'fe80::1', prefix: 64 },
    { input: '10.2.2.1/24', family: 4, ip: '10.2.2.1', prefix: 24 },
    { input: ' 10.2.2.1/24 ', family: 4, ip: '10.2.2.1', prefix: 24 },
    { input: '0.0.0.0/0', family: 4, ip: '0.0.0.0', prefix: 0 },
    { input: '10.0.0.1/32', family: 4, ip: '10.0.0.1', prefix: 32 },
    { input: '10.0.0.0/8', family: 4, ip: '10.0.0.0', prefix: 8 },
  ])('reads $input as $ip/$prefix', ({ input, family, ip, prefix }) => {
    const result = parseCidr(input);
    expect(
      result.ok && {
        family: result.value.family,
        ip: result.value.ip,
        prefix: result.value.prefix,
      },
    ).toEqual({
      family,
      ip,
      prefix,
    });
    expect(result.ok && formatCidr(result.value)).toBe(`${ip}/${prefix}`);
  });

  it('gives two spellings of one address the same value', () => {
    expect(cidr('2001:0DB8:0:0::1/64').value).toBe(cidr('2001:db8::1/64').value);
    expect(cidr('2001:db8::1/64').value).not.toBe(cidr('2001:db8::2/64').value);
    expect(cidr('10.2.2.1/24').value).toBe(0x0a020201n);
  });

  it.each<{ input: string; reason: RegExp }>([
    { input: '010.2.2.1/24', reason: /leading zero/ },
    { input: '10.02.2.1/24', reason: /leading zero/ },
    { input: '10.2.2.001/24', reason: /leading zero/ },
    { input: '10.2.2.1', reason: /"10\.2\.2\.1".*no prefix length/ },
    { input: '2001:db8::1', reason: /no prefix length/ },
    { input: '10.2.2.1/', reason: /prefix length between 0 and 32/ },
    { input: '10.2.2.1/33', reason: /"\/33".*between 0 and 32/ },
    { input: '10.2.2.1/024', reason: /"\/024".*between 0 and 32/ },
    { input: '10.2.2.1/-1', reason: /between 0 and 32/ },
    { input: '10.2.2.1/2.4', reason: /between 0 and 32/ },
    { input: '10.2.2.1/24/24', reason: /between 0 and 32/ },
    { input: '2001:db8::1/129', reason: /"\/129".*between 0 and 128/ },
    { input: '::ffff:10.0.0.1/128', reason: /IPv4-mapped/ },
    { input: '::ffff:0a00:0001/96', reason: /IPv4-mapped/ },
    { input: 'fe80::1%eth0/64', reason: /"fe80::1%eth0"/ },
    { input: 'fe80::1%1/64', reason: /"fe80::1%1"/ },
    { input: '10.2.2.256/24', reason: /"10\.2\.2\.256".*not an IPv4 or IPv6 address/ },
    { input: '10.2.2/24', reason: /not an IPv4 or IPv6 address/ },
    { input: '1.2.3.4.5/24', reason: /not an IPv4 or IPv6 address/ },
    { input: '0x0a.0.0.1/8', reason: /not an IPv4 or IPv6 address/ },
    { input: '2001:db8:::1/64', reason: /not an IPv4 or IPv6 address/ },
    { input: 'default', reason: /no prefix length/ },
    { input: '', reason: /no prefix length/ },
  ])('refuses "$input"', ({ input, reason }) => {
    const result = parseCidr(input);
    expect(result.ok).toBe(false);
    expect(result.ok ? undefined : result.reason).toMatch(reason);
  });
});

describe('parseIp', () => {
  it.each<{ input: string; family: 4 | 6; ip: string }>([
    { input: '10.0.0.1', family: 4, ip: '10.0.0.1' },
    { input: '0.0.0.0', family: 4, ip: '0.0.0.0' },
    { input: '255.255.255.255', family: 4, ip: '255.255.255.255' },
    { input: '2001:DB8::1', family: 6, ip: '2001:db8::1' },
    { input: '2001:0db8:0:0:0:0:0:1', family: 6, ip: '2001:db8::1' },
  ])('reads $input as $ip', ({ input, family, ip }) => {
    const result = parseIp(input);
    expect(result.ok && { family: result.value.family, ip: result.value.ip }).toEqual({
      family,
      ip,
    });
  });

  it.each<{ input: string; reason: RegExp }>([
    { input: '0177.0.0.1', reason: /"0177\.0\.0\.1"/ },
    { input: '10.0.0.01', reason: /leading zero/ },
    { input: '10.0.0.1/24', reason: /"10\.0\.0\.1\/24"/ },
    { input: '::ffff:1.2.3.4', reason: /IPv4-mapped/ },
    { input: 'fe80::1%1', reason: /"fe80::1%1"/ },
    { input: 'fe80::1%eth0', reason: /"fe80::1%eth0"/ },
    { input: '1.2.3', reason: /not an IPv4 or IPv6 address/ },
    { input: '', reason: /not an IPv4 or IPv6 address/ },
  ])('refuses "$input"', ({ input, reason }) => {
    const result = parseIp(input);
    expect(result.ok).toBe(false);
    expect(result.ok ? undefined : result.reason).toMatch(reason);
  });
});

describe('subnetOf', () => {
  it.each([
    ['10.2.2.1/24', '10.2.2.0/24'],
    ['10.2.2.77/26', '10.2.2.64/26'],
    ['10.2.2.1/32', '10.2.2.1/32'],
    ['10.2.2.1/0', '0.0.0.0/0'],
    ['2001:db8::1/64', '2001:db8::/64'],
    ['2001:DB8:0:0:1::1/48', '2001:db8::/48'],
    ['2001:db8::1/128', '2001:db8::1/128'],
  ])('%s lies in %s', (address, subnet) => {
    expect(subnetOf(cidr(address))).toBe(subnet);
  });
});

describe('contains', () => {
  it.each<[string, string, boolean]>([
    ['10.2.2.0/24', '10.2.2.0/32', true],
    ['10.2.2.0/24', '10.2.2.255/32', true],
    ['10.2.2.0/24', '10.2.3.0/32', false],
    ['10.2.2.1/24', '10.2.2.200/32', true],
    ['0.0.0.0/0', '203.0.113.9/32', true],
    ['2001:db8::/64', '2001:db8::ffff:ffff:ffff:ffff/128', true],
    ['2001:db8::/64', '2001:db8:0:1::1/128', false],
    ['::/0', '10.0.0.1/32', false],
    ['0.0.0.0/0', '::a02:201/128', false],
  ])('%s contains %s: %s', (net, ip, expected) => {
    expect(contains(cidr(net), cidr(ip))).toBe(expected);
  });
});

describe('overlaps', () => {
  it.each<[string, string, boolean]>([
    ['10.0.0.0/8', '10.2.0.0/16', true],
    ['10.2.0.0/16', '10.0.0.0/8', true],
    ['10.2.0.0/24', '10.2.0.0/24', true],
    ['10.2.0.0/23', '10.2.1.0/24', true],
    ['10.2.0.0/24', '10.2.1.0/24', false],
    ['10.0.0.0/31', '10.0.0.1/32', true],
    ['10.0.0.0/31', '10.0.0.2/32', false],
    ['2001:db8::/32', '2001:db8:1::/48', true],
    ['2001:db8::/48', '2001:db8:1::/48', false],
    ['0.0.0.0/0', '::/0', false],
  ])('%s and %s: %s', (a, b, expected) => {
    expect(overlaps(cidr(a), cidr(b))).toBe(expected);
  });
});

describe('unusableHostReason', () => {
  it.each<[string, RegExp]>([
    ['10.2.2.0/24', /10\.2\.2\.0 is the network address of 10\.2\.2\.0\/24/],
    ['10.2.2.255/24', /10\.2\.2\.255 is the broadcast address of 10\.2\.2\.0\/24/],
    ['10.2.2.0/30', /network address/],
    ['10.2.2.3/30', /broadcast address/],
    ['2001:db8::/64', /2001:db8:: is the subnet-router anycast address of 2001:db8::\/64/],
    ['2001:db8::/126', /subnet-router anycast/],
  ])('refuses %s as a host address', (address, reason) => {
    expect(unusableHostReason(cidr(address))).toMatch(reason);
  });

  it.each([
    '10.2.2.1/24',
    '10.2.2.254/24',
    '10.2.2.1/30',
    // RFC 3021: a /31 is a point-to-point link; both addresses are hosts.
    '10.2.2.0/31',
    '10.2.2.1/31',
    '10.2.2.0/32',
    '10.2.2.255/32',
    '2001:db8::1/64',
    // IPv6 has no broadcast address.
    '2001:db8::ffff:ffff:ffff:ffff/64',
    // RFC 6164: /127 point-to-point links have no subnet-router anycast address.
    '2001:db8::/127',
    '2001:db8::/128',
  ])('accepts %s as a host address', (address) => {
    expect(unusableHostReason(cidr(address))).toBeUndefined();
  });
});
