import type { NodeSpec } from '@vsnet/model';
import { compileLab, labCluster } from './lab-cluster.js';

type Specs = Map<string, NodeSpec>;

/**
 * The lab cluster through the agent tests' three generations, each compiled for every filer:
 * 1. as `labCluster()` describes it;
 * 2. `sales` taken out of the cluster;
 * 3. `eng` gets routes of its own: another default gateway, and a route over data1.
 */
export function labGenerations(): { GEN1: Specs; GEN2: Specs; GEN3: Specs } {
  const withoutSales = labCluster().vsvrs?.filter((v) => v.name !== 'sales') ?? [];
  return {
    GEN1: compileLab(labCluster()),
    GEN2: compileLab(labCluster({ vsvrs: withoutSales })),
    GEN3: compileLab(
      labCluster({
        vsvrs: withoutSales.map((v) =>
          v.name === 'eng'
            ? {
                ...v,
                routes: [
                  { to: 'default', via: '198.18.10.254' },
                  { to: '198.19.5.0/24', via: '198.18.11.1' },
                ],
              }
            : v,
        ),
      }),
    ),
  };
}

export function specOf(specs: Specs, filer: string): NodeSpec {
  const spec = specs.get(filer);
  if (!spec) {
    throw new Error(`no spec for ${filer}`);
  }
  return spec;
}

/** Every address of every active vsvr, with the filer it runs on. */
export function activeAddresses(specs: Specs): { vsvr: string; filer: string; address: string }[] {
  return [...specs.values()].flatMap((s) =>
    s.vsvrs
      .filter((v) => v.active)
      .flatMap((v) =>
        v.addresses.map((a) => ({ vsvr: v.name, filer: s.filer, address: a.address })),
      ),
  );
}
