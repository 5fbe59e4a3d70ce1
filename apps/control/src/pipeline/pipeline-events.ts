import { Injectable } from '@nestjs/common';

/**
 * In-process news that some filer's state was stored: wakes WatchChange streams at once
 * instead of at their next poll. Another control instance's updates reach them by the poll.
 */
@Injectable()
export class PipelineEvents {
  private waiters: (() => void)[] = [];
  /** Notifications so far: lets a reader tell whether news came while it was reading. */
  private count = 0;

  /** A filer's state changed in the database. */
  notify(): void {
    this.count++;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) {
      wake();
    }
  }

  /** Where the news stands: take it before a read, and pass it to {@link next} after. */
  mark(): number {
    return this.count;
  }

  /**
   * Resolves at the next {@link notify}, or after `timeoutMs` at the latest; at once when
   * there was one since `since` (a {@link mark}), so news that came during a read is not
   * left waiting for the timeout.
   */
  next(timeoutMs: number, since: number = this.count): Promise<void> {
    if (this.count !== since) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiters = this.waiters;
      function done(): void {
        clearTimeout(timer);
        const at = waiters.indexOf(done);
        if (at >= 0) {
          waiters.splice(at, 1);
        }
        resolve();
      }
      waiters.push(done);
    });
  }
}
