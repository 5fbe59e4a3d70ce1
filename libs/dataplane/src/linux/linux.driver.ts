import type { NodeSpec } from '@vsnet/model';
import { MemoryKernel } from '../dry-run/memory-kernel.js';
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
import { applyReport, driftsOf } from '../report.js';
import { driftsInScope, stateInScope, type NamespaceScope } from '../scope.js';
import { VsvrNames } from '../vsvr-names.js';
import { Announcer } from './announcer.js';
import { applyOperations } from './apply.js';
import {
  listVsvrNamespaces,
  readKernel,
  readKernelPart,
  type KernelAccess,
  type KernelRead,
} from './inspect.js';
import { mapLimit, runProcess } from './run-process.js';
import { parseSnmp } from './snmp.js';

export interface LinuxDriverOptions {
  /** The namespace that is the filer; '' is the agent process's own. */
  readonly filerNamespace: string;
  /** Put before every vsvr namespace name (`<prefix>vs-<name>`). */
  readonly namespacePrefix: string;
  /** Timeout of every process the driver runs. */
  readonly timeoutMs: number;
  /** Processes `counters` runs at once (one per vsvr namespace). Default 4. */
  readonly concurrency?: number;
  /**
   * How long `inspect` may answer from its last read of the kernel plus what `apply` has done
   * since, instead of reading every namespace again. Default 5000 ms; 0 reads every time.
   */
  readonly reuseReadMs?: number;
}

/** How the driver reaches the kernel; unit tests give their own (linux.driver.spec.ts). */
export interface KernelIo {
  /** A full read; with the filer's links by ifindex (a {@link KernelRead}) verify may read less. */
  readonly readKernel: (access: KernelAccess) => Promise<ObservedState | KernelRead>;
  /** A read of some namespaces only; without it verify reads everything. */
  readonly readKernelPart?: typeof readKernelPart;
  readonly applyOperations: typeof applyOperations;
  readonly listVsvrNamespaces: typeof listVsvrNamespaces;
  readonly runProcess: typeof runProcess;
}

const LINUX_IO: KernelIo = {
  readKernel,
  readKernelPart,
  applyOperations,
  listVsvrNamespaces,
  runProcess,
};

/**
 * What the driver believes the kernel holds: its last full read (`readAt`) with every operation
 * applied since replayed onto it, and the namespaces those operations touched that no read
 * has confirmed yet.
 */
interface View {
  readonly kernel: MemoryKernel;
  readonly readAt: number;
  readonly filerLinkIndex: ReadonlyMap<number, string> | undefined;
  readonly unverified: Set<string>;
}

export interface LinuxDriver extends DataplaneDriver {
  readonly kind: 'linux';
  /** Resolves when every background announcement (arping) has ended. */
  announcementsIdle(): Promise<void>;
}

/**
 * The linux driver: iproute2 (`ip -json` to read, `ip -force -batch` to write), sysctl, arping.
 * Desired state and plan are the shared pure code. Writing and reading many namespaces go
 * through one `ip -batch` that runs `netns exec NS ip -batch …` per namespace (batch-program.ts,
 * read-namespaces.ts); a change confined to one namespace is one `ip -n NS -batch -`.
 *
 * Reading 100 vsvr namespaces still forks one `ip` per namespace (~0.5 s here), far more than
 * a one-address change may cost (20 ms). So `inspect` keeps what it read and replays onto it every operation that
 * `apply` carried out (on the dry-run's in-memory kernel): a reconcile soon after another
 * reads nothing. The whole kernel is read again when that view is older than `reuseReadMs`
 * and after any failed operation; that full read is how drift made outside vsnet is found.
 * `verify` reads what the applies since the last read touched: only their namespaces, while the
 * view is younger than `reuseReadMs` (one `ip -n NS` for a one-vsvr change, not a read of every
 * namespace); everything otherwise. So a change is always confirmed from the kernel, and drift
 * outside vsnet is found within `reuseReadMs` of the next apply, as by `inspect`.
 * A scoped `inspect` or `verify` (a failover's one or two namespaces) reads only those
 * namespaces, with the filer's links by index from an earlier read.
 * A read that an apply started or ended during is returned but not kept: it may predate it.
 */
