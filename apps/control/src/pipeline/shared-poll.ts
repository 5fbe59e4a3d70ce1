/** When a poll reads again. */
export interface PollClock {
  /** Taken before each read: where the news stands. */
  mark(): number;
  /**
   * Resolves when it is time to read again after a read begun at `since`: at once when news
   * came meanwhile (a value that changed during the read is read again without delay).
   */
  next(since: number): Promise<void>;
}

/**
 * One poll loop per key, shared by everyone following that key: WatchChange streams of one
 * generation read its record once per wake-up however many streams watch it.
 */
export class SharedPolls<T> {
  private readonly polls = new Map<string, Poll<T>>();

  /**
   * @param open gives the reader of a key's value for one poll (it may keep what never
   * changes between its reads); a throw ends that key's poll and every follower gets the
   * error.
   * @param clock says when to read again.
   * @param final whether a value is the last one (the poll stops after sending it).
   */
  constructor(
    private readonly open: (key: string) => () => Promise<T>,
    private readonly clock: PollClock,
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
      const read = this.open(key);
      for (;;) {
        const mark = this.clock.mark();
        const value = await read();
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
        await this.clock.next(mark);
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
