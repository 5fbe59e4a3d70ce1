import { Injectable } from '@nestjs/common';
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { CompiledCluster } from '@vsnet/store';
import { ClusterStateStore } from '@vsnet/store';

/**
 * The specs the last commit of this instance compiled (every filer's, for the generation it
 * produced). The reconciler sends them when that generation is still the current one, instead
 * of loading the whole cluster and compiling the filer's spec again moments after the commit
 * did; after a restart, or a change committed by another instance, it finds the generation
 * moved on and loads and compiles as before.
 */
@Injectable()
export class CompiledSpecs implements OnModuleInit, OnModuleDestroy {
  private latest: CompiledCluster | undefined;
  private unlisten: (() => void) | undefined;

  constructor(private readonly store: ClusterStateStore) {}

  onModuleInit(): void {
    // The newest announcement wins, whatever its generation: when two commits' announcements
    // ever came out of order, the kept one is older than the database's and simply misses.
    this.unlisten = this.store.onCommitted((_generation, _filers, compiled) => {
      this.latest = compiled;
    });
  }

  onModuleDestroy(): void {
    this.unlisten?.();
    this.latest = undefined;
  }

  /** The specs of `generation` when this instance committed it last, else `undefined`. */
  at(generation: string): CompiledCluster | undefined {
    return this.latest?.generation === generation ? this.latest : undefined;
  }
}