export function createLinuxDriver(
  options: LinuxDriverOptions,
  io: KernelIo = LINUX_IO,
): LinuxDriver {
  const access: KernelAccess = {
    filerNamespace: options.filerNamespace,
    namespacePrefix: options.namespacePrefix,
    timeoutMs: options.timeoutMs,
    concurrency: options.concurrency ?? 4,
  };
  const reuseReadMs = options.reuseReadMs ?? 5000;
  const announcer = new Announcer();
  const names = new VsvrNames(options.namespacePrefix);
  let view: View | undefined;
  // Bumped when an apply starts and when it ends: a read that saw it change (it raced an
  // apply) may hold the kernel from before that apply, and is not kept as the view.
  let applyEpoch = 0;
  let applying = 0;

  const read = async (): Promise<ObservedState> => {
    const epoch = applyEpoch;
    const state = await io.readKernel(access);
    if (epoch === applyEpoch && applying === 0) {
      view = {
        kernel: MemoryKernel.of(state),
        readAt: Date.now(),
        filerLinkIndex: 'filerLinkIndex' in state ? state.filerLinkIndex : undefined,
        unverified: new Set(),
      };
    }
    return state;
  };

  /** The kernel for verify: the view with the namespaces applies touched read again. */
  const reread = async (): Promise<ObservedState> => {
    const current = view;
    if (
      current === undefined ||
      current.filerLinkIndex === undefined ||
      io.readKernelPart === undefined ||
      Date.now() - current.readAt >= reuseReadMs
    ) {
      return read();
    }
    const kept = current.kernel.snapshot();
    if (current.unverified.size === 0) {
      return kept;
    }
    const epoch = applyEpoch;
    const touched = new Set(current.unverified);
    const part = await io.readKernelPart(access, touched, current.filerLinkIndex);
    if (part === undefined) {
      return read();
    }
    const state = replaced(kept, touched, part);
    if (epoch === applyEpoch && applying === 0 && view === current) {
      view = {
        kernel: MemoryKernel.of(state),
        readAt: current.readAt,
        filerLinkIndex: part.filerLinkIndex,
        unverified: new Set(),
      };
    }
    return state;
  };

  /**
   * The kernel's objects in `scope`'s namespaces, read from the kernel: only those namespaces
   * when an earlier read resolves their macvlans' lowers, everything otherwise. What it read
   * replaces those namespaces in the view, as confirmed.
   */
  const readScope = async (scope: NamespaceScope): Promise<ObservedState> => {
    const current = view;
    if (current?.filerLinkIndex === undefined || io.readKernelPart === undefined) {
      return stateInScope(await read(), scope);
    }
    const epoch = applyEpoch;
    const part = await io.readKernelPart(access, scope, current.filerLinkIndex);
    if (part === undefined) {
      return stateInScope(await read(), scope);
    }
    if (epoch === applyEpoch && applying === 0 && view === current) {
      view = {
        kernel: MemoryKernel.of(replaced(current.kernel.snapshot(), scope, part)),
        readAt: current.readAt,
        filerLinkIndex: part.filerLinkIndex,
        unverified: new Set([...current.unverified].filter((n) => !scope.has(n))),
      };
    }
    return stateInScope(part, scope);
  };

  return {
    kind: 'linux',
    async inspect(scope?: NamespaceScope): Promise<ObservedState> {
      if (view !== undefined && Date.now() - view.readAt < reuseReadMs) {
        const kept = view.kernel.snapshot();
        return scope === undefined ? kept : stateInScope(kept, scope);
      }
      return scope === undefined ? read() : readScope(scope);
    },
    plan(spec: NodeSpec, observed: ObservedState): DataplanePlan {
      names.learn(spec);
      return planDataplane(spec, observed, { namespacePrefix: options.namespacePrefix });
    },
    async apply(plan: DataplanePlan): Promise<ApplyReport> {
      if (plan.operations.length === 0) {
        return applyReport([]);
      }
      applyEpoch++;
      applying++;
      let result: Awaited<ReturnType<KernelIo['applyOperations']>>;
      try {
        result = await io.applyOperations(plan, access, announcer);
      } finally {
        applyEpoch++;
        applying--;
      }
      const { outcomes, announceErrors } = result;
      const current = view;
      view = undefined;
      if (current !== undefined && outcomes.every((o) => o.error === undefined)) {
        try {
          outcomes.forEach((o) => current.kernel.apply(o.operation.change));
          outcomes.forEach((o) => touchedBy(o.operation).forEach((n) => current.unverified.add(n)));
          view = current;
        } catch {
          // The in-memory view disagrees with the kernel: read it again next time.
        }
      }
      const report = applyReport(outcomes);
      return announceErrors.length === 0
        ? report
        : {
            ...report,
            items: [
              ...report.items,
              ...announceErrors.map((e) => ({
                item: 'announce',
                status: 'failed' as const,
                detail: e,
              })),
            ],
          };
    },
    async verify(spec: NodeSpec, scope?: NamespaceScope): Promise<Drift[]> {
      names.learn(spec);
      const observed = scope === undefined ? await reread() : await readScope(scope);
      const plan = planDataplane(spec, observed, { namespacePrefix: options.namespacePrefix });
      return scope === undefined ? driftsOf(plan) : driftsInScope(plan.operations, scope);
    },
    async counters(): Promise<Record<string, VsvrCounters>> {
      const namespaces = await io.listVsvrNamespaces(access);
      const read = await mapLimit(namespaces, access.concurrency, async (ns) => {
        const r = await io.runProcess(
          'ip',
          ['netns', 'exec', ns, 'cat', '/proc/net/snmp', '/proc/net/snmp6'],
          {
            timeoutMs: access.timeoutMs,
          },
        );
        const error = r.timedOut
          ? `reading the counters timed out after ${access.timeoutMs} ms`
          : (r.spawnError ?? (r.stderr.trim() || `exited with ${String(r.code)}`));
        return [
          names.nameOf(ns),
          r.code === 0 ? parseSnmp(r.stdout) : { ip: {}, tcp: {}, udp: {}, error },
        ] as const;
      });
      return Object.fromEntries(read);
    },
    announcementsIdle: () => announcer.idle(),
  };
}

/** The namespaces an operation changes ('' is the filer's). */
function touchedBy(operation: Operation): string[] {
  const { change } = operation;
  const own =
    change.object === 'namespace'
      ? change.name
      : change.object === 'sysctl'
        ? change.settings.namespace
        : change.object === 'link'
          ? change.link.namespace
          : change.object === 'address'
            ? change.address.namespace
            : change.object === 'route'
              ? change.route.namespace
              : change.rule.namespace;
  return [operation.namespace, own];
}

/** `kept` with everything in the `touched` namespaces replaced by what `part` read of them. */
function replaced(
  kept: ObservedState,
  touched: ReadonlySet<string>,
  part: ObservedState,
): ObservedState {
  const others = <T extends { readonly namespace: string }>(xs: readonly T[]): T[] =>
    xs.filter((x) => !touched.has(x.namespace));
  return {
    namespaces: [...kept.namespaces.filter((n) => !touched.has(n)), ...part.namespaces].sort(),
    links: [...others(kept.links), ...part.links],
    addresses: [...others(kept.addresses), ...part.addresses],
    routes: [...others(kept.routes), ...part.routes],
    rules: [...others(kept.rules), ...part.rules],
  };
}
