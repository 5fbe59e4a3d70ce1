import type { Cluster, ClusterAnalysis, FailbackMode, VsvrPlacements } from '@vsnet/model';
import { activeFiler, EditRefusal, failbackOf } from '@vsnet/model';
import type { EntityManager } from 'typeorm';
import { In } from 'typeorm';
import type { PlacementReason } from '../entities/failover.entity.js';
import { VsvrPlacementEntity } from '../entities/failover.entity.js';

export type { PlacementReason } from '../entities/failover.entity.js';

/** One vsvr to run elsewhere: on `filer`, or back on its home filer (`null`). */
export interface PlacementMove {
  readonly vsvr: string;
  /** null: back to its home filer */
  readonly filer: string | null;
}

/** Where one vsvr runs now, where it belongs, and how it gets back. */
export interface PlacementView {
  /** As the cluster spells it. */
  readonly vsvr: string;
  /** The filer it runs on now; empty when no filer can run it. */
  readonly filer: string;
  /** Its home filer: the first qualifying candidate; empty when none qualifies. */
  readonly home: string;
  readonly reason: 'home' | PlacementReason;
  /** When it was placed where it runs (ms since 1970, UTC); 0 on its home filer. */
  readonly sinceUnixMs: number;
  readonly failback: FailbackMode;
  readonly failbackHoldDownSeconds: number;
  /** The filers that can run it (`Placement.runsOn`), in failover order. */
  readonly candidates: readonly string[];
}

/** One vsvr whose active filer a placement commit changes. */
export interface PlacementShift {
  readonly vsvr: string;
  readonly from: string;
  readonly to: string;
  /** The filer is the vsvr's home: its row goes. */
  readonly home: boolean;
}

/** Every placement row, by lower-case vsvr name (the rows hold it lower case). */
export async function readPlacementRows(
  manager: EntityManager,
): Promise<Map<string, VsvrPlacementEntity>> {
  const rows = await manager.find(VsvrPlacementEntity);
  return new Map(rows.map((r) => [r.vsvr, r]));
}

/** The compiler's view of the rows: lower-case vsvr → filer. */
export function placementOf(rows: ReadonlyMap<string, VsvrPlacementEntity>): Map<string, string> {
  return new Map([...rows.values()].map((r) => [r.vsvr, r.filer]));
}

/**
 * The placements that still mean something in `analysis`: a row whose vsvr is gone, or whose
 * filer can no longer run the vsvr (the compiler ignores it: the vsvr went home), or that names
 * the home filer itself, is dropped, so it cannot come back to life when the filer qualifies
 * again. Returns the kept map and the lower-case vsvr names whose rows go.
 */
export function prunePlacement(
  placement: VsvrPlacements,
  analysis: ClusterAnalysis,
): { kept: Map<string, string>; dropped: string[] } {
  const byLower = new Map([...analysis.placements.values()].map((p) => [p.vsvr.toLowerCase(), p]));
  const kept = new Map<string, string>();
  const dropped: string[] = [];
  for (const [vsvr, filer] of placement) {
    const p = byLower.get(vsvr);
    const runsOn = p?.runsOn.map((f) => f.toLowerCase()) ?? [];
    const k = runsOn.indexOf(filer.toLowerCase());
    if (k > 0) {
      kept.set(vsvr, filer);
    } else {
      dropped.push(vsvr);
    }
  }
  return { kept, dropped };
}

/**
 * What `moves` change, checked against the cluster: NOT_FOUND for an unknown vsvr or filer,
 * FAILED_PRECONDITION for a filer that cannot run the vsvr (or a vsvr no filer can run),
 * INVALID_ARGUMENT for a vsvr named twice. Moves to where a vsvr already runs are left out.
 */
