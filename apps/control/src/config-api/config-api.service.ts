import { Injectable } from '@nestjs/common';
import type { ClusterDocument } from '@vsnet/model';
import { encodeClusterDocument } from '@vsnet/model';
import type { ApplyResult, AuditedCaller, StoredCluster } from '@vsnet/store';
import { ClusterEntity, ClusterStateStore, inTransaction } from '@vsnet/store';
import { DataSource } from 'typeorm';
import { DatabaseProbe } from '../database/database.probe.js';

/** The one cluster row (ClusterEntity, id 1), as ClusterStateStore keeps it. */
const CLUSTER_ROW_ID = 1;

/** The stored cluster with its head row (generation, time of the last change). */
export interface ClusterSnapshot {
  readonly stored: StoredCluster;
  readonly updatedAt: Date;
}

/**
 * The cluster-wide configuration API behind the transport: Apply, Export and the cluster's
 * head, on the {@link ClusterStateStore}. Knows nothing about gRPC; the handlers map.
 */
@Injectable()
export class ConfigApiService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: ClusterStateStore,
    private readonly database: DatabaseProbe,
  ) {}

  /** Validates `document` and, unless `dryRun`, makes it the stored cluster. */
  async apply(
    document: ClusterDocument,
    dryRun: boolean,
    caller: AuditedCaller,
  ): Promise<ApplyResult> {
    await this.connected();
    return this.store.apply(document, { dryRun, ...caller });
  }

  /**
   * The stored cluster and its head, read in one transaction holding the cluster row's read
   * lock (every writer holds its write lock), so the document and the generation agree.
   * `undefined` before the first apply.
   */
  async snapshot(): Promise<ClusterSnapshot | undefined> {
    await this.connected();
    return inTransaction(this.dataSource, async (manager) => {
      // Written out rather than TypeORM's setLock('pessimistic_read'): that renders FOR SHARE
      // under the 'mysql' driver flavour, which MariaDB rejects; LOCK IN SHARE MODE is
      // understood by MySQL 8, NDB and MariaDB alike.
      await manager.query(`SELECT id FROM cluster WHERE id = ? LOCK IN SHARE MODE`, [
        CLUSTER_ROW_ID,
      ]);
      const head = await manager.findOne(ClusterEntity, { where: { id: CLUSTER_ROW_ID } });
      if (head === null) {
        return undefined;
      }
      const stored = await this.store.load(manager);
      return stored === undefined ? undefined : { stored, updatedAt: head.updatedAt };
    });
  }

  /** The stored generation ('0' before the first change): one primary-key read, no lock. */
  async generation(): Promise<string> {
    await this.connected();
    const head = await this.dataSource.manager.findOne(ClusterEntity, {
      select: { id: true, generation: true },
      where: { id: CLUSTER_ROW_ID },
    });
    return head?.generation ?? '0';
  }

  /** The stored cluster as the document Apply accepts unchanged, with its generation. */
  async export(): Promise<{ document: ClusterDocument; generation: string } | undefined> {
    const snapshot = await this.snapshot();
    return snapshot === undefined
      ? undefined
      : {
          document: encodeClusterDocument(snapshot.stored.cluster),
          generation: snapshot.stored.generation,
        };
  }

  /** The DataSource starts unconnected (see DatabaseProbe); the first call connects it. */
  private async connected(): Promise<void> {
    if (!this.dataSource.isInitialized) {
      await this.database.check();
    }
  }
}
