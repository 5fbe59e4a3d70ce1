import type { ClusterDocument } from '@vsnet/model';
import type { LabDescription } from '../../lab/src/lab-description.js';
import { ipBatch } from '../../lab/src/run.js';

/** The client namespaces `npm start` builds, by the segment each is plugged into. */
export const LOCAL_CLIENTS = { mgmt: 'cmgmt', data0: 'cdata0', data1: 'cdata1' } as const;

/**
 * The lab deploy/examples/local-cluster.yaml is written for: filer1 and filer2 with a port on
 * each segment (eth0 mgmt, eth1 data0, eth2 data1), filer3 with its single port on data0, and a
 * client per segment at .100 of each of the segment's subnets.
 */
export function localLab(prefix: string): LabDescription {
  const threePorts = [
    { eth: 'eth0', segment: 'mgmt' },
    { eth: 'eth1', segment: 'data0' },
    { eth: 'eth2', segment: 'data1' },
  ];
  return {
    prefix,
    segments: ['mgmt', 'data0', 'data1'],
    filers: [
      { name: 'filer1', ports: threePorts },
      { name: 'filer2', ports: threePorts },
      { name: 'filer3', ports: [{ eth: 'eth0', segment: 'data0' }] },
    ],
    clients: [
      {
        name: LOCAL_CLIENTS.mgmt,
        segment: 'mgmt',
        addresses: ['198.18.0.100/24', '2001:db8:0:1::100/64'],
      },
      {
        name: LOCAL_CLIENTS.data0,
        segment: 'data0',
        addresses: [
          '198.18.10.100/24',
          '2001:db8:0:10::100/64',
          '198.18.3.100/24',
          '2001:db8:0:3::100/64',
          '198.18.20.100/24',
        ],
      },
      {
        name: LOCAL_CLIENTS.data1,
        segment: 'data1',
        addresses: ['198.18.11.100/24', '2001:db8:0:11::100/64'],
      },
    ],
  };
}

/**
 * Gives each lab filer's ports the MACs the document declares for them, so what its agent reads
 * from the kernel when it joins is what the stored filer says. Ports the document gives no MAC
 * keep the kernel's.
 */
export async function giveDocumentMacs(
  doc: ClusterDocument,
  lab: LabDescription,
  filerNamespace: (filer: string) => string,
): Promise<void> {
  await Promise.all(
    lab.filers.map(async (filer) => {
      const declared = doc.filers.find((f) => f.name.toLowerCase() === filer.name.toLowerCase());
      const lines = filer.ports.flatMap((p) => {
        const mac = declared?.interfaces.find((i) => i.name === p.eth)?.mac;
        return mac === undefined ? [] : [`link set dev ${p.eth} address ${mac}`];
      });
      if (lines.length > 0) {
        await ipBatch(lines, { namespace: filerNamespace(filer.name) });
      }
    }),
  );
}

/**
 * `eth0=MAC,eth1=MAC` of a filer's ports the document gives MACs, for a dry-run agent
 * (VSNET_AGENT_JOIN_INTERFACES): it has no kernel to read them from when it joins.
 */
export function declaredPorts(doc: ClusterDocument, filer: string): string {
  const declared = doc.filers.find((f) => f.name.toLowerCase() === filer.toLowerCase());
  return (declared?.interfaces ?? [])
    .flatMap((i) => (i.mac !== undefined && /^eth\d+$/.test(i.name) ? [`${i.name}=${i.mac}`] : []))
    .join(',');
}

/** The first IPv4 address of a vsvr in the document (without its prefix), to ping. */
export function firstVsvrAddress(doc: ClusterDocument): { vsvr: string; address: string } {
  for (const v of doc.vsvrs ?? []) {
    const a = (v.addresses ?? []).find((x) => !x.address.includes(':'));
    if (a !== undefined) {
      return { vsvr: v.name, address: a.address.slice(0, a.address.indexOf('/')) };
    }
  }
  throw new Error('the cluster document has no vsvr with an IPv4 address to try');
}
