import { join } from 'node:path';
import { AgentError } from './agent.errors.js';
import { AtomicFile } from './atomic-file.js';
import type { AtomicFileSystem } from './atomic-file.js';

/** What fencing remembers across restarts. */
export interface FencingState {
  /** Highest control-leader epoch any accepted command carried. */
  readonly highestEpoch: bigint;
  /** Generation of the last successful apply (0n before the first). */
  readonly lastGeneration: bigint;
  /** Hash of the spec applied at `lastGeneration` ('' before the first). */
  readonly specHash: string;
}

export const FENCING_FILE = 'fencing.json';

const INITIAL: FencingState = { highestEpoch: 0n, lastGeneration: 0n, specHash: '' };

/**
 * The agent's fencing state (ARCHITECTURE.md §3, §4): a command from a deposed leader (older
 * epoch) or for an older generation is refused, and the numbers survive a restart because
 * every change is written atomically before it counts.
 */
export class FencingStore {
  private constructor(
    private readonly file: AtomicFile,
    private current: FencingState,
  ) {}

  /** Loads `fencing.json` from the state folder; a missing file is a node that never applied. */
  static async open(stateDir: string, files?: AtomicFileSystem): Promise<FencingStore> {
    const file = new AtomicFile(join(stateDir, FENCING_FILE), files);
    const text = await file.read();
    return new FencingStore(file, text === undefined ? INITIAL : parse(text, file.path));
  }

  get state(): FencingState {
    return this.current;
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
      await this.save({ ...this.current, highestEpoch: epoch });
    }
  }

  /** Remembers a successful apply (durably). */
  async recordApplied(generation: bigint, specHash: string): Promise<void> {
    if (generation !== this.current.lastGeneration || specHash !== this.current.specHash) {
      await this.save({ ...this.current, lastGeneration: generation, specHash });
    }
  }

  private async save(next: FencingState): Promise<void> {
    await this.file.write(
      `${JSON.stringify({
        version: 1,
        highestEpoch: next.highestEpoch.toString(),
        lastGeneration: next.lastGeneration.toString(),
        specHash: next.specHash,
      })}\n`,
    );
    this.current = next;
  }
}

const DECIMAL = /^\d+$/;

function parse(text: string, path: string): FencingState {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
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
  // Starting with fencing forgotten could let a deposed leader act: refuse to start instead.
  throw new Error(
    `${path} is not a fencing state written by vsnet-agent; restore it from a backup, or remove it only if no deposed control leader can still reach this agent`,
  );
}
