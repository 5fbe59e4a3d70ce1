import { Logger } from '@nestjs/common';
import { EditRefusal } from '@vsnet/model';
import type { AuditedCaller, FailoverEventInput, FailoverEventView } from '@vsnet/store';
import type { PlacementView } from '@vsnet/store';
import type { FilerHealthView } from './filer-health.js';
import type { FailoverJournal, Leadership, MoveState, TakeoverPort } from './failover-ports.js';
import {
  FAILOVER_PRINCIPAL,
  REVERT_RPC,
  describeMoves,
  errorText,
  eventView,
  newMove,
  round,
  sameName,
  tookOver,
} from './failover-ports.js';
import { nowUnixMs } from './heartbeat-protocol.js';
import type { PlacementSource } from './placement-book.js';
import { VsvrLocks } from './vsvr-locks.js';

/** MoveVsvr on an instance that does not lead (the controller passes the call on). */
export class NotLeader extends Error {
  override readonly name = 'NotLeader';
}

/** A move that was tried and did not happen; the message says where the vsvr runs now. */
export class MoveAborted extends Error {
  override readonly name = 'MoveAborted';
}

/** What a move did: the event recorded and the generation that committed it. */
export interface MoveDone {
  readonly failover: FailoverEventView;
  readonly generation: string;
}

/**
 * Graceful moves (docs/decisions/0006-failover.md, "Placement"): `vsnet vsvr move` and the
 * auto-revert to the home filer. The vsvr is withdrawn on the filer it runs on first (unless
 * that filer is down), then taken over on the target, then the placement is committed: at no
 * moment do two filers hold its addresses. A target that fails gives the vsvr back to its filer.
 */
export class VsvrMover {
  private readonly logger = new Logger('Failover');
  /** Shared with the failover orchestrator: one operation per vsvr at a time. */
  readonly locks = new VsvrLocks();

  constructor(
    private readonly placements: PlacementSource,
    private readonly health: FilerHealthView,
    private readonly agents: TakeoverPort,
    private readonly journal: FailoverJournal,
    private readonly leadership: Leadership,
    private readonly clock: () => number = nowUnixMs,
  ) {}

  /**
   * MoveVsvr: checks the request against the current placements (NOT_FOUND, FAILED_PRECONDITION
   * as EditRefusals), then moves. Throws NotLeader when this instance does not lead.
   */
  async move(
    vsvr: string,
    filer: string,
    caller: AuditedCaller,
    expectedGeneration?: string,
  ): Promise<MoveDone> {
    const epoch = this.leadership.epoch();
    if (epoch === undefined) {
      throw new NotLeader('this control instance does not lead');
    }
    await this.placements.load();
    if (expectedGeneration !== undefined && expectedGeneration !== this.placements.generation()) {
      throw EditRefusal.field(
        'failed-precondition',
        'expected_generation',
        `the cluster is at generation ${this.placements.generation()}, not ${expectedGeneration}; look again and retry`,
        'generation.mismatch',
      );
    }
    const view = this.find(vsvr);
    const target = this.checkTarget(view, filer);
    return this.locks.run([view.vsvr], () =>
      this.relocate(view.vsvr, target, epoch, 'move', caller),
    );
  }

  /** Auto-revert: `vsvr` back to its home filer, as principal vsnet-failover. */
  async revert(vsvr: string, epoch: string): Promise<MoveDone> {
    const view = this.find(vsvr);
    const caller = { principal: FAILOVER_PRINCIPAL, rpc: REVERT_RPC, peer: 'leader' };
    return this.locks.run([view.vsvr], () =>
      this.relocate(view.vsvr, view.home, epoch, 'revert', caller),
    );
  }

