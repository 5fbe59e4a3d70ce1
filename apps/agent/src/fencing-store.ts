import { join } from 'node:path';
import { AgentError } from './agent.errors.js';
import { AtomicFile, NODE_FILE_SYSTEM } from './atomic-file.js';
import type { AtomicFileSystem } from './atomic-file.js';
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
  private constructor(
    private readonly file: AtomicFile,
    private current: FencingState,
    private cache: CachedSpec | undefined,
  ) {}

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
      const { state, cached } = parseRecord(text, file.path);
      return new FencingStore(file, state, cached);
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
      await store.save(store.current, store.cache);
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

  /**
   * Throws an {@link AgentError} when a command with this generation, epoch and spec hash must
   * be refused. The same generation with the same hash is admitted: the apply converges the
   * kernel again, which changes nothing when it already matches.
   */
  admit(generation: bigint, epoch: bigint, specHash: string): void {
    const { highestEpoch, lastGeneration } = this.current;
    if (epoch < highestEpoch) {
      throw new AgentError(
        'fenced',
        `fenced: epoch ${epoch} is older than epoch ${highestEpoch} already seen; a newer control leader has taken over`,
      );
    }
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
    if (epoch > this.current.highestEpoch) {
      await this.save({ ...this.current, highestEpoch: epoch }, this.cache);
    }
  }

  /**
   * Remembers a successful apply and caches its spec, in one durable write; the epoch it
   * carried is remembered too when higher.
   */
  async recordApplied(applied: CachedSpec): Promise<void> {
    const { highestEpoch } = this.current;
    await this.save(
      {
        highestEpoch: applied.epoch > highestEpoch ? applied.epoch : highestEpoch,
        lastGeneration: applied.generation,
        specHash: applied.spec.hash,
      },
      applied,
    );
  }

  private async save(next: FencingState, cached: CachedSpec | undefined): Promise<void> {
    const record = {
      version: 2,
      highestEpoch: next.highestEpoch.toString(),
      lastGeneration: next.lastGeneration.toString(),
      specHash: next.specHash,
      ...(cached === undefined ? {} : { cached: cachedSpecToJson(cached) }),
    };
    await this.file.write(`${JSON.stringify(record, null, 2)}\n`);
    this.current = next;
    this.cache = cached;
  }
}

function parseRecord(
  text: string,
  path: string,
): { state: FencingState; cached: CachedSpec | undefined } {
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
  return { state, cached };
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