export function planMoves(
  moves: readonly PlacementMove[],
  cluster: Cluster,
  analysis: ClusterAnalysis,
  current: VsvrPlacements,
): { next: Map<string, string>; shifts: PlacementShift[] } {
  const next = new Map(current);
  const shifts: PlacementShift[] = [];
  const seen = new Set<string>();
  moves.forEach((move, i) => {
    const lower = move.vsvr.toLowerCase();
    const v = cluster.vsvrs.find((x) => x.name.toLowerCase() === lower);
    const p = v === undefined ? undefined : analysis.placements.get(v.name);
    if (v === undefined || p === undefined) {
      throw EditRefusal.field(
        'not-found',
        fieldOf(moves, i, 'vsvr'),
        `no vsvr is named "${move.vsvr}"; list them with vsnet vsvr list`,
        'vsvr.unknown',
      );
    }
    if (seen.has(lower)) {
      throw EditRefusal.field(
        'invalid-argument',
        fieldOf(moves, i, 'vsvr'),
        `${v.name} is named twice; move each vsvr once`,
      );
    }
    seen.add(lower);
    const home = p.runsOn[0];
    if (home === undefined) {
      throw EditRefusal.field(
        'failed-precondition',
        fieldOf(moves, i, 'vsvr'),
        `no filer can run ${v.name}; vsnet vsvr get ${v.name} says why`,
        'vsvr.no-placement',
      );
    }
    const to =
      move.filer === null
        ? home
        : targetFiler(move.filer, v.name, p.runsOn, cluster, fieldOf(moves, i, 'filer'));
    const from = activeFiler(p, current) ?? home;
    if (from.toLowerCase() === to.toLowerCase()) {
      return;
    }
    const isHome = to.toLowerCase() === home.toLowerCase();
    if (isHome) {
      next.delete(lower);
    } else {
      next.set(lower, to);
    }
    shifts.push({ vsvr: v.name, from, to, home: isHome });
  });
  return { next, shifts };
}

/** The filer named `name` as `runsOn` spells it, or the refusal saying why it cannot be. */
function targetFiler(
  name: string,
  vsvr: string,
  runsOn: readonly string[],
  cluster: Cluster,
  field: string,
): string {
  const lower = name.toLowerCase();
  const filer = cluster.filers.find((f) => f.name.toLowerCase() === lower);
  if (filer === undefined) {
    throw EditRefusal.field(
      'not-found',
      field,
      `no filer is named "${name}"; list them with vsnet filer list`,
      'filer.unknown',
    );
  }
  const qualifying = runsOn.find((f) => f.toLowerCase() === lower);
  if (qualifying === undefined) {
    throw EditRefusal.field(
      'failed-precondition',
      field,
      `${filer.name} cannot run ${vsvr}, which can run on ${runsOn.join(', ')} (the filers of its failover group that have its aliases)`,
      'vsvr.failover-group',
    );
  }
  return qualifying;
}

/** `vsvr`/`filer` for a single move (MoveVsvr's fields), `moves[i].vsvr` for several. */
function fieldOf(moves: readonly PlacementMove[], i: number, key: 'vsvr' | 'filer'): string {
  return moves.length === 1 ? key : `moves[${i}].${key}`;
}

/** Writes the rows of `shifts`: a vsvr sent home loses its row, any other gets a fresh one. */
export async function writePlacement(
  manager: EntityManager,
  shifts: readonly PlacementShift[],
  row: { readonly reason: PlacementReason; readonly epoch: string; readonly since: Date },
): Promise<void> {
  const lowers = shifts.map((s) => s.vsvr.toLowerCase());
  if (lowers.length > 0) {
    await manager.delete(VsvrPlacementEntity, { vsvr: In(lowers) });
  }
  const placed = shifts
    .filter((s) => !s.home)
    .map((s) => ({ vsvr: s.vsvr.toLowerCase(), filer: s.to, ...row }));
  if (placed.length > 0) {
    await manager.insert(VsvrPlacementEntity, placed);
  }
}

/** Drops the rows of `vsvrs` (lower case): vsvrs removed, or placements no longer meaningful. */
export async function dropPlacement(
  manager: EntityManager,
  vsvrs: readonly string[],
): Promise<void> {
  if (vsvrs.length > 0) {
    await manager.delete(VsvrPlacementEntity, { vsvr: In([...vsvrs]) });
  }
}

/** Every vsvr of the cluster, in document order, with where it runs and why. */
export function placementViews(
  cluster: Cluster,
  analysis: ClusterAnalysis,
  rows: ReadonlyMap<string, VsvrPlacementEntity>,
): PlacementView[] {
  const placement = placementOf(rows);
  return cluster.vsvrs.flatMap((v): PlacementView[] => {
    const p = analysis.placements.get(v.name);
    if (p === undefined) {
      return []; // a duplicate name: the stored cluster never holds one
    }
    const home = p.runsOn[0] ?? '';
    const filer = activeFiler(p, placement) ?? '';
    const row = rows.get(v.name.toLowerCase());
    const placed =
      row !== undefined && filer !== home && filer.toLowerCase() === row.filer.toLowerCase();
    const { mode, holdDownSeconds } = failbackOf(v);
    return [
      {
        vsvr: v.name,
        filer,
        home,
        reason: placed ? row.reason : 'home',
        sinceUnixMs: placed ? row.since.getTime() : 0,
        failback: mode,
        failbackHoldDownSeconds: holdDownSeconds,
        candidates: [...p.runsOn],
      },
    ];
  });
}
