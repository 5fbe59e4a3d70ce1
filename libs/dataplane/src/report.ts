import type { ApplyReport, Drift, ItemStatus, Operation, DataplanePlan } from './driver.js';

/** The outcome of one operation, as a driver saw it. */
export interface OperationOutcome {
  readonly operation: Operation;
  /** Undefined when it worked; otherwise what the kernel (or the in-memory one) said. */
  readonly error?: string;
}

const STATUS_OF_ACTION = { create: 'created', change: 'changed', remove: 'removed' } as const;

function statusOf(op: Operation): ItemStatus {
  return op.change.object === 'sysctl' ? 'changed' : STATUS_OF_ACTION[op.change.action];
}

/**
 * One entry per item, in plan order: `failed` (with every error) when any of its operations
 * failed, otherwise the status of its first operation (`created`, `changed`, `removed`).
 * `changed` is true when at least one operation took effect.
 */
export function applyReport(outcomes: readonly OperationOutcome[]): ApplyReport {
  const byItem = new Map<string, { status: ItemStatus; errors: string[] }>();
  for (const { operation, error } of outcomes) {
    const entry = byItem.get(operation.item) ?? { status: statusOf(operation), errors: [] };
    if (error !== undefined) {
      entry.errors.push(`${operation.description}: ${error}`);
    }
    byItem.set(operation.item, entry);
  }
  return {
    changed: outcomes.some((o) => o.error === undefined),
    items: [...byItem].map(([item, { status, errors }]) =>
      errors.length > 0 ? { item, status: 'failed', detail: errors.join('; ') } : { item, status },
    ),
  };
}

/** A plan read as drift: each planned operation is one difference between spec and kernel. */
export function driftsOf(plan: DataplanePlan): Drift[] {
  return plan.operations.map((op) => ({ item: op.item, expected: op.expected, actual: op.actual }));
}
