export type {
  DataplaneDriver,
  ItemId,
  ObservedLink,
  ObservedAddress,
  ObservedRoute,
  ObservedRule,
  ObservedState,
  Operation,
  DataplanePlan,
  ItemStatus,
  ApplyReport,
  Drift,
  VsvrCounters,
  BondSettings,
  ChangeAction,
  DesiredLink,
  DesiredState,
  KernelChange,
  LinkKind,
  NamespaceSettings,
} from './driver.js';
export type { DesiredStateOptions } from './desired-state.js';
export { desiredState, BOND_MIIMON_MS, VSVR_NAMESPACE_SYSCTLS } from './desired-state.js';
export type { PlanOptions } from './plan.js';
export { planDataplane, planChanges } from './plan.js';
export {
  VSNET_RULE_PRIORITY,
  VSNET_RULE_PRIORITIES,
  VSNET_TABLES,
  VSVR_NAMESPACE_MARK,
} from './ownership.js';
export { FILER_NAMESPACE } from './kernel-objects.js';
export type { NamespaceScope } from './scope.js';
export { objectNamespace, operationsInScope, stateInScope } from './scope.js';
export type { OperationOutcome } from './report.js';
export type { DryRunDriver, DryRunDriverOptions } from './dry-run/dry-run.driver.js';
export { createDryRunDriver } from './dry-run/dry-run.driver.js';
export type { LinuxDriver, LinuxDriverOptions } from './linux/linux.driver.js';
export { createLinuxDriver } from './linux/linux.driver.js';
export { DataplaneKernelError } from './linux/inspect.js';
