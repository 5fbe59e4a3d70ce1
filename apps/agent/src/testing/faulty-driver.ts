import type { DataplaneDriver } from '@vsnet/dataplane';

/** What a {@link faultyDriver} gets wrong. */
export interface Faults {
  /** inspect() throws this message. */
  inspectThrows?: string;
  /** apply() reports every operation whose item contains this text as failed. */
  failItemsContaining?: string;
}

/**
 * A real driver (usually dry-run) with faults switched on and off by the test: the unit-test
 * seam for failures a healthy in-memory kernel never has.
 */
export function faultyDriver(inner: DataplaneDriver, faults: Faults): DataplaneDriver {
  return {
    kind: inner.kind,
    inspect: () =>
      faults.inspectThrows === undefined
        ? inner.inspect()
        : Promise.reject(new Error(faults.inspectThrows)),
    plan: (spec, observed) => inner.plan(spec, observed),
    apply: async (plan) => {
      const marker = faults.failItemsContaining;
      if (marker === undefined) {
        return inner.apply(plan);
      }
      const kept = plan.operations.filter((o) => !o.item.includes(marker));
      const report = await inner.apply({ ...plan, operations: kept });
      const failed = plan.operations
        .filter((o) => o.item.includes(marker))
        .map((o) => ({ item: o.item, status: 'failed' as const, detail: 'injected failure' }));
      return { changed: report.changed, items: [...report.items, ...failed] };
    },
    verify: (spec) => inner.verify(spec),
    counters: () => inner.counters(),
  };
}
