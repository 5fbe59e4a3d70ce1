import type { NodeSpec } from '@vsnet/model';
import type { ApplyReport, ObservedState } from '../driver.js';
import { createLinuxDriver, type LinuxDriver } from '../linux/linux.driver.js';
import {
  createLabNetwork,
  namespacesStartingWith,
  removeNamespaces,
  removeStaleLabs,
  type LabNetwork,
} from './lab-network.js';
import { SMALL_CLUSTER_CLIENT, smallClusterDocument } from './small-cluster.js';
import { compileSpecs } from './specs.js';

/** A kernel test's lab: the small cluster's filer1 built by the linux driver in namespaces. */
export interface DataplaneLab {
  readonly prefix: string;
  readonly network: LabNetwork;
  /** Reads the kernel on every inspect (reuseReadMs 0): tests see the kernel, not a view. */
  readonly driver: LinuxDriver;
  readonly filer1: NodeSpec;
  /** Full name of a vsvr's namespace. */
  ns(vsvr: string): string;
  reconcile(spec: NodeSpec): Promise<ApplyReport>;
  /** Ends announcements and deletes every namespace with the prefix; returns what is left. */
  close(): Promise<string[]>;
}

export const LAB_TIMEOUT_MS = 10_000;

/** Removes stale labs of `root`, builds a fresh one named `<root><pid>-…`. */
export async function startDataplaneLab(root: string): Promise<DataplaneLab> {
  const prefix = `${root}${process.pid}-`;
  await removeStaleLabs(root);
  await removeNamespaces(prefix);
  const network = await createLabNetwork(
    prefix,
    SMALL_CLUSTER_CLIENT.eth0,
    SMALL_CLUSTER_CLIENT.lo,
  );
  const driver = createLinuxDriver({
    filerNamespace: network.filer,
    namespacePrefix: prefix,
    timeoutMs: LAB_TIMEOUT_MS,
    reuseReadMs: 0,
  });
  const [filer1] = compileSpecs(smallClusterDocument()) as [NodeSpec];
  return {
    prefix,
    network,
    driver,
    filer1,
    ns: (vsvr) => `${prefix}vs-${vsvr}`,
    reconcile: async (spec) => driver.apply(driver.plan(spec, await driver.inspect())),
    close: async () => {
      await driver.announcementsIdle();
      await removeNamespaces(prefix);
      return namespacesStartingWith(prefix);
    },
  };
}

/** `spec` with `change` applied to one vsvr (undefined removes it). */
export function withVsvr(
  spec: NodeSpec,
  name: string,
  change: (v: NodeSpec['vsvrs'][number]) => NodeSpec['vsvrs'][number] | undefined,
): NodeSpec {
  return {
    ...spec,
    vsvrs: spec.vsvrs.flatMap((v) => {
      if (v.name !== name) {
        return [v];
      }
      const changed = change(v);
      return changed === undefined ? [] : [changed];
    }),
  };
}

/** An observed state in a stable order, filer alias MACs aside (random in the kernel). */
export function comparable(state: ObservedState): unknown {
  const by = (x: unknown): string => JSON.stringify(x);
  const order = <T>(xs: readonly T[]): T[] => [...xs].sort((a, b) => by(a).localeCompare(by(b)));
  return {
    namespaces: [...state.namespaces].sort(),
    links: order(state.links.map(({ mac: _mac, ...l }) => l)),
    addresses: order(state.addresses),
    routes: order(state.routes),
    rules: order(state.rules),
  };
}
