import { join } from 'node:path';
import { AgentError } from './agent.errors.js';
import { AtomicFile, NODE_FILE_SYSTEM } from './atomic-file.js';
import type { AtomicFileSystem } from './atomic-file.js';
import { failoverRecordFromJson, failoverRecordToJson } from './failover-state.js';
import type { FailoverRecord } from './failover-state.js';
import type { CachedSpec } from './spec-cache.js';
import {
  SPEC_CACHE_FILE,
  cachedSpecFromJson,
  cachedSpecToJson,
  parseLegacySpecCache,
} from './spec-cache.js';

/** What fencing remembers across restarts. */
export interface FencingState {
  /** Highest control-leader epoch any accepted command carried. */
  readonly highestEpoch: bigint;
  /** Generation of the last successful apply (0n before the first). */
  readonly lastGeneration: bigint;
  /** Hash of the spec applied at `lastGeneration` ('' before the first). */
  readonly specHash: string;
}

/**
 * What a record keeps beside fencing and the cache (all optional in the file, so a record of an
 * agent from before failover reads, and that agent reads ours).
 */
interface Extras {
  /** Fence-after of the last Lead; unset: no leader ever led this agent. */
  readonly fenceAfterMs?: number;
  /** What failover changed about which vsvrs run here (failover-state.ts). */
  readonly failover?: FailoverRecord;
}

/** The record of fencing and the cached spec (version 2). */
export const AGENT_STATE_FILE = 'agent-state.json';
/** Where version 1 kept fencing alone; read once to migrate. */
export const FENCING_FILE = 'fencing.json';

const INITIAL: FencingState = { highestEpoch: 0n, lastGeneration: 0n, specHash: '' };
const DECIMAL = /^\d+$/;

/**
 * The agent's fencing state (ARCHITECTURE.md §3, §4): a command from a deposed leader (older
 * epoch) or for an older generation is refused, and the numbers survive a restart because
 * every change is written atomically before it counts. The same record holds the spec cache
 * (spec-cache.ts), so a successful apply costs one durable write, not one per file, and the
 * cache can never be behind or ahead of the fencing that admitted it.
 */
export class FencingStore {
  /** Writes run one at a time, each from the record the one before it left. */
  private writing: Promise<unknown> = Promise.resolve();
  /** Highest epoch admitted, written or not yet: a write in flight already fences. */
  private epochFloor: bigint;

  private constructor(
    private readonly file: AtomicFile,
    private current: FencingState,
    private cache: CachedSpec | undefined,
    private extras: Extras = {},
  ) {
    this.epochFloor = current.highestEpoch;
  }

  /**
   * Loads the record from the state folder, or migrates version 1's `fencing.json` and
   * `spec.json` into it; nothing at all is a node that never applied. A damaged file refuses
   * the start.
   */
  static async open(
    stateDir: string,
    files: AtomicFileSystem = NODE_FILE_SYSTEM,
  ): Promise<FencingStore> {
    const file = new AtomicFile(join(stateDir, AGENT_STATE_FILE), files);
    const text = await file.read();
    if (text !== undefined) {
      const { state, cached, extras } = parseRecord(text, file.path);
      return new FencingStore(file, state, cached, extras);
    }
    const legacyFencing = new AtomicFile(join(stateDir, FENCING_FILE), files);
    const legacyCache = new AtomicFile(join(stateDir, SPEC_CACHE_FILE), files);
    const fencingText = await legacyFencing.read();
    const cacheText = await legacyCache.read();
    const store = new FencingStore(
      file,
      fencingText === undefined ? INITIAL : parseFencing(fencingText, legacyFencing.path),
      cacheText === undefined ? undefined : parseLegacySpecCache(cacheText, legacyCache.path),
    );
    if (fencingText !== undefined || cacheText !== undefined) {
      // The record is durable before the old files go: a crash in between leaves the record,
      // which wins over them at the next start.
      await store.save(() => ({ state: store.current, cached: store.cache }));
      await files.rm(legacyFencing.path, { force: true });
      await files.rm(legacyCache.path, { force: true });
    }
    return store;
  }

