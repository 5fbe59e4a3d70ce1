import { Injectable } from '@nestjs/common';
import type { AddressRow, ClusterAnalysis, ClusterDocument } from '@vsnet/model';
import { addressTable, analyzeCluster, EditRefusal, encodeClusterDocument } from '@vsnet/model';
import type { StoredCluster } from '@vsnet/store';
import { ConfigApiService } from '../config-api/config-api.service.js';

/** The stored cluster as the read RPCs use it: parsed, as a document, and analyzed. */
export interface ClusterView {
  readonly stored: StoredCluster;
  readonly document: ClusterDocument;
  readonly analysis: ClusterAnalysis;
  /** The DHCP worksheet: every address with its identifier and site (§5.2.6). */
  readonly addresses: readonly AddressRow[];
  readonly updatedAt: Date;
}

/**
 * Consistent reads of the stored cluster (one snapshot under the cluster row's read lock), with
 * the model's analysis (placements, identifiers, routes) kept for the latest generation so a
 * burst of reads analyzes once.
 */
@Injectable()
export class ClusterReader {
  private cached: ClusterView | undefined;

  constructor(private readonly api: ConfigApiService) {}

  /** The current cluster, or FAILED_PRECONDITION (as an EditRefusal) before it exists. */
  async read(): Promise<ClusterView> {
    // A committed generation's rows never change, so a view of the current generation is
    // current: one primary-key read saves loading the whole cluster.
    const cached = this.cached;
    if (cached !== undefined && cached.stored.generation === (await this.api.generation())) {
      return cached;
    }
    const snapshot = await this.api.snapshot();
    if (snapshot === undefined) {
      throw new EditRefusal(
        'failed-precondition',
        'the cluster is not initialized; create it with vsnet cluster init or vsnet apply -f CLUSTER.yaml',
        [{ field: 'cluster', description: 'the cluster is not initialized' }],
        'cluster.uninitialized',
      );
    }
    if (this.cached?.stored.generation === snapshot.stored.generation) {
      return this.cached;
    }
    const analysis = analyzeCluster(snapshot.stored.cluster);
    const view: ClusterView = {
      stored: snapshot.stored,
      document: encodeClusterDocument(snapshot.stored.cluster),
      analysis,
      addresses: addressTable(snapshot.stored.cluster, analysis),
      updatedAt: snapshot.updatedAt,
    };
    this.cached = view;
    return view;
  }
}
