import { Injectable } from '@nestjs/common';
import type { NodeSpec } from '@vsnet/model';

/** How long a takeover holds specs back at most when its placement is never committed. */
export const TAKEOVER_HOLD_MS = 30_000;

interface Held {
  /** By lower-case filer: whether the vsvr runs there since the takeover. */
  readonly active: Map<string, boolean>;
  expires: number;
}

/**
 * Keeps the pipeline from undoing a takeover. Failover plumbs first (Agent.Takeover) and commits
 * the new placement after; a spec compiled in between from the old placement (an edit committed
 * meanwhile) would, once applied with its newer generation, switch the vsvr back on the filer it
 * left, or off on the one that took it. Between a Takeover and the commit of its placement,
 * the leader's reconciler therefore holds back any spec that disagrees with what the takeover
 * did; the commit's own specs agree and go out at once.
 */
@Injectable()
export class TakeoverGate {
  private readonly held = new Map<string, Held>();

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** Notes what a Takeover on `filer` did, before it is sent. */
  took(
    filer: string,
    change: { readonly activate?: readonly string[]; readonly deactivate?: readonly string[] },
  ): void {
    const expires = this.clock() + TAKEOVER_HOLD_MS;
    const note = (vsvr: string, active: boolean): void => {
      const key = vsvr.toLowerCase();
      const entry = this.held.get(key) ?? { active: new Map<string, boolean>(), expires };
      entry.active.set(filer.toLowerCase(), active);
      entry.expires = expires;
      this.held.set(key, entry);
    };
    for (const vsvr of change.deactivate ?? []) {
      note(vsvr, false);
    }
    for (const vsvr of change.activate ?? []) {
      note(vsvr, true);
    }
  }

  /** The placement of these vsvrs is committed (or abandoned): their specs flow again. */
  settled(vsvrs: readonly string[]): void {
    for (const vsvr of vsvrs) {
      this.held.delete(vsvr.toLowerCase());
    }
  }

  /** Leadership ended: the next leader starts from the committed placement. */
  clear(): void {
    this.held.clear();
  }

  /** Why `spec` must wait for `filer`, or `undefined` when it agrees with every takeover. */
  conflict(filer: string, spec: NodeSpec): string | undefined {
    if (this.held.size === 0) {
      return undefined;
    }
    const now = this.clock();
    const key = filer.toLowerCase();
    for (const v of spec.vsvrs) {
      const entry = this.held.get(v.name.toLowerCase());
      if (entry === undefined) {
        continue;
      }
      if (entry.expires <= now) {
        this.held.delete(v.name.toLowerCase());
        continue;
      }
      const active = entry.active.get(key);
      if (active !== undefined && active !== v.active) {
        return `${v.name} was just ${active ? 'taken over by' : 'withdrawn from'} ${filer}; waiting for its placement to be committed`;
      }
    }
    return undefined;
  }
}
