import { familyOf } from '../kernel-objects.js';
import { runProcess } from './run-process.js';

/**
 * One arping, for one (namespace, device, address) triple that xargs passes as $1 $2 $3: a
 * constant script, data never inside it. '' as namespace is the agent's own.
 */
const ARPING_SCRIPT =
  'if [ -n "$1" ]; then exec ip netns exec "$1" arping -q -U -c 3 -w 4 -I "$2" "$3"; ' +
  'else exec arping -q -U -c 3 -w 4 -I "$2" "$3"; fi';

/**
 * IPv6 has no arping here: re-setting a device's MAC to its own value makes the kernel send an
 * unsolicited NA for each of its addresses (ndisc_notify, set by the apply). Done twice more,
 * a second apart, for each (namespace, device) pair that xargs passes as $1 $2.
 */
const NDISC_SCRIPT =
  'run() { ns=$1; shift; if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi; }; ' +
  'for i in 1 2; do sleep 1; ' +
  'mac=$(run "$1" cat "/sys/class/net/$2/address") && run "$1" ip link set dev "$2" address "$mac"; done';

/** arpings at once; each mostly sleeps (three frames, one a second). */
const PARALLEL = 128;
/** arping -c 3 sends at 0, 1 and 2 s; -w 4 bounds one; this bounds one wave of PARALLEL. */
const SECONDS_PER_WAVE = 5;

export interface Announcement {
  readonly dev: string;
  readonly address: string;
}

/**
 * Gratuitous ARP (`arping -U -c 3`) for plumbed IPv4 addresses, in the background: `apply`
 * does not wait for it (arping takes ~2 s for its three frames, LAB.md). One `xargs -P` process
 * per apply runs them all, so an apply over 100 namespaces costs one spawn from Node, not 100.
 * {@link idle} resolves once every announcement has ended; each run has a timeout.
 *
 * The first announcement of every address, IPv4 and IPv6, is made by the kernel inside the
 * apply batch (see apply.ts); arping repeats it for IPv4, and two more MAC re-sets repeat the
 * unsolicited NA for IPv6, in case a frame is lost.
 */
export class Announcer {
  private readonly running = new Set<Promise<unknown>>();

  /** `namespace` is the netns name to run in ('' for the agent's own). */
  announce(
    groups: readonly { readonly namespace: string; readonly items: readonly Announcement[] }[],
  ): void {
    const pairs = new Set(
      groups.flatMap((g) =>
        g.items.filter((i) => familyOf(i.address) === 6).map((i) => `${g.namespace}\0${i.dev}`),
      ),
    );
    if (pairs.size > 0) {
      this.background(NDISC_SCRIPT, 2, [...pairs].join('\0'), pairs.size);
    }
    const triples = groups.flatMap((g) =>
      g.items.filter((i) => familyOf(i.address) === 4).map((i) => [g.namespace, i.dev, i.address]),
    );
    if (triples.length > 0) {
      this.background(ARPING_SCRIPT, 3, triples.flat().join('\0'), triples.length);
    }
  }

  /** Runs `script` once per group of `arity` NUL-separated arguments, PARALLEL at a time. */
  private background(script: string, arity: number, input: string, count: number): void {
    const waves = Math.ceil(count / PARALLEL);
    // Spawned on the next turn of the event loop: forking costs milliseconds that the apply
    // which plumbed the addresses (and had the kernel announce them) need not wait for.
    const run = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      runProcess(
        'xargs',
        ['-0', '-n', String(arity), '-P', String(PARALLEL), 'sh', '-c', script, 'sh'],
        {
          input,
          timeoutMs: (waves * SECONDS_PER_WAVE + 5) * 1000,
        },
      ),
    );
    // Best effort: the outcome is not reported (the kernel made the first announcement).
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Resolves once no announcement is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.allSettled([...this.running]);
    }
  }
}
