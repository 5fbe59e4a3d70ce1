import type { NodeSpec } from '@vsnet/model';
import type {
  ApplyReport,
  DataplaneDriver,
  DataplanePlan,
  Drift,
  ObservedState,
  Operation,
  VsvrCounters,
} from '../driver.js';
import { planDataplane } from '../plan.js';
import { applyReport, driftsOf, type OperationOutcome } from '../report.js';
import { driftsInScope, stateInScope, type NamespaceScope } from '../scope.js';
import { VsvrNames } from '../vsvr-names.js';
import { MemoryKernel } from './memory-kernel.js';

export interface DryRunDriverOptions {
  /** Put before every vsvr namespace name, as the linux driver does. Default ''. */
  readonly namespacePrefix?: string;
  /**
   * The simulated filer's NICs (they start down, MTU 1500). Default: every physical link a
   * spec names exists (from the first `plan` or `verify` of that spec on), as on a filer built
   * for that spec.
   */
  readonly physicalLinks?: readonly string[];
}

/** The dry-run driver: a {@link DataplaneDriver} plus what a preview or a simulation reads. */
export interface DryRunDriver extends DataplaneDriver {
  readonly kind: 'dry-run';
  /** Every operation applied so far, in order, with its error if it failed. */
  history(): readonly OperationOutcome[];
}

/**
 * The dry-run driver: the same desired-state and plan code as `linux`, applied to an
 * in-memory kernel, so previews show the real operations and many filers can be simulated in
 * one process. Counters are all zero: no packet ever flows.
 */
export function createDryRunDriver(options: DryRunDriverOptions = {}): DryRunDriver {
  const namespacePrefix = options.namespacePrefix ?? '';
  const kernel = new MemoryKernel(options.physicalLinks);
  const names = new VsvrNames(namespacePrefix);
  const applied: OperationOutcome[] = [];
  const learn = (spec: NodeSpec): void => {
    names.learn(spec);
    kernel.ensurePhysicalLinks(spec.links.filter((l) => l.kind === 'physical').map((l) => l.name));
  };

  const run = (op: Operation): OperationOutcome => {
    try {
      kernel.apply(op.change);
      return { operation: op };
    } catch (e) {
      return { operation: op, error: e instanceof Error ? e.message : String(e) };
    }
  };

  return {
    kind: 'dry-run',
    inspect(scope?: NamespaceScope): Promise<ObservedState> {
      const state = kernel.snapshot();
      return Promise.resolve(scope === undefined ? state : stateInScope(state, scope));
    },
    plan(spec: NodeSpec, observed: ObservedState): DataplanePlan {
      learn(spec);
      return planDataplane(spec, observed, { namespacePrefix });
    },
    apply(plan: DataplanePlan): Promise<ApplyReport> {
      const outcomes = plan.operations.map(run);
      applied.push(...outcomes);
      return Promise.resolve(applyReport(outcomes));
    },
    verify(spec: NodeSpec, scope?: NamespaceScope): Promise<Drift[]> {
      learn(spec);
      const observed =
        scope === undefined ? kernel.snapshot() : stateInScope(kernel.snapshot(), scope);
      const plan = planDataplane(spec, observed, { namespacePrefix });
      return Promise.resolve(
        scope === undefined ? driftsOf(plan) : driftsInScope(plan.operations, scope),
      );
    },
    counters(): Promise<Record<string, VsvrCounters>> {
      const zero = (): VsvrCounters => ({ ip: {}, tcp: {}, udp: {} });
      const namespaces = kernel.snapshot().namespaces;
      return Promise.resolve(
        Object.fromEntries(namespaces.map((ns) => [names.nameOf(ns), zero()])),
      );
    },
    history: () => applied,
  };
}
