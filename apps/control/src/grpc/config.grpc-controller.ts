import { status } from '@grpc/grpc-js';
import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { Controller, Logger } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import type { ClusterChange } from '@vsnet/store';
import { encodeClusterDocument, formatPath } from '@vsnet/model';
import { clusterApiMethodPath } from '../../../../libs/contracts/src/cluster-api.js';
import {
  clusterDocumentFromWire,
  clusterDocumentToWire,
} from '../../../../libs/contracts/src/cluster-api-document.js';
import type { ApplyRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ApplyRequest.js';
import type { ApplyResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ApplyResponse.js';
import type { ChangeKind } from '../../../../libs/contracts/src/generated/vsnet/v1/ChangeKind.js';
import type { ExportResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ExportResponse.js';
import type { GetClusterResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/GetClusterResponse.js';
import { ConfigApiService } from '../config-api/config-api.service.js';
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
 * the wire. The other RPCs of those services answer UNIMPLEMENTED (grpc-js's default).
 */
@Controller()
export class ConfigGrpcController {
  private readonly logger = new Logger(ConfigGrpcController.name);

  constructor(private readonly api: ConfigApiService) {}

  @GrpcMethod('ConfigService', 'Apply')
  async apply(
    request: ApplyRequest__Output,
    _metadata: Metadata,
    call: ServerUnaryCall<unknown, unknown>,
  ): Promise<ApplyResponse> {
    const rpc = clusterApiMethodPath('ConfigService', 'Apply');
    return this.guard(rpc, async () => {
      if (request.document === null || request.document === undefined) {
        throw requestRefusal('document', 'is required: the whole cluster document to apply');
      }
      if (request.expectedGeneration !== undefined) {
        // The store has no compare-and-set yet; refusing is honest, ignoring it would not be.
        throw plainStatus(
          status.UNIMPLEMENTED,
          'expectedGeneration is not supported yet; apply without it',
        );
      }
      const result = await this.api.apply(
        clusterDocumentFromWire(request.document),
        request.dryRun,
        // No authentication yet: every caller is 'anonymous' until the token interceptor
        // (issue 3, item 4) puts the real principal here.
        { principal: 'anonymous', rpc, peer: call.getPeer() },
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
  async export(): Promise<ExportResponse> {
    return this.guard(clusterApiMethodPath('ConfigService', 'Export'), async () => {
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
  async getCluster(): Promise<GetClusterResponse> {
    return this.guard(clusterApiMethodPath('ClusterService', 'GetCluster'), async () => {
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

  /**
   * Refusals pass through; anything else is a bug or an outage: logged here with its stack,
   * answered INTERNAL with a generic message (never the error's text or stack).
   */
  private async guard<T>(rpc: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof RpcException) {
        throw error;
      }
      this.logger.error(
        `${rpc} failed: ${error instanceof Error ? error.message : String(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
      throw plainStatus(status.INTERNAL, 'internal error; the service logged the details');
    }
  }
}
