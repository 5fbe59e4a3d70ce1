/**
 * One placement operation at a time per vsvr (a failover, a move, a revert): an operation
 * waits for those that took any of its vsvrs before it, in the order they asked, so two never
 * move one vsvr at once and none can wait on a later one (no deadlock).
 */
export class VsvrLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(vsvrs: readonly string[], work: () => Promise<T>): Promise<T> {
    const keys = [...new Set(vsvrs.map((v) => v.toLowerCase()))];
    const before = Promise.all(keys.map((k) => this.tails.get(k) ?? Promise.resolve()));
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (const k of keys) {
      this.tails.set(k, mine);
    }
    try {
      await before;
      return await work();
    } finally {
      release();
      for (const k of keys) {
        if (this.tails.get(k) === mine) {
          this.tails.delete(k);
        }
      }
    }
  }

  /** Whether an operation holds or waits for `vsvr`. */
  busy(vsvr: string): boolean {
    return this.tails.has(vsvr.toLowerCase());
  }
}