  /** The file that holds the record. */
  get path(): string {
    return this.file.path;
  }

  get state(): FencingState {
    return this.current;
  }

  /** The spec of the last successful apply, or undefined before the first. */
  get cached(): CachedSpec | undefined {
    return this.cache;
  }

  /** Fence-after of the last Lead (ms), undefined when no leader ever led this agent. */
  get fenceAfterMs(): number | undefined {
    return this.extras.fenceAfterMs;
  }

  /** What failover changed, as last recorded. */
  get failover(): FailoverRecord | undefined {
    return this.extras.failover;
  }

  /** Throws an {@link AgentError} (`fenced`) when `epoch` is older than one already admitted. */
  admitEpoch(epoch: bigint): void {
    const highest =
      this.epochFloor > this.current.highestEpoch ? this.epochFloor : this.current.highestEpoch;
    if (epoch < highest) {
      throw new AgentError(
        'fenced',
        `fenced: epoch ${epoch} is older than epoch ${highest} already seen; a newer control leader has taken over`,
      );
    }
  }

  /**
   * Throws an {@link AgentError} when a command with this generation, epoch and spec hash must
   * be refused. The same generation with the same hash is admitted: the apply converges the
   * kernel again, which changes nothing when it already matches.
   */
  admit(generation: bigint, epoch: bigint, specHash: string): void {
    this.admitEpoch(epoch);
    const { lastGeneration } = this.current;
    if (generation < lastGeneration) {
      throw new AgentError(
        'stale-generation',
        `generation ${generation} is older than generation ${lastGeneration} already applied; send the spec of generation ${lastGeneration} or later`,
      );
    }
    if (generation === lastGeneration && specHash !== this.current.specHash) {
      throw new AgentError(
        'generation-conflict',
        `generation ${generation} was already applied with spec hash ${this.current.specHash.slice(0, 12)}; a different spec (hash ${specHash.slice(0, 12)}) needs a newer generation`,
      );
    }
  }

  /** Remembers a higher epoch (durably) before the command that carried it acts. */
  async recordEpoch(epoch: bigint): Promise<void> {
    this.raiseFloor(epoch);
    if (epoch > this.current.highestEpoch) {
      await this.save(({ state, cached }) => ({
        state: { ...state, highestEpoch: max(state.highestEpoch, epoch) },
        cached,
      }));
    }
  }

  /** Remembers a leader's Lead: its epoch (when higher) and the fence-after it set. */
  async recordLead(epoch: bigint, fenceAfterMs: number): Promise<void> {
    this.raiseFloor(epoch);
    if (epoch > this.current.highestEpoch || fenceAfterMs !== this.extras.fenceAfterMs) {
      await this.save(({ state, cached }) => ({
        state: { ...state, highestEpoch: max(state.highestEpoch, epoch) },
        cached,
        fenceAfterMs,
      }));
    }
  }

  /** Remembers what failover changed about which vsvrs run here. */
  async recordFailover(failover: FailoverRecord): Promise<void> {
    await this.save(({ state, cached }) => ({ state, cached, failover }));
  }

  /**
   * Remembers a successful apply and caches its spec, in one durable write; the epoch it
   * carried is remembered too when higher, and so is what failover left in place after it.
   */
  async recordApplied(applied: CachedSpec, failover?: FailoverRecord): Promise<void> {
    await this.save(({ state }) => ({
      state: {
        highestEpoch: max(state.highestEpoch, applied.epoch),
        lastGeneration: applied.generation,
        specHash: applied.spec.hash,
      },
      cached: applied,
      ...(failover !== undefined ? { failover } : {}),
    }));
  }

  private raiseFloor(epoch: bigint): void {
    this.epochFloor = max(this.epochFloor, epoch);
  }

