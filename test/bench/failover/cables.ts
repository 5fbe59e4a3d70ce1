/**
 * A filer's cables in the lab's switch namespace: pulling them is how the benchmark loses a
 * filer (its frames stop at the switch at once), plugging them back is how it heals one.
 */
import type { Lab } from '../../../deploy/lab/src/lab.js';
import { ipBatch, ipJson } from '../../../deploy/lab/src/run.js';

const CABLE_TIMEOUT_MS = 5_000;

/** The switch-side veth ends of `filer`'s ports (`f<index>-<eth>`, as Lab.build names them). */
export function switchPorts(lab: Lab, filer: string): string[] {
  const index = lab.description.filers.findIndex((f) => f.name === filer);
  const found = lab.description.filers[index];
  if (found === undefined) {
    throw new RangeError(`lab ${lab.prefix} has no filer ${filer}`);
  }
  return found.ports.map((p) => `f${index + 1}-${p.eth}`);
}

/** Takes every port of `filer` down in the switch namespace: one `ip` process. */
export async function cutCables(lab: Lab, filer: string): Promise<void> {
  await ipBatch(
    switchPorts(lab, filer).map((p) => `link set ${p} down`),
    { namespace: lab.switchNamespace },
  );
}

interface LinkState {
  readonly ifname: string;
  readonly operstate?: string;
  readonly linkinfo?: { readonly info_slave_data?: { readonly state?: string } };
}

/**
 * Brings `filer`'s ports up again and waits until they carry frames: the carrier reaches a
 * veth end through the kernel's link watch, up to a second after `link set up`, and only then
 * does the bridge port forward.
 */
export async function plugCables(lab: Lab, filer: string): Promise<void> {
  const ports = switchPorts(lab, filer);
  await ipBatch(
    ports.map((p) => `link set ${p} up`),
    { namespace: lab.switchNamespace },
  );
  const eths = lab.description.filers.find((f) => f.name === filer)?.ports.map((p) => p.eth);
  const deadline = performance.now() + CABLE_TIMEOUT_MS;
  for (;;) {
    const [switchLinks, filerLinks] = await Promise.all([
      ipJson<LinkState>(['-d', '-n', lab.switchNamespace, 'link', 'show']),
      ipJson<LinkState>(['-n', lab.filerNamespace(filer), 'link', 'show']),
    ]);
    const waiting = [
      ...ports.filter((p) => {
        const l = switchLinks.find((x) => x.ifname === p);
        return l?.operstate !== 'UP' || l.linkinfo?.info_slave_data?.state !== 'forwarding';
      }),
      ...(eths ?? []).filter((e) => filerLinks.find((x) => x.ifname === e)?.operstate !== 'UP'),
    ];
    if (waiting.length === 0) {
      return;
    }
    if (performance.now() > deadline) {
      throw new Error(`${filer}: ${waiting.join(', ')} not up and forwarding after plugging in`);
    }
    await sleep(20);
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
