import * as grpc from '@grpc/grpc-js';
import type { AddAddressResponse__Output } from '../../../libs/contracts/src/generated/vsnet/v1/AddAddressResponse.js';
import type { GetVsvrResponse__Output } from '../../../libs/contracts/src/generated/vsnet/v1/GetVsvrResponse.js';
import type { E2eCluster } from './e2e-cluster.js';

// A burst of single-address changes through the gRPC API, the way a careful client sends them:
// a call that got no answer (the service was down or went away) is sent again until it gets
// one. Only an OK is an acknowledged change; ALREADY_EXISTS on a retry means an earlier try was
// committed although its answer was lost.

/** One AddAddress of the burst. */
export interface BurstChange {
  readonly vsvr: string;
  readonly alias: string;
  /** `address/prefix`. */
  readonly address: string;
}

/** How the burst went. */
export interface BurstOutcome {
  /** Answered OK: the change was acknowledged with this generation. */
  readonly acknowledged: readonly (BurstChange & { readonly generation: string })[];
  /** A retry answered ALREADY_EXISTS: an unanswered earlier try had been committed. */
  readonly committedUnanswered: readonly BurstChange[];
  /** Answered with anything else: a refusal the test did not expect. */
  readonly refused: readonly (BurstChange & { readonly error: string })[];
  /** Tries that got no answer (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED …). */
  readonly unanswered: number;
}

/**
 * The vsvrs the burst spreads over, one per filer of the local example cluster (sales runs on
 * filer1, web on filer2, legacy on filer3), with the alias and the IPv6 subnet each takes
 * addresses from (IPv6: a /64 has room for any burst).
 */
const SPREAD = [
  { vsvr: 'sales', alias: 'data0', subnet: '2001:db8:0:10' },
  { vsvr: 'web', alias: 'data1', subnet: '2001:db8:0:11' },
  { vsvr: 'legacy', alias: 'data0', subnet: '2001:db8:0:10' },
] as const;

/** `count` distinct addresses over the three filers' vsvrs; `tag` (1–ffff) keeps bursts apart. */
export function burstChanges(count: number, tag: number): BurstChange[] {
  return Array.from({ length: count }, (_, i) => {
    const s = SPREAD[i % SPREAD.length] ?? SPREAD[0];
    return {
      vsvr: s.vsvr,
      alias: s.alias,
      address: `${s.subnet}::${tag.toString(16)}:${(i + 1).toString(16)}/64`,
    };
  });
}

/** Codes that mean "no answer": the change may or may not have been committed. */
const NO_ANSWER = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.CANCELLED,
  grpc.status.UNKNOWN,
  grpc.status.INTERNAL,
]);

/**
 * Sends every change with `parallel` calls in flight, each retried until it is answered (for at
 * most `timeoutMs` in all). `onAcknowledged(n)` is called after each OK with the count so far,
 * so a test can crash something in the middle.
 */
export async function sendBurst(
  cluster: E2eCluster,
  changes: readonly BurstChange[],
  options: {
    readonly parallel: number;
    readonly timeoutMs: number;
    readonly onAcknowledged?: (count: number) => void;
    /** Gives up (each unsent or unanswered change is refused) once this returns a reason. */
    readonly abandon?: () => string | undefined;
  },
): Promise<BurstOutcome> {
  const acknowledged: (BurstChange & { generation: string })[] = [];
  const committedUnanswered: BurstChange[] = [];
  const refused: (BurstChange & { error: string })[] = [];
  let unanswered = 0;
  const deadline = Date.now() + options.timeoutMs;
  let next = 0;

  const send = async (change: BurstChange): Promise<void> => {
    for (let tries = 0; ; tries++) {
      const abandoned = options.abandon?.();
      if (abandoned !== undefined || Date.now() > deadline) {
        refused.push({ ...change, error: abandoned ?? `no answer within ${options.timeoutMs} ms` });
        return;
      }
      const r = await cluster.rpc<AddAddressResponse__Output>(
        'VsvrService',
        'addAddress',
        { vsvr: change.vsvr, alias: change.alias, address: change.address, nextFree: true },
        5_000,
      );
      if (r.ok) {
        acknowledged.push({ ...change, generation: r.res.generation });
        options.onAcknowledged?.(acknowledged.length);
        return;
      }
      if (r.err.code === grpc.status.ALREADY_EXISTS && tries > 0) {
        committedUnanswered.push(change);
        return;
      }
      if (!NO_ANSWER.has(r.err.code)) {
        refused.push({ ...change, error: `${r.err.code} ${r.err.details}` });
        return;
      }
      unanswered++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const worker = async (): Promise<void> => {
    while (next < changes.length) {
      const change = changes[next++];
      if (change !== undefined) {
        await send(change);
      }
    }
  };
  await Promise.all(Array.from({ length: options.parallel }, worker));
  return { acknowledged, committedUnanswered, refused, unanswered };
}

/** The addresses the control service stores for `vsvr` (VsvrService.GetVsvr). */
export async function storedAddresses(cluster: E2eCluster, vsvr: string): Promise<string[]> {
  const r = await cluster.rpc<GetVsvrResponse__Output>('VsvrService', 'getVsvr', { name: vsvr });
  if (!r.ok) {
    throw r.err;
  }
  return (r.res.vsvr?.vsvr?.addresses ?? []).map((a) => a.address);
}

/** Every vsvr the burst touches. */
export const BURST_VSVRS: readonly string[] = SPREAD.map((s) => s.vsvr);

/**
 * The kernel lines (`filer vsvr dev address/prefix`) of each address, by address: an address
 * held once has exactly one line.
 */
export function kernelHolders(lines: readonly string[]): Map<string, string[]> {
  const holders = new Map<string, string[]>();
  for (const line of lines) {
    const address = line.split(' ')[3] ?? '';
    holders.set(address, [...(holders.get(address) ?? []), line]);
  }
  return holders;
}
