import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { NodeSpec } from '@vsnet/model';
import { AtomicFile } from './atomic-file.js';
import type { AtomicFileSystem } from './atomic-file.js';

/** The last spec this node applied successfully, with the numbers it came with. */
export interface CachedSpec {
  readonly generation: bigint;
  readonly epoch: bigint;
  readonly spec: NodeSpec;
}

export const SPEC_CACHE_FILE = 'spec.json';

/**
 * The node's local copy of its spec (§5.2.6.1: a node comes up from it when no control
 * service is reachable). Written atomically after every successful apply; read once at start.
 * A checksum of the spec guards the content: a file whose spec was damaged or edited is
 * refused rather than applied.
 */
export class SpecCache {
  private readonly file: AtomicFile;

  constructor(stateDir: string, files?: AtomicFileSystem) {
    this.file = new AtomicFile(join(stateDir, SPEC_CACHE_FILE), files);
  }

  get path(): string {
    return this.file.path;
  }

  /** The cached spec; undefined when there is none; throws when the file is not a valid cache. */
  async read(): Promise<CachedSpec | undefined> {
    const text = await this.file.read();
    return text === undefined ? undefined : this.parse(text);
  }

  async write(cached: CachedSpec): Promise<void> {
    const document = {
      version: 1,
      generation: cached.generation.toString(),
      epoch: cached.epoch.toString(),
      checksum: checksumOf(cached.spec),
      spec: cached.spec,
    };
    await this.file.write(`${JSON.stringify(document, null, 2)}\n`);
  }

  private parse(text: string): CachedSpec {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw this.invalid('it is not JSON');
    }
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
      throw this.invalid('it lacks generation, epoch, checksum or spec');
    }
    // JSON.parse keeps key order, so an untouched spec serializes to the text we checksummed;
    // only a spec this class wrote passes, which is what makes the cast below safe.
    if (data.checksum !== checksumOf(data.spec)) {
      throw this.invalid('its spec does not match its checksum');
    }
    return {
      generation: BigInt(data.generation),
      epoch: BigInt(data.epoch),
      spec: data.spec as NodeSpec,
    };
  }

  private invalid(why: string): Error {
    return new Error(
      `${this.path} is not a usable spec cache (${why}); remove it and let control apply the current spec`,
    );
  }
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
