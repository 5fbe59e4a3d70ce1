import { Logger } from '@nestjs/common';
import type { FailoverEventInput, FailoverEventView, PlacementView } from '@vsnet/store';
import type { FilerHealthView } from './filer-health.js';
import type { FailoverJournal, Leadership, MoveState, TakeoverPort } from './failover-ports.js';
import {
  FAILOVER_PRINCIPAL,
  FAILOVER_RPC,
  SWEEP_MS,
  describeMoves,
  errorText,
  eventView,
  isMgmt,
  newMove,
  round,
  sameName,
  tookOver,
} from './failover-ports.js';
import { nowUnixMs } from './heartbeat-protocol.js';
import type { PlacementSource } from './placement-book.js';
import type { VsvrMover } from './vsvr-mover.js';

/** A filer declared down in this leadership, until none of its vsvrs is placed there. */
interface LostFiler {
  readonly filer: string;
  readonly detectedUnixMs: number;
  readonly lastPongUnixMs: number | undefined;
}

/**
 * Failover (docs/decisions/0006-failover.md): when the detector declares a filer down, its vsvrs
 * go to the first `up` filer of their candidates, `vs_mgmt` first and answered before the others
 * start (those go in parallel, one Takeover per target filer); a target that fails passes the
 * vsvr to the next candidate. Then one placement commit for all of them, one failover_event
 * with the timeline, one log line. A vsvr no filer can take stays put, and is taken once one
 * can (the sweep, every {@link SWEEP_MS}); the sweep also sends `failback: auto` vsvrs home.
 * Every step checks that the leadership it started under still holds.
 */
