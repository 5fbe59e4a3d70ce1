import { describe, expect, it } from '@jest/globals';
import { isMulticastMac, isZeroMac, normalizeMac } from './mac.js';

/** §5.2.4: MACs are stored lower case and colon separated, whatever form they were written in. */
describe('normalizeMac', () => {
  it.each([
    ['00:07:34:04:12:0e', '00:07:34:04:12:0e'],
    ['00:07:34:04:12:0E', '00:07:34:04:12:0e'],
    ['AA:BB:CC:DD:EE:FF', 'aa:bb:cc:dd:ee:ff'],
    ['00-07-34-04-12-0e', '00:07:34:04:12:0e'],
    ['00-07-34-04-12-0E', '00:07:34:04:12:0e'],
    ['0007.3404.120e', '00:07:34:04:12:0e'],
    ['0007.3404.120E', '00:07:34:04:12:0e'],
    [' 00:07:34:04:12:0e ', '00:07:34:04:12:0e'],
  ])('%s → %s', (input, stored) => {
    expect(normalizeMac(input)).toBe(stored);
  });

  it.each([
    '',
    'not a mac',
    '00:07:34:04:12',
    '00:07:34:04:12:0e:00',
    '00:07:34:04:12:0g',
    '0:7:34:4:12:e',
    '000:07:34:04:12:0e',
    '0007.3404.120',
    '0007.3404.120e.0000',
    '0007:3404:120e',
    '00.07.34.04.12.0e',
    '00 07 34 04 12 0e',
  ])('refuses "%s"', (input) => {
    expect(normalizeMac(input)).toBeUndefined();
  });
});

describe('isMulticastMac and isZeroMac', () => {
  it.each<[string, boolean, boolean]>([
    ['00:07:34:04:12:0e', false, false],
    ['02:00:00:00:00:01', false, false],
    ['01:00:5e:00:00:01', true, false],
    ['33:33:00:00:00:01', true, false],
    ['ff:ff:ff:ff:ff:ff', true, false],
    ['00:00:00:00:00:00', false, true],
  ])('%s: multicast %s, all zeros %s', (mac, multicast, zero) => {
    expect(isMulticastMac(mac)).toBe(multicast);
    expect(isZeroMac(mac)).toBe(zero);
  });
});
