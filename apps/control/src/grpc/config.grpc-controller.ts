import { status } from '@grpc/grpc-js';
import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { ClusterChange } from '@vsnet/store';
import { encodeClusterDocument, formatPath } from '@vsnet/model';
import {
  clusterDocumentFromWire,
  clusterDocumentToWire,
} from '../../../../libs/contracts/src/cluster-api-document.js';
import type { ApplyRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ApplyRequest.js';
import type { ApplyResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ApplyResponse.js';
import type { ChangeKind } from '../../../../libs/contracts/src/generated/vsnet/v1/ChangeKind.js';
import type { ExportRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ExportRequest.js';
import type { ExportResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ExportResponse.js';
import type { GetClusterRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/GetClusterRequest.js';
import type { GetClusterResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/GetClusterResponse.js';
import { ConfigApiService } from '../config-api/config-api.service.js';
import { CLUSTER_NETWORK, READ } from '../auth/access.js';
import type { UnaryCall } from './api-gate.js';
import { ApiGate, audited, rpcCall } from './api-gate.js';
import { documentRefusal, plainStatus, requestRefusal } from './grpc-status.js';
import { toWireValue } from './wire-value.js';

/**
 * The status of a read of a cluster that was never applied or initialized. docs/api.md and
 * proto/vsnet/v1/{config,cluster}.proto both promise FAILED_PRECONDITION ("an uninitialized
 * cluster"); NOT_FOUND is kept for named objects.
 */
export const UNINITIALIZED_STATUS = status.FAILED_PRECONDITION;
const UNINITIALIZED_MESSAGE =
  'the cluster has never been applied; create it with vsnet apply -f CLUSTER.yaml (ConfigService/Apply)';

const CHANGE_KINDS: Readonly<Record<ClusterChange['kind'], ChangeKind>> = {
  add: 'CHANGE_KIND_ADDED',
  remove: 'CHANGE_KIND_REMOVED',
  change: 'CHANGE_KIND_CHANGED',
};

/**
 * vsnet.v1.ConfigService (Apply, Export) and vsnet.v1.ClusterService/GetCluster: thin
 * handlers that check the request's shape, call {@link ConfigApiService} and map its answer to
 * the wire; {@link ApiGate} authenticates, authorizes and maps failures.
 */
@Controller()
export class ConfigGrpcController {
  constructor(
    private readonly api: ConfigApiService,
    private readonly gate: ApiGate,
  ) {}

  @GrpcMethod('ConfigService', 'Apply')
  apply(
    request: ApplyRequest__Output,
    metadata: Metadata,
    call: UnaryCall,
  ): Promise<ApplyResponse> {
    const rpc = rpcCall('ConfigService', 'Apply', request, metadata, call);
    return this.gate.run(rpc, CLUSTER_NETWORK, async (caller) => {
      if (request.document === null || request.document === undefined) {
        throw requestRefusal('document', 'is required: the whole cluster document to apply');
      }
      const result = await this.api.apply(
        clusterDocumentFromWire(request.document),
        request.dryRun,
        audited(caller, request.expectedGeneration),
      );
      if (!result.ok) {
        throw documentRefusal(result.problems);
      }
      return {
        changes: result.changes.map((c) => ({
          kind: CHANGE_KINDS[c.kind],
          path: c.path,
          ...(c.before !== undefined ? { before: toWireValue(c.before) } : {}),
          ...(c.after !== undefined ? { after: toWireValue(c.after) } : {}),
        })),
        generation: result.generation,
        applied: !request.dryRun && result.changes.length > 0,
        warnings: result.warnings
          .filter((p) => p.severity === 'warning')
          .map((p) => ({ code: p.code, path: formatPath(p.path), message: p.message })),
      };
    });
  }

  @GrpcMethod('ConfigService', 'Export')
  export(
    request: ExportRequest__Output,
    metadata: Metadata,
    call: UnaryCall,
  ): Promise<ExportResponse> {
    const rpc = rpcCall('ConfigService', 'Export', request, metadata, call);
    return this.gate.run(rpc, READ, async () => {
      const exported = await this.api.export();
      if (exported === undefined) {
        throw plainStatus(UNINITIALIZED_STATUS, UNINITIALIZED_MESSAGE);
      }
      return {
        document: clusterDocumentToWire(exported.document),
        generation: exported.generation,
      };
    });
  }

  @GrpcMethod('ClusterService', 'GetCluster')
  getCluster(
    request: GetClusterRequest__Output,
    metadata: Metadata,
    call: UnaryCall,
  ): Promise<GetClusterResponse> {
    const rpc = rpcCall('ClusterService', 'GetCluster', request, metadata, call);
    return this.gate.run(rpc, READ, async () => {
      const snapshot = await this.api.snapshot();
      if (snapshot === undefined) {
        throw plainStatus(UNINITIALIZED_STATUS, UNINITIALIZED_MESSAGE);
      }
      const { cluster, generation } = snapshot.stored;
      return {
        cluster: clusterDocumentToWire(encodeClusterDocument(cluster)).cluster ?? null,
        generation,
        filerCount: cluster.filers.length,
        vsvrCount: cluster.vsvrs.length,
        updatedUnixMs: String(snapshot.updatedAt.getTime()),
      };
    });
  }
}
