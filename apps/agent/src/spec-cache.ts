import { createHash } from 'node:crypto';
import type { NodeSpec } from '@vsnet/model';
import type { FencingStore } from './fencing-store.js';

/** The last spec this node applied successfully, with the numbers it came with. */
export interface CachedSpec {
  readonly generation: bigint;
  readonly epoch: bigint;
  readonly spec: NodeSpec;
}

/** Where versions before 2 kept the cache; read once to migrate (fencing-store.ts). */
export const SPEC_CACHE_FILE = 'spec.json';

/**
 * The node's local copy of its spec (§5.2.6.1: a node comes up from it when no control
 * service is reachable). It lives in the fencing store's record, so the spec and the numbers
 * that admit it are written in one atomic write; this is the read side the start-up uses.
 */
export class SpecCache {
  constructor(private readonly store: FencingStore) {}

  /** The file that holds the cache. */
  get path(): string {
    return this.store.path;
  }

  /** The cached spec; undefined when no apply succeeded yet. */
  read(): Promise<CachedSpec | undefined> {
    return Promise.resolve(this.store.cached);
  }
}

/** The JSON form of a cached spec; the checksum lets a reader refuse a damaged or edited spec. */
export function cachedSpecToJson(cached: CachedSpec): Record<string, unknown> {
  return {
    generation: cached.generation.toString(),
    epoch: cached.epoch.toString(),
    checksum: checksumOf(cached.spec),
    spec: cached.spec,
  };
}

/**
 * The cached spec of {@link cachedSpecToJson}'s form; throws `invalid(why)` when `data` is not
 * one, or its spec does not match its checksum.
 */
export function cachedSpecFromJson(data: unknown, invalid: (why: string) => Error): CachedSpec {
  if (
    typeof data !== 'object' ||
    data === null ||
    !('generation' in data) ||
    !('epoch' in data) ||
    !('spec' in data) ||
    !('checksum' in data) ||
    typeof data.generation !== 'string' ||
    typeof data.epoch !== 'string' ||
    !/^\d+$/.test(data.generation) ||
    !/^\d+$/.test(data.epoch) ||
    !isSpecShaped(data.spec)
  ) {
    throw invalid('it lacks generation, epoch, checksum or spec');
  }
  // JSON.parse keeps key order, so an untouched spec serializes to the text we checksummed;
  // only a spec this agent wrote passes, which is what makes the cast below safe.
  if (data.checksum !== checksumOf(data.spec)) {
    throw invalid('its spec does not match its checksum');
  }
  return {
    generation: BigInt(data.generation),
    epoch: BigInt(data.epoch),
    spec: data.spec as NodeSpec,
  };
}

/** A version-1 `spec.json`; throws when it is not one. */
export function parseLegacySpecCache(text: string, path: string): CachedSpec {
  const invalid = (why: string): Error =>
    new Error(
      `${path} is not a usable spec cache (${why}); remove it and let control apply the current spec`,
    );
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw invalid('it is not JSON');
  }
  return cachedSpecFromJson(data, invalid);
}

function checksumOf(spec: unknown): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex');
}

function isSpecShaped(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    'specVersion' in value &&
    value.specVersion === 1 &&
    'filer' in value &&
    typeof value.filer === 'string' &&
    'hash' in value &&
    typeof value.hash === 'string'
  );
}
