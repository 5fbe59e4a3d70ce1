import type { ApplyReport, DataplaneDriver, ItemStatus, ObservedState } from '@vsnet/dataplane';
import { operationsInScope, stateInScope } from '@vsnet/dataplane';
import type { NodeSpec } from '@vsnet/model';
import { AgentError } from './agent.errors.js';
import type { ApplyOutcome } from './apply.types.js';
import type { DhcpLeaseStatus } from './dhcp/dhcp-addresses.js';
import type { NodeServices } from './dhcp-server/dhcp-server.service.js';
import { scopedSpec } from './failover-plan.js';
import { errorMessage } from './logger.js';

/**
 * How `dhcp` addresses reach the driver (apps/agent/src/dhcp/dhcp-mode.ts). Without it every
 * address is plumbed as the spec gives it.
 */
export interface AddressLeases {
  /** The spec to plumb (each `dhcp` address only when its lease equals it) and items about them. */
  plumbable(spec: NodeSpec): {
    readonly spec: NodeSpec;
    readonly items: readonly { item: string; status: ItemStatus; detail?: string }[];
  };
  /** Runs the DHCP clients the spec needs, and only those; called once its links exist. */
  sync(spec: NodeSpec): Promise<void>;
  /** Calls `listener` whenever a lease appears, changes or goes. */
  onChange(listener: () => void): void;
  /** The `dhcp` addresses of the spec last synced, and where each one's lease stands. */
  leases(): readonly DhcpLeaseStatus[];
}

export interface Convergence {
  readonly outcome: Omit<ApplyOutcome, 'generation'>;
  /** One line on what is still wrong, or undefined when the kernel matches the spec. */
  readonly failure: string | undefined;
}

/** What a scoped apply (a takeover's) did; the spec it planned, for its verify. */
export interface ScopedApply {
  readonly report: ApplyReport;
  /** Whether it plumbed an address, which the kernel then announced. */
  readonly announced: boolean;
  readonly wanted: NodeSpec;
}

/**
 * The kernel side of the reconciler: moves the kernel to a spec as it must hold it (the
 * failover state already applied), with the DHCP clients and processes that go with it.
 * Driver failures become one {@link AgentError} (`driver-failed`).
 */
export class Converger {
  constructor(
    private readonly driver: DataplaneDriver,
    private readonly leases?: AddressLeases,
    private readonly services?: NodeServices,
  ) {}

  /** The whole kernel as the driver reads it. */
  async observe(): Promise<ObservedState> {
    try {
      return await this.driver.inspect();
    } catch (err) {
      throw this.driverFailed(err);
    }
  }

  /** inspect → plan → apply → verify. A dry run stops after planning and verifies nothing. */
  async converge(spec: NodeSpec, dryRun = false): Promise<Convergence> {
    try {
      // `dhcp` addresses are plumbed only as leased (dhcp-mode.ts); the rest as given.
      const given = this.leases?.plumbable(spec) ?? { spec, items: [] };
      const observed = await this.driver.inspect();
      const plan = this.driver.plan(given.spec, observed);
      if (dryRun) {
        return {
          outcome: { changed: plan.operations.length > 0, items: [], drift: [], plan },
          failure: undefined,
        };
      }
      const report =
        plan.operations.length === 0
          ? { changed: false, items: [] }
          : await this.driver.apply(plan);
      // The aliases exist now: their DHCP clients can start (or stop, for addresses gone).
      await this.leases?.sync(spec);
      const drift = await this.driver.verify(given.spec);
      const items = [...report.items, ...given.items];
      const failed = items.filter((i) => i.status === 'failed');
      const outcome = { changed: report.changed, items, drift, plan };
      const failure = describeFailure(failed, drift) ?? (await this.reconcileServices(spec));
      return { outcome, failure };
    } catch (err) {
      throw this.driverFailed(err);
    }
  }

  /**
   * Failover's fast path: `spec`'s `vsvrs` alone, read, planned and applied in their
   * namespaces (`scope`) and nowhere else; no verify (see {@link settle}).
   */
  async applyScoped(
    spec: NodeSpec,
    vsvrs: ReadonlySet<string>,
    scope: ReadonlySet<string>,
  ): Promise<ScopedApply> {
    const given = this.leases?.plumbable(spec) ?? { spec, items: [] };
    const wanted = scopedSpec(given.spec, vsvrs);
    try {
      const observed = stateInScope(await this.driver.inspect(scope), scope);
      const operations = operationsInScope(this.driver.plan(wanted, observed).operations, scope);
      const report =
        operations.length === 0
          ? { changed: false, items: [] }
          : await this.driver.apply({ operations });
      return { report, announced: operations.some((op) => op.announce !== undefined), wanted };
    } catch (err) {
      throw new AgentError(
        'driver-failed',
        `the ${this.driver.kind} driver failed, so ${[...vsvrs].join(', ')} may be partly changed (the kernel's own error follows): ${errorMessage(err)}`,
      );
    }
  }

  /**
   * What follows a scoped apply once it was answered: DHCP clients and processes for the whole
   * `spec`, and a verify of `scope`. One line on what is still wrong, or undefined.
   */
  async settle(
    spec: NodeSpec,
    applied: ScopedApply,
    scope: ReadonlySet<string>,
  ): Promise<string | undefined> {
    try {
      await this.leases?.sync(spec);
      const drift = await this.driver.verify(applied.wanted, scope);
      const failed = applied.report.items.filter((i) => i.status === 'failed');
      return describeFailure(failed, drift) ?? (await this.reconcileServices(spec));
    } catch (err) {
      return errorMessage(err);
    }
  }

  private driverFailed(err: unknown): AgentError {
    return new AgentError(
      'driver-failed',
      `the ${this.driver.kind} driver failed, so the kernel may be partly changed; check the agent log and retry the apply once the cause is fixed (the kernel's own error follows): ${errorMessage(err)}`,
    );
  }

  /** Once the kernel matches: the spec's processes, or one line on why they do not run. */
  private async reconcileServices(spec: NodeSpec): Promise<string | undefined> {
    try {
      await this.services?.reconcile(spec);
      return undefined;
    } catch (err) {
      return errorMessage(err);
    }
  }
}

/** One line on failed items and remaining drift, or undefined when there is none. */
export function describeFailure(
  failed: readonly { readonly item: string; readonly detail?: string }[],
  drift: readonly { readonly item: string; readonly expected: string; readonly actual: string }[],
): string | undefined {
  const parts: string[] = [];
  const [firstFailed] = failed;
  if (firstFailed !== undefined) {
    parts.push(
      `${failed.length} item(s) failed (first: ${firstFailed.item}${firstFailed.detail === undefined ? '' : `: ${firstFailed.detail}`})`,
    );
  }
  const [firstDrift] = drift;
  if (firstDrift !== undefined) {
    parts.push(
      `${drift.length} difference(s) remain (first: ${firstDrift.item}: expected ${firstDrift.expected}, found ${firstDrift.actual})`,
    );
  }
  return parts.length === 0 ? undefined : parts.join('; ');
}
