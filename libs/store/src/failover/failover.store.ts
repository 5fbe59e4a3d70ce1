import type { DataSource } from 'typeorm';
import { LessThanOrEqual } from 'typeorm';
import {
  FAILOVER_MOVES_LENGTH,
  FailoverEventEntity,
  FilerHealthEntity,
} from '../entities/failover.entity.js';

/** A filer lost (its vsvrs moved), a `vsnet vsvr move`, or an auto-revert to the home filer. */
export type FailoverKind = 'filer-lost' | 'move' | 'revert';

/** Each filer's health as the leader sees it (decision 0006, "Filer loss"). */
export type FilerHealthState = 'up' | 'agent-down' | 'down' | 'recovering' | 'unknown';

/**
 * One vsvr's part of a failover. Times are milliseconds after the failover's detection (0 when
 * the phase was not reached).
 */
export interface FailoverMoveView {
  readonly vsvr: string;
  readonly from: string;
  /** Empty when no filer could take it. */
  readonly to: string;
  readonly targetChosenMs: number;
  readonly plumbedMs: number;
  readonly announcedMs: number;
  readonly committedMs: number;
  /** Empty on success. */
  readonly error: string;
}

export interface FailoverEventInput {
  readonly kind: FailoverKind;
  /** The lost filer, or the filer the vsvr left. */
  readonly filer: string;
  readonly epoch: string;
  readonly principal: string;
  /** When the leader decided (ms since 1970, UTC). */
  readonly detectedUnixMs: number;
  /** Between the filer's last heartbeat answer and the decision (filer-lost). */
  readonly detectionMs: number;
  /** The generation that committed the placement; `'0'` when nothing was committed. */
  readonly generation: string;
  /** `vs_mgmt` first, as the failover took them. */
  readonly moves: readonly FailoverMoveView[];
}

export type FailoverEventView = FailoverEventInput & {
  readonly id: string;
  /** Moves left out of the record to keep it bounded (the last ones); absent when none. */
  readonly omittedMoves?: number;
};

export interface FilerHealthRow {
  readonly filer: string;
  readonly state: FilerHealthState;
  /** Since when it is in `state` (ms since 1970, UTC). */
  readonly sinceUnixMs: number;
  /** The agent's generation in its last heartbeat answer. */
  readonly generation: string;
  /** Whether the agent has withdrawn its vsvr addresses. */
  readonly fenced: boolean;
  /** The leader epoch that wrote the row. */
  readonly epoch: string;
}

/** How many failovers are kept; older ones are removed as new ones are recorded. */
export const FAILOVER_EVENTS_KEPT = 1000;
/** The longest error kept for one move (characters). */
const MOVE_ERROR_LENGTH = 500;

/** What `failover_event.moves` holds: the moves as stored, and how many did not fit. */
interface StoredMoves {
  readonly moves: readonly FailoverMoveView[];
  readonly omitted: number;
}

/**
 * The failover history (`failover_event`) and the filers' health as the leader last wrote it
 * (`filer_health`). Written by the leader only; read by `vsnet failover status`.
 */
export class FailoverStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Records one failover and returns its id; only the newest {@link FAILOVER_EVENTS_KEPT} stay. */
  async record(input: FailoverEventInput): Promise<string> {
    const result = await this.dataSource.manager.insert(FailoverEventEntity, {
      kind: input.kind,
      filer: input.filer,
      epoch: input.epoch,
      principal: input.principal,
      detectedAt: new Date(input.detectedUnixMs),
      detectionMs: input.detectionMs,
      generation: input.generation,
      moves: boundedMoves(input.moves),
    });
    const id = String((result.identifiers[0] as { id: string | number }).id);
    const oldest = BigInt(id) - BigInt(FAILOVER_EVENTS_KEPT);
    if (oldest > 0n) {
      await this.dataSource.manager.delete(FailoverEventEntity, {
        id: LessThanOrEqual(String(oldest)),
      });
    }
    return id;
  }

  /** The last `limit` failovers, newest first. */
  async recent(limit: number): Promise<FailoverEventView[]> {
    const rows = await this.dataSource.manager.find(FailoverEventEntity, {
      order: { id: 'DESC' },
      take: limit,
    });
    return rows.map((row) => {
      const stored = JSON.parse(row.moves) as StoredMoves;
      return {
        id: String(row.id),
        kind: row.kind as FailoverKind,
        filer: row.filer,
        epoch: String(row.epoch),
        principal: row.principal,
        detectedUnixMs: row.detectedAt.getTime(),
        detectionMs: row.detectionMs,
        generation: String(row.generation),
        moves: stored.moves,
        ...(stored.omitted > 0 ? { omittedMoves: stored.omitted } : {}),
      };
    });
  }

  /** Writes each filer's row (inserted or replaced); other filers' rows stay. */
  async setFilerHealth(rows: readonly FilerHealthRow[]): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    await this.dataSource.manager.upsert(
      FilerHealthEntity,
      rows.map((r) => ({
        filer: r.filer,
        state: r.state,
        since: new Date(r.sinceUnixMs),
        generation: r.generation,
        fenced: r.fenced ? 1 : 0,
        epoch: r.epoch,
      })),
      ['filer'],
    );
  }

  /** Every filer's row, by filer name. */
  async filerHealth(): Promise<FilerHealthRow[]> {
    const rows = await this.dataSource.manager.find(FilerHealthEntity, { order: { filer: 'ASC' } });
    return rows.map((r) => ({
      filer: r.filer,
      state: r.state as FilerHealthState,
      sinceUnixMs: r.since.getTime(),
      generation: String(r.generation),
      fenced: Number(r.fenced) === 1,
      epoch: String(r.epoch),
    }));
  }
}

/**
 * The moves as the JSON `failover_event.moves` holds, within {@link FAILOVER_MOVES_LENGTH}: long
 * errors are cut, and moves past the limit are left out and counted (the first ones, vs_mgmt's
 * among them, are kept). JSON escapes every non-ASCII character, so characters are bytes.
 */
function boundedMoves(moves: readonly FailoverMoveView[]): string {
  const kept: FailoverMoveView[] = [];
  let length = 32; // {"moves":[],"omitted":NNNNNNNNN}
  for (const move of moves) {
    const cut =
      move.error.length > MOVE_ERROR_LENGTH
        ? { ...move, error: `${move.error.slice(0, MOVE_ERROR_LENGTH)}...` }
        : move;
    const size = asciiJson(cut).length + 1;
    if (length + size > FAILOVER_MOVES_LENGTH) {
      break;
    }
    kept.push(cut);
    length += size;
  }
  return asciiJson({ moves: kept, omitted: moves.length - kept.length });
}

/** JSON with every character past ASCII escaped, so its length is its size in bytes. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
