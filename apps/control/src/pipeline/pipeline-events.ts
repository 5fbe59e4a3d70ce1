import { Injectable } from '@nestjs/common';

/**
 * In-process news that some filer's state was stored: wakes WatchChange streams at once
 * instead of at their next poll. Another control instance's updates reach them by the poll.
 */
@Injectable()
export class PipelineEvents {
  private waiters: (() => void)[] = [];

  /** A filer's state changed in the database. */
  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) {
      wake();
    }
  }

  /** Resolves at the next {@link notify}, or after `timeoutMs` at the latest. */
  next(timeoutMs: number): Promise<void> {
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
