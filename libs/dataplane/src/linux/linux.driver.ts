import type { NodeSpec } from '@vsnet/model';
import { MemoryKernel } from '../dry-run/memory-kernel.js';
import type {
  ApplyReport,
  DataplaneDriver,
  DataplanePlan,
  Drift,
  ObservedState,
  VsvrCounters,
} from '../driver.js';
import { planDataplane } from '../plan.js';
import { applyReport, driftsOf } from '../report.js';
import { VsvrNames } from '../vsvr-names.js';
import { Announcer } from './announcer.js';
import { applyOperations } from './apply.js';
import { listVsvrNamespaces, readKernel, type KernelAccess } from './inspect.js';
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
  readonly readKernel: typeof readKernel;
  readonly applyOperations: typeof applyOperations;
  readonly listVsvrNamespaces: typeof listVsvrNamespaces;
  readonly runProcess: typeof runProcess;
}

const LINUX_IO: KernelIo = { readKernel, applyOperations, listVsvrNamespaces, runProcess };

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
 * reads nothing. The kernel is read again when that view is older than `reuseReadMs`, after
 * any failed operation, and always by `verify`, which is how drift made outside vsnet is found.
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
  let view: { kernel: MemoryKernel; readAt: number } | undefined;
  // Bumped when an apply starts and when it ends: a read that saw it change (it raced an
  // apply) may hold the kernel from before that apply, and is not kept as the view.
  let applyEpoch = 0;
  let applying = 0;

  const read = async (): Promise<ObservedState> => {
    const epoch = applyEpoch;
    const state = await io.readKernel(access);
    if (epoch === applyEpoch && applying === 0) {
      view = { kernel: MemoryKernel.of(state), readAt: Date.now() };
    }
    return state;
  };

  return {
    kind: 'linux',
    async inspect(): Promise<ObservedState> {
      if (view !== undefined && Date.now() - view.readAt < reuseReadMs) {
        return view.kernel.snapshot();
      }
      return read();
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
    async verify(spec: NodeSpec): Promise<Drift[]> {
      names.learn(spec);
      const observed = await read();
      return driftsOf(planDataplane(spec, observed, { namespacePrefix: options.namespacePrefix }));
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