  /**
   * Writes the record `change` makes of the current one (fencing, cache, and the extras it
   * does not name kept), after the writes before it; it counts once it is durable.
   */
  private save(
    change: (now: { state: FencingState; cached: CachedSpec | undefined }) => {
      state: FencingState;
      cached: CachedSpec | undefined;
    } & Extras,
  ): Promise<void> {
    const write = async (): Promise<void> => {
      const { state: next, cached, ...named } = change({ state: this.current, cached: this.cache });
      const extras: Extras = { ...this.extras, ...named };
      const record = {
        version: 2,
        highestEpoch: next.highestEpoch.toString(),
        lastGeneration: next.lastGeneration.toString(),
        specHash: next.specHash,
        ...(cached === undefined ? {} : { cached: cachedSpecToJson(cached) }),
        ...(extras.fenceAfterMs === undefined ? {} : { fenceAfterMs: extras.fenceAfterMs }),
        ...(extras.failover === undefined
          ? {}
          : { failover: failoverRecordToJson(extras.failover) }),
      };
      await this.file.write(`${JSON.stringify(record, null, 2)}\n`);
      this.current = next;
      this.cache = cached;
      this.extras = extras;
    };
    const run = this.writing.then(write, write);
    this.writing = run.catch(() => undefined);
    return run;
  }
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** The optional parts of a record; a damaged one refuses the start, as the rest does. */
function extrasOf(data: object, invalid: (why: string) => Error): Extras {
  const extras: { fenceAfterMs?: number; failover?: FailoverRecord } = {};
  if ('fenceAfterMs' in data) {
    const ms = data.fenceAfterMs;
    if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms <= 0) {
      throw invalid('its fenceAfterMs is not a positive whole number');
    }
    extras.fenceAfterMs = ms;
  }
  if ('failover' in data) {
    extras.failover = failoverRecordFromJson(data.failover, invalid);
  }
  return extras;
}

function parseRecord(
  text: string,
  path: string,
): { state: FencingState; cached: CachedSpec | undefined; extras: Extras } {
  const invalid = (why: string): Error =>
    // Starting with fencing forgotten could let a deposed leader act: refuse to start instead.
    new Error(
      `${path} is not an agent state written by vsnet-agent (${why}); restore it from a backup, or remove it only if no deposed control leader can still reach this agent`,
    );
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw invalid('it is not JSON');
  }
  if (typeof data !== 'object' || data === null || !('version' in data) || data.version !== 2) {
    throw invalid('it is not version 2');
  }
  const state = fencingOf(data);
  if (state === undefined) {
    throw invalid('it lacks highestEpoch, lastGeneration or specHash');
  }
  const cached = 'cached' in data ? cachedSpecFromJson(data.cached, invalid) : undefined;
  return { state, cached, extras: extrasOf(data, invalid) };
}

/** A version-1 `fencing.json`. */
function parseFencing(text: string, path: string): FencingState {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  const state = fencingOf(data);
  if (state === undefined) {
    // Starting with fencing forgotten could let a deposed leader act: refuse to start instead.
    throw new Error(
      `${path} is not a fencing state written by vsnet-agent; restore it from a backup, or remove it only if no deposed control leader can still reach this agent`,
    );
  }
  return state;
}

function fencingOf(data: unknown): FencingState | undefined {
  if (
    typeof data === 'object' &&
    data !== null &&
    'highestEpoch' in data &&
    'lastGeneration' in data &&
    'specHash' in data &&
    typeof data.highestEpoch === 'string' &&
    typeof data.lastGeneration === 'string' &&
    typeof data.specHash === 'string' &&
    DECIMAL.test(data.highestEpoch) &&
    DECIMAL.test(data.lastGeneration)
  ) {
    return {
      highestEpoch: BigInt(data.highestEpoch),
      lastGeneration: BigInt(data.lastGeneration),
      specHash: data.specHash,
    };
  }
  return undefined;
}
