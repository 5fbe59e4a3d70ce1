import type { TakeoverResponse__Output } from '@vsnet/contracts';
import { MGMT_VSVR } from '@vsnet/model';
import type { FailoverEventInput, FailoverEventView, FailoverMoveView } from '@vsnet/store';

// What the failover orchestrator and the vsvr mover work with: small ports, so a unit test
// gives them fakes, and the helpers both use to time and describe a move.

/** Agent.Takeover on a filer's agent, with the leader's epoch. Rejects when it failed. */
export interface TakeoverPort {
  takeover(
    filer: string,
    change: { readonly activate?: readonly string[]; readonly deactivate?: readonly string[] },
    epoch: string,
  ): Promise<TakeoverResponse__Output>;
}

/** Where failovers are recorded (FailoverStore). */
export interface FailoverJournal {
  record(input: FailoverEventInput): Promise<string>;
}

/** This instance's leadership (LeaderLease). */
export interface Leadership {
  epoch(): string | undefined;
}

/** The principal of failovers and reverts in the audit log and the failover history. */
export const FAILOVER_PRINCIPAL = 'vsnet-failover';
export const FAILOVER_RPC = '/vsnet.v1.FailoverService/Failover';
export const REVERT_RPC = '/vsnet.v1.FailoverService/Revert';

/** How long a failover or a move waits for one Takeover answer. */
export const TAKEOVER_DEADLINE_MS = 1_500;

/** How often the orchestrator looks for failovers to finish and vsvrs to send home. */
export const SWEEP_MS = 1_000;

/** A move as it goes: its record, and whether the target took the vsvr over. */
export interface MoveState {
  record: { -readonly [K in keyof FailoverMoveView]: FailoverMoveView[K] };
  /** The vsvr's home filer (a move there commits "home"). */
  readonly home: string;
  taken: boolean;
}

export function newMove(vsvr: string, from: string, home: string): MoveState {
  return {
    record: {
      vsvr,
      from,
      to: '',
      targetChosenMs: 0,
      plumbedMs: 0,
      announcedMs: 0,
      committedMs: 0,
      error: '',
    },
    home,
    taken: false,
  };
}

/** Notes the target's answer: its plumbed and announced times on the failover's clock. */
export function tookOver(
  move: MoveState,
  answer: TakeoverResponse__Output,
  sentMs: number,
  detectedMs: number,
): void {
  move.taken = true;
  move.record.plumbedMs = round(sentMs + answer.plumbedMs - detectedMs);
  move.record.announcedMs = round(sentMs + answer.announcedMs - detectedMs);
  const failed = answer.items.filter((i) => i.status === 'ITEM_OUTCOME_FAILED');
  move.record.error =
    failed.length === 0
      ? ''
      : `taken over, but ${failed.map((i) => `${i.item}: ${i.detail ?? 'failed'}`).join('; ')}`;
}

export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function isMgmt(vsvr: string): boolean {
  return sameName(vsvr, MGMT_VSVR);
}

/** Milliseconds to a tenth. */
export function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `vs_mgmt → filer2 (chosen +0.2, plumbed +9.8, announced +10.1, committed +31.0 ms)`. */
export function describeMoves(moves: readonly FailoverMoveView[]): string {
  if (moves.length === 0) {
    return 'no vsvrs ran there';
  }
  return moves
    .map((m) => {
      const head = `${m.vsvr} → ${m.to === '' ? 'nowhere' : m.to}`;
      const times =
        m.to === ''
          ? ''
          : ` (chosen +${m.targetChosenMs}, plumbed +${m.plumbedMs}, announced +${m.announcedMs}, committed +${m.committedMs} ms)`;
      return `${head}${times}${m.error === '' ? '' : `: ${m.error}`}`;
    })
    .join('; ');
}

/** The event as recorded, for an answer (MoveVsvr) without reading it back. */
export function eventView(id: string, input: FailoverEventInput): FailoverEventView {
  return { id, ...input };
}
