import { Injectable } from '@nestjs/common';
import type { ClusterEdit, EditResult } from '@vsnet/store';
import { ClusterStateStore } from '@vsnet/store';
import type { ClusterView } from '../cluster/cluster-reader.js';
import { ClusterReader } from '../cluster/cluster-reader.js';
import type { AccessOf, RpcCall } from './api-gate.js';
import { ApiGate, audited } from './api-gate.js';

/** How one edit of the stored cluster is made. */
export interface EditOptions {
  /** Refuse the edit (FAILED_PRECONDITION) unless the stored generation is this one. */
  readonly expectedGeneration?: string;
}

/**
 * Runs one edit of the stored cluster as the authorized caller: in one transaction under the
 * cluster lock, with its audit row (ClusterStateStore.edit).
 */
export type EditAs = <T>(edit: ClusterEdit<T>, options?: EditOptions) => Promise<EditResult<T>>;

/**
 * The two shapes of the cluster RPCs (clusters, filers, interfaces, vsvrs, routing, sites), on
 * {@link ApiGate}: a mutation makes model edits through the store as its caller; a read answers
 * from one consistent snapshot. Both run their work inside the gate, so whatever it throws,
 * answer mapping included, is mapped and counted like any other failure of the RPC.
 */
@Injectable()
export class ClusterGate {
  constructor(
    private readonly gate: ApiGate,
    private readonly store: ClusterStateStore,
    private readonly reader: ClusterReader,
  ) {}

  /**
   * A mutation: once the caller is authorized, `work` checks the request and makes its edit
   * with the function it is given (so a malformed request is refused before any transaction).
   */
  edit<Req, Res>(
    rpc: RpcCall<Req>,
    access: AccessOf<Req>,
    work: (edit: EditAs) => Promise<Res>,
  ): Promise<Res> {
    return this.gate.run(rpc, access, (caller) =>
      work((edit, options = {}) =>
        this.store.edit(edit, audited(caller, options.expectedGeneration)),
      ),
    );
  }

  /** A read: once the caller is authorized, `answer` from the current cluster's snapshot. */
  read<Req, Res>(
    rpc: RpcCall<Req>,
    access: AccessOf<Req>,
    answer: (view: ClusterView) => Res | Promise<Res>,
  ): Promise<Res> {
    return this.gate.run(rpc, access, async () => answer(await this.reader.read()));
  }
}
