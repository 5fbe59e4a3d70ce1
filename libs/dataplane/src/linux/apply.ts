import type { DataplanePlan, Operation } from '../driver.js';
import { familyOf } from '../kernel-objects.js';
import type { OperationOutcome } from '../report.js';
import type { Announcement, Announcer } from './announcer.js';
import { runSteps, type Step } from './batch-program.js';
import type { KernelAccess } from './inspect.js';

export interface ApplyResult {
  readonly outcomes: OperationOutcome[];
  /** Announcement lines that failed (the addresses themselves were plumbed). */
  readonly announceErrors: string[];
}

const isRoot = (op: Operation): boolean =>
  op.change.object === 'namespace' || op.change.object === 'sysctl';
const isRemoval = (op: Operation): boolean =>
  op.change.object !== 'sysctl' && op.change.action === 'remove';
/** `ip rule` takes an IPv6 selector only under `ip -6`, which is per process, not per line. */
const isRule6 = (op: Operation): boolean =>
  op.change.object === 'rule' && familyOf(op.change.rule.from) === 6;

/** A step and the operation behind each of its lines; lines past `ops` are announcements. */
interface Planned {
  readonly step: Step;
  readonly ops: readonly Operation[];
  readonly lineOwners: readonly number[];
}

/**
 * Carries out a plan as one ordered program of batches (batch-program.ts), never one process
 * per operation:
 *
 * 1. removals, per namespace (vsvr namespaces, then the filer's);
 * 2. `netns del`, `netns add`, then `netns exec NS sysctl -qw …` for each new vsvr namespace,
 *    before any link is created in it;
 * 3. the filer namespace's batch: links bottom-up (vsvr macvlans are created here, directly
 *    inside their namespace), addresses, routes, rules;
 * 4. each vsvr namespace's batch: link state, addresses, routes, then the announcement line;
 * 5. background gratuitous ARP (see Announcer).
 *
 * The plan order holds because an operation only ever depends on earlier steps or earlier
 * lines of its own batch.
 *
 * Announcement (verified here, kernel 6.18, on a bridge to a client namespace whose neighbour
 * entries were stale): with `arp_notify` and `ndisc_notify` set in the namespace, setting a
 * device's MAC to the value it already has raises NETDEV_CHANGEADDR, and the kernel sends a
 * gratuitous ARP for each IPv4 and an unsolicited NA for each IPv6 address of the device; the
 * client's entries were updated. Without the sysctls nothing was sent. An IPv6 address added
 * with `nodad` on an up link sends no NA by itself, even with `ndisc_notify`.
 */
export async function applyOperations(
  plan: DataplanePlan,
  access: KernelAccess,
  announcer: Announcer,
): Promise<ApplyResult> {
  const netnsOf = (ns: string): string => (ns === '' ? access.filerNamespace : ns);
  const program: Planned[] = [];
  const inNamespace = (
    ns: string,
    ops: readonly Operation[],
    extra: readonly string[] = [],
  ): void => {
    for (const [ipv6, part] of [
      [false, ops.filter((op) => !isRule6(op))],
      [true, ops.filter(isRule6)],
    ] as const) {
      const lines: string[] = [];
      const lineOwners: number[] = [];
      part.forEach((op, i) =>
        op.command.split('\n').forEach((line) => {
          lines.push(line);
          lineOwners.push(i);
        }),
      );
      const extras = ipv6 ? [] : extra;
      if (lines.length + extras.length > 0) {
        program.push({
          step: { kind: 'namespace', netns: netnsOf(ns), ipv6, lines: [...lines, ...extras] },
          ops: part,
          lineOwners,
        });
      }
    }
  };

  const removals = groupByNamespace(plan.operations.filter((op) => !isRoot(op) && isRemoval(op)));
  [...removals]
    .sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : 0))
    .forEach(([ns, ops]) => inNamespace(ns, ops));
  for (const op of plan.operations.filter(isRoot)) {
    const line =
      op.change.object === 'sysctl'
        ? `netns exec ${netnsOf(op.namespace)} sysctl -qw ${op.command}`
        : op.command;
    program.push({ step: { kind: 'root', line }, ops: [op], lineOwners: [] });
  }
  const rest = groupByNamespace(plan.operations.filter((op) => !isRoot(op) && !isRemoval(op)));
  inNamespace('', rest.get('') ?? []);
  rest.delete('');
  for (const [ns, ops] of rest) {
    const macs = new Map(
      ops.flatMap((op) =>
        op.announce?.mac !== undefined ? [[op.announce.dev, op.announce.mac] as const] : [],
      ),
    );
    inNamespace(
      ns,
      ops,
      [...macs].map(([dev, mac]) => `link set dev ${dev} address ${mac}`),
    );
  }

  const results = await runSteps(
    program.map((p) => p.step),
    access.timeoutMs,
  );
  const outcomes = new Map<Operation, OperationOutcome>();
  const announceErrors: string[] = [];
  program.forEach(({ step, ops, lineOwners }, i) => {
    const result = results[i] ?? { failures: new Map<number, string>(), fatal: 'not run' };
    const errors = new Map<number, string[]>();
    for (const [line, message] of result.failures) {
      const owner = lineOwners[line - 1];
      if (owner === undefined) {
        announceErrors.push(`${step.kind === 'namespace' ? step.netns : ''}: ${message}`);
      } else {
        errors.set(owner, [...(errors.get(owner) ?? []), message]);
      }
    }
    ops.forEach((operation, k) => {
      const error = result.fatal ?? errors.get(k)?.join('; ');
      outcomes.set(operation, error === undefined ? { operation } : { operation, error });
    });
  });

  const announcements: { namespace: string; items: Announcement[] }[] = [];
  for (const op of plan.operations) {
    if (op.announce !== undefined && outcomes.get(op)?.error === undefined) {
      announcements.push({ namespace: netnsOf(op.namespace), items: [op.announce] });
    }
  }
  announcer.announce(announcements);
  return {
    outcomes: plan.operations.map((op) => outcomes.get(op) ?? { operation: op, error: 'not run' }),
    announceErrors,
  };
}

function groupByNamespace(ops: readonly Operation[]): Map<string, Operation[]> {
  const groups = new Map<string, Operation[]>();
  for (const op of ops) {
    const group = groups.get(op.namespace);
    if (group === undefined) {
      groups.set(op.namespace, [op]);
    } else {
      group.push(op);
    }
  }
  return groups;
}
