/**
 * Small cluster documents for the CLI's tests. Each keeps to one story, so a test can say
 * which line it expects a problem on by quoting the text written there.
 */

/** Valid. VsvrB uses data1, which only Filer1 has, so it can only run on Filer1. */
export const TWO_FILERS = `apiVersion: vsnet/v1
kind: Cluster
cluster: { name: demo, mac: "00:07:34:04:12:0E" }
filers:
  - name: Filer1
    interfaces:
      - { name: eth0, mac: "00:07:34:00:01:00" }
      - { name: eth1, mac: "00:07:34:00:01:01" }
      - { name: mgmt0, on: eth0 }
      - { name: data0, on: eth0 }
      - { name: data1, on: eth1 }
    addresses:
      - { alias: mgmt0, address: 192.0.2.10/24 }
  - name: Filer2
    interfaces:
      - { name: eth0, mac: "00:07:34:00:02:00" }
      - { name: mgmt0, on: eth0 }
      - { name: data0, on: eth0 }
    addresses:
      - { alias: mgmt0, address: 192.0.2.11/24 }
vsvrs:
  - name: VsvrA
    failoverGroup: [Filer1, Filer2]
    addresses:
      - { alias: data0, address: 198.51.100.10/24 }
      - { alias: data0, address: 198.51.100.11/24 }
  - name: VsvrB
    addresses:
      - { alias: data1, address: 203.0.113.10/24 }
`;

/**
 * Errors: Filer3 has no interfaces, VsvrA's group names Filer2 which has no data0, one
 * address repeats Filer1's and another is not an address.
 */
export const BROKEN = `apiVersion: vsnet/v1
kind: Cluster
cluster: { name: demo, mac: "00:07:34:04:12:0E" }
filers:
  - name: Filer1
    interfaces:
      - { name: eth0, mac: "00:07:34:00:01:00" }
      - { name: mgmt0, on: eth0 }
      - { name: data0, on: eth0 }
    addresses:
      - { alias: mgmt0, address: 192.0.2.10/24 }
  - name: Filer2
    interfaces:
      - { name: eth0, mac: "00:07:34:00:02:00" }
      - { name: mgmt0, on: eth0 }
    addresses:
      - { alias: mgmt0, address: 192.0.2.11/24 }
  - name: Filer3
vsvrs:
  - name: VsvrA
    failoverGroup: [Filer1, Filer2]
    addresses:
      - { alias: data0, address: 192.0.2.10/24 }
      - { alias: data0, address: 198.51.100.300/24 }
`;

/** Valid but with a warning: data0 is untagged on Filer1 and on VLAN 10 on Filer2. */
export const WARNING_ONLY = `apiVersion: vsnet/v1
kind: Cluster
cluster: { mac: "00:07:34:04:12:0E" }
filers:
  - name: Filer1
    interfaces:
      - { name: eth0, mac: "00:07:34:00:01:00" }
      - { name: data0, on: eth0 }
  - name: Filer2
    interfaces:
      - { name: eth0, mac: "00:07:34:00:02:00" }
      - { name: eth0.10 }
      - { name: data0, on: eth0.10 }
`;

/** The first document as JSON, as another tool would write it. */
export const TWO_FILERS_JSON = JSON.stringify(
  {
    apiVersion: 'vsnet/v1',
    kind: 'Cluster',
    cluster: { name: 'demo', mac: '00:07:34:04:12:0E' },
    filers: [
      {
        name: 'Filer1',
        interfaces: [
          { name: 'eth0', mac: '00:07:34:00:01:00' },
          { name: 'data0', on: 'eth0' },
        ],
      },
    ],
    vsvrs: [{ name: 'VsvrA', addresses: [{ alias: 'data0', address: '198.51.100.300/24' }] }],
  },
  null,
  '\t',
);

/** Where `needle` first appears in `text`, 1-based, as an editor shows it. */
export function positionOf(text: string, needle: string): { line: number; column: number } {
  const lines = text.split('\n');
  const index = lines.findIndex((l) => l.includes(needle));
  if (index < 0) {
    throw new Error(`"${needle}" is not in the document`);
  }
  return { line: index + 1, column: (lines[index] ?? '').indexOf(needle) + 1 };
}
