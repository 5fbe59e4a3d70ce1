/**
 * One poll loop per key, shared by everyone following that key: WatchChange streams of one
 * generation read its record once per wake-up however many streams watch it.
 */
export class SharedPolls<T> {
  private readonly polls = new Map<string, Poll<T>>();

  /**
   * @param read reads the value of a key; a throw ends that key's poll and every follower
   * gets the error.
   * @param wait resolves when it is time to read again.
   * @param final whether a value is the last one (the poll stops after sending it).
   */
  constructor(
    private readonly read: (key: string) => Promise<T>,
    private readonly wait: () => Promise<void>,
    private readonly final: (value: T) => boolean,
  ) {}

  /** Keys polled now: a poll ends when its last follower leaves or its value is final. */
  get size(): number {
    return this.polls.size;
  }

  /**
   * Calls `send` with the key's current value and with every value that differs from the one
   * before, until a final one (sent, then resolves) or `stop` resolves (resolves). Rejects
   * with the error of a failed read.
   */
  async follow(key: string, send: (value: T) => void, stop: Promise<void>): Promise<void> {
    const poll = this.join(key);
    let seen = 0;
    let stopped = false;
    const stopping = stop.then(() => {
      stopped = true;
    });
    try {
      for (;;) {
        if (poll.version > seen) {
          seen = poll.version;
          send(poll.latest as T);
          if (this.final(poll.latest as T)) {
            return;
          }
        }
        if (poll.failed) {
          throw poll.error;
        }
        await Promise.race([poll.changed.promise, stopping]);
        if (stopped) {
          return;
        }
      }
    } finally {
      poll.followers--;
    }
  }

  private join(key: string): Poll<T> {
    let poll = this.polls.get(key);
    if (poll === undefined) {
      poll = { followers: 0, version: 0, failed: false, changed: deferred() };
      this.polls.set(key, poll);
      void this.run(key, poll);
    }
    poll.followers++;
    return poll;
  }

  private async run(key: string, poll: Poll<T>): Promise<void> {
    let text: string | undefined;
    try {
      for (;;) {
        const value = await this.read(key);
        const next = JSON.stringify(value);
        if (next !== text) {
          text = next;
          poll.latest = value;
          poll.version++;
          poll.changed = announce(poll.changed);
        }
        if (this.final(value)) {
          return;
        }
        await this.wait();
        if (poll.followers === 0) {
          return;
        }
      }
    } catch (error) {
      poll.failed = true;
      poll.error = error;
      poll.changed = announce(poll.changed);
    } finally {
      // Synchronous with the last check: a follower arriving later starts a fresh poll.
      this.polls.delete(key);
    }
  }
}

interface Poll<T> {
  followers: number;
  /** Bumped with each new value; followers compare it with the last they sent. */
  version: number;
  latest?: T;
  failed: boolean;
  error?: unknown;
  /** Resolved (and replaced) whenever `version` or `failed` changes. */
  changed: Deferred;
}

interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function announce(current: Deferred): Deferred {
  current.resolve();
  return deferred();
}
