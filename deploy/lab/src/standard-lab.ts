import type { LabDescription } from './lab-description.js';

/** Segments of the standard lab and the subnets the README documents for them. */
export const STANDARD_SEGMENTS = ['mgmt', 'data0', 'data1'] as const;

/**
 * The lab `main.ts up` builds: `filers` filers, each with eth0 on mgmt, eth1 on data0 and eth2
 * on data1, and one client per segment (`cmgmt`, `cdata0`, `cdata1`) at .100 of the segment's
 * subnets: mgmt 198.18.0.0/24 and 2001:db8:0:1::/64, data0 198.18.10.0/24 and
 * 2001:db8:0:10::/64, data1 198.18.11.0/24 and 2001:db8:0:11::/64.
 */
export function standardLab(prefix: string, filers: number): LabDescription {
  if (!Number.isInteger(filers) || filers < 1 || filers > 16) {
    throw new RangeError(`--filers must be 1 to 16, not ${filers}`);
  }
  return {
    prefix,
    segments: [...STANDARD_SEGMENTS],
    filers: Array.from({ length: filers }, (_, i) => ({
      name: `filer${i + 1}`,
      ports: STANDARD_SEGMENTS.map((segment, p) => ({ eth: `eth${p}`, segment })),
    })),
    clients: [
      { name: 'cmgmt', segment: 'mgmt', addresses: ['198.18.0.100/24', '2001:db8:0:1::100/64'] },
      {
        name: 'cdata0',
        segment: 'data0',
        addresses: ['198.18.10.100/24', '2001:db8:0:10::100/64'],
      },
      {
        name: 'cdata1',
        segment: 'data1',
        addresses: ['198.18.11.100/24', '2001:db8:0:11::100/64'],
      },
    ],
  };
}