export class FailoverOrchestrator {
  private readonly logger = new Logger('Failover');
  private epoch: string | undefined;
  private readonly lost = new Map<string, LostFiler>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    private readonly placements: PlacementSource,
    private readonly health: FilerHealthView,
    private readonly agents: TakeoverPort,
    private readonly journal: FailoverJournal,
    private readonly leadership: Leadership,
    private readonly mover: VsvrMover,
    private readonly clock: () => number = nowUnixMs,
  ) {}

  /** A leadership started: failovers may run, the sweep starts. */
  begin(epoch: string): void {
    this.end();
    this.epoch = epoch;
    this.timer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  /** The leadership ended: nothing more starts, and running failovers stop at their next step. */
  end(): void {
    this.epoch = undefined;
    clearInterval(this.timer);
    this.lost.clear();
  }

  /** The detector declared `filer` down: fail its vsvrs over. Resolves with the event recorded. */
  async filerLost(
    filer: string,
    detectedUnixMs: number,
    lastPongUnixMs: number | undefined,
  ): Promise<FailoverEventView | undefined> {
    const epoch = this.epoch;
    if (epoch === undefined || !this.leads(epoch)) {
      return undefined;
    }
    const lost = { filer, detectedUnixMs, lastPongUnixMs };
    this.lost.set(filer.toLowerCase(), lost);
    return this.failOver(lost, epoch);
  }

  /**
   * Finishes failovers that left vsvrs behind once a filer can take them, forgets filers that
   * are back, and sends `failback: auto` vsvrs home once their home has held `up` long enough.
   */
  async sweep(): Promise<void> {
    const epoch = this.epoch;
    if (epoch === undefined || this.sweeping) {
      return;
    }
    this.sweeping = true;
    try {
      for (const [key, lost] of this.lost) {
        const left = this.placedOn(lost.filer).filter((v) => !this.mover.locks.busy(v.vsvr));
        if (this.health.state(lost.filer) !== 'down' || this.placedOn(lost.filer).length === 0) {
          this.lost.delete(key);
        } else if (left.some((v) => this.targetOf(v, new Set([key])) !== undefined)) {
          await this.failOver(lost, epoch);
        }
      }
      const now = this.clock();
      for (const v of this.placements.current()) {
        const since = v.home === '' ? undefined : this.health.upSince(v.home);
        if (
          v.failback === 'auto' &&
          since !== undefined &&
          !sameName(v.filer, v.home) &&
          now - since >= v.failbackHoldDownSeconds * 1000 &&
          !this.mover.locks.busy(v.vsvr) &&
          this.leads(epoch)
        ) {
          await this.mover.revert(v.vsvr, epoch).catch((err: unknown) => {
            this.logger.warn(`cannot send ${v.vsvr} home to ${v.home}: ${errorText(err)}`);
          });
        }
      }
    } finally {
      this.sweeping = false;
    }
  }

  private async failOver(lost: LostFiler, epoch: string): Promise<FailoverEventView | undefined> {
    const names = this.placedOn(lost.filer).map((v) => v.vsvr);
    return this.mover.locks.run(names, async () => {
      // Read again under the locks: a move may have taken a vsvr elsewhere meanwhile.
      const placed = this.placedOn(lost.filer);
      const moves: MoveState[] = [];
      const mgmt = placed.filter((v) => isMgmt(v.vsvr));
      const others = placed.filter((v) => !isMgmt(v.vsvr));
      for (const batch of [mgmt, others]) {
        if (batch.length > 0 && this.leads(epoch)) {
          moves.push(...(await this.takeOver(batch, lost, epoch)));
        }
      }
      if (!this.leads(epoch)) {
        this.logger.warn(`failover of filer ${lost.filer} stopped: this instance no longer leads`);
        return undefined;
      }
      const generation = await this.commit(moves, lost.detectedUnixMs, epoch);
      if (moves.every((m) => m.taken) && generation !== '0') {
        this.lost.delete(lost.filer.toLowerCase());
      }
      return this.record(lost, epoch, generation, moves);
    });
  }

  /** Takes `vsvrs` over on their targets: one Takeover per target, in parallel. */
  private async takeOver(
    vsvrs: readonly PlacementView[],
    lost: LostFiler,
    epoch: string,
  ): Promise<MoveState[]> {
    // Each vsvr with the filers it was offered to (the lost one to begin with).
    const moves = vsvrs.map((v) => ({
      view: v,
      move: newMove(v.vsvr, lost.filer, v.home),
      tried: new Set([lost.filer.toLowerCase()]),
    }));
    let pending = moves;
    while (pending.length > 0 && this.leads(epoch)) {
      const byTarget = new Map<string, typeof moves>();
      for (const m of pending) {
        const target = this.targetOf(m.view, m.tried);
        if (target === undefined) {
          const why = `no other filer of its failover group (${m.view.candidates.join(', ')}) is up`;
          m.move.record.error = m.move.record.error === '' ? why : `${m.move.record.error}; ${why}`;
          m.move.record.to = '';
          continue;
        }
        m.tried.add(target.toLowerCase());
        m.move.record.to = target;
        m.move.record.targetChosenMs = round(this.clock() - lost.detectedUnixMs);
        byTarget.set(target, [...(byTarget.get(target) ?? []), m]);
      }
      const failed: typeof moves = [];
      await Promise.all(
        [...byTarget].map(async ([target, group]) => {
          const sent = this.clock();
          try {
            const answer = await this.agents.takeover(
              target,
              { activate: group.map((m) => m.view.vsvr) },
              epoch,
            );
            group.forEach((m) => tookOver(m.move, answer, sent, lost.detectedUnixMs));
          } catch (err) {
            for (const m of group) {
              m.move.record.error = `${target} did not take it over: ${errorText(err)}`;
              failed.push(m);
            }
          }
        }),
      );
      pending = failed;
    }
    return moves.map((m) => m.move);
  }

  /** The first candidate other than those `tried` that is up. */
  private targetOf(v: PlacementView, tried: ReadonlySet<string>): string | undefined {
    return v.candidates.find((c) => !tried.has(c.toLowerCase()) && this.health.state(c) === 'up');
  }

  /** One placement commit for every vsvr taken over; its generation, '0' when none. */
  private async commit(moves: MoveState[], detectedUnixMs: number, epoch: string): Promise<string> {
    const taken = moves.filter((m) => m.taken);
    if (taken.length === 0) {
      return '0';
    }
    try {
      const { generation } = await this.placements.place(
        taken.map((m) => ({
          vsvr: m.record.vsvr,
          filer: sameName(m.record.to, m.home) ? null : m.record.to,
        })),
        {
          principal: FAILOVER_PRINCIPAL,
          rpc: FAILOVER_RPC,
          peer: 'leader',
          reason: 'failover',
          epoch,
        },
      );
      const committed = round(this.clock() - detectedUnixMs);
      taken.forEach((m) => (m.record.committedMs = committed));
      return generation;
    } catch (err) {
      const why = `taken over, but the placement could not be committed (tried again shortly): ${errorText(err)}`;
      taken.forEach((m) => (m.record.error = why));
      return '0';
    }
  }

  private async record(
    lost: LostFiler,
    epoch: string,
    generation: string,
    moves: readonly MoveState[],
  ): Promise<FailoverEventView | undefined> {
    const detectionMs =
      lost.lastPongUnixMs === undefined ? 0 : round(lost.detectedUnixMs - lost.lastPongUnixMs);
    const input: FailoverEventInput = {
      kind: 'filer-lost',
      filer: lost.filer,
      epoch,
      principal: FAILOVER_PRINCIPAL,
      detectedUnixMs: Math.round(lost.detectedUnixMs),
      detectionMs,
      generation,
      moves: moves.map((m) => ({ ...m.record })),
    };
    const since =
      lost.lastPongUnixMs === undefined
        ? 'never answered this leader'
        : `no heartbeat answer for ${detectionMs} ms`;
    const line = `filer ${lost.filer} lost (${since}, kernel silent): ${describeMoves(input.moves)}; generation ${generation}`;
    if (moves.every((m) => m.taken && m.record.error === '')) {
      this.logger.log(line);
    } else {
      this.logger.warn(line);
    }
    try {
      return eventView(await this.journal.record(input), input);
    } catch (err) {
      this.logger.error(`cannot record the failover of filer ${lost.filer}: ${errorText(err)}`);
      return eventView('0', input);
    }
  }

  private placedOn(filer: string): PlacementView[] {
    return this.placements.current().filter((v) => sameName(v.filer, filer));
  }

  private leads(epoch: string): boolean {
    return this.epoch === epoch && this.leadership.epoch() === epoch;
  }
}