  private async relocate(
    vsvr: string,
    target: string,
    epoch: string,
    kind: 'move' | 'revert',
    caller: AuditedCaller,
  ): Promise<MoveDone> {
    const view = this.find(vsvr); // again, under the lock
    const from = view.filer;
    if (sameName(from, target)) {
      throw EditRefusal.field(
        'failed-precondition',
        'filer',
        `${view.vsvr} already runs on ${target}`,
        'vsvr.already-there',
      );
    }
    const detected = this.clock();
    const move = newMove(view.vsvr, from, view.home);
    move.record.to = target;
    const fail = async (message: string): Promise<never> => {
      move.record.error = message;
      // Nothing is committed: specs of the standing placement may flow again.
      this.placements.abandon?.([view.vsvr]);
      await this.record(kind, detected, epoch, caller.principal, '0', move);
      throw new MoveAborted(message);
    };
    this.checkLeads(epoch);
    // A filer whose kernel may still serve the vsvr (anything but down) must let it go first.
    const withdraw = from !== '' && this.health.state(from) !== 'down';
    if (withdraw) {
      try {
        await this.agents.takeover(from, { deactivate: [view.vsvr] }, epoch);
      } catch (err) {
        return fail(
          `${from} did not withdraw ${view.vsvr} (${errorText(err)}); nothing moved, it still runs on ${from}`,
        );
      }
    }
    this.checkLeads(epoch);
    const sent = this.clock();
    try {
      const answer = await this.agents.takeover(target, { activate: [view.vsvr] }, epoch);
      tookOver(move, answer, sent, detected);
    } catch (err) {
      const why = `${target} did not take ${view.vsvr} over (${errorText(err)})`;
      if (!withdraw) {
        return fail(`${why}; it stays placed on ${from}`);
      }
      const back = await this.agents.takeover(from, { activate: [view.vsvr] }, epoch).then(
        () => `it runs on ${from} again`,
        (e: unknown) =>
          `and ${from} did not take it back either (${errorText(e)}): it runs nowhere until the next apply`,
      );
      return fail(`${why}; ${back}`);
    }
    this.checkLeads(epoch);
    const { generation } = await this.placements.place(
      [{ vsvr: view.vsvr, filer: sameName(target, view.home) ? null : target }],
      { ...caller, reason: 'move', epoch },
    );
    move.record.committedMs = round(this.clock() - detected);
    return {
      failover: await this.record(kind, detected, epoch, caller.principal, generation, move),
      generation,
    };
  }

  private find(vsvr: string): PlacementView {
    const view = this.placements.current().find((v) => sameName(v.vsvr, vsvr));
    if (view === undefined) {
      throw EditRefusal.field(
        'not-found',
        'vsvr',
        `no vsvr is named "${vsvr}"; list them with vsnet vsvr list`,
        'vsvr.unknown',
      );
    }
    return view;
  }

  /** The target as the cluster spells it, or the refusal saying why it cannot be. */
  private checkTarget(view: PlacementView, filer: string): string {
    const target = view.candidates.find((c) => sameName(c, filer));
    if (target === undefined) {
      const known = this.placements
        .current()
        .some((v) => v.candidates.some((c) => sameName(c, filer)));
      throw known || this.health.knows(filer)
        ? EditRefusal.field(
            'failed-precondition',
            'filer',
            `${filer} cannot run ${view.vsvr}, which can run on ${view.candidates.join(', ') || 'no filer'} (the filers of its failover group that have its aliases)`,
            'vsvr.failover-group',
          )
        : EditRefusal.field(
            'not-found',
            'filer',
            `no filer is named "${filer}"; list them with vsnet filer list`,
            'filer.unknown',
          );
    }
    if (sameName(target, view.filer)) {
      throw EditRefusal.field(
        'failed-precondition',
        'filer',
        `${view.vsvr} already runs on ${target}`,
        'vsvr.already-there',
      );
    }
    const state = this.health.state(target);
    if (state !== 'up') {
      throw EditRefusal.field(
        'failed-precondition',
        'filer',
        `${target} is not up (its health is ${state}): a vsvr moves only to a filer that answers the leader's heartbeats; vsnet failover status shows them`,
        'filer.not-up',
      );
    }
    return target;
  }

  private checkLeads(epoch: string): void {
    if (this.leadership.epoch() !== epoch) {
      throw new MoveAborted('this control instance stopped leading during the move; ask again');
    }
  }

  private async record(
    kind: 'move' | 'revert',
    detected: number,
    epoch: string,
    principal: string,
    generation: string,
    move: MoveState,
  ): Promise<FailoverEventView> {
    const input: FailoverEventInput = {
      kind,
      filer: move.record.from,
      epoch,
      principal,
      detectedUnixMs: Math.round(detected),
      detectionMs: 0,
      generation,
      moves: [{ ...move.record }],
    };
    const line = `${kind} of ${move.record.vsvr} from ${move.record.from} by ${principal}: ${describeMoves(input.moves)}; generation ${generation}`;
    if (move.record.error === '') {
      this.logger.log(line);
    } else {
      this.logger.warn(line);
    }
    try {
      return eventView(await this.journal.record(input), input);
    } catch (err) {
      this.logger.error(`cannot record the ${kind} of ${move.record.vsvr}: ${errorText(err)}`);
      return eventView('0', input);
    }
  }
}
