import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { changeClusterMac, initCluster } from '@vsnet/model';
import { ClusterStateStore } from '@vsnet/store';
import type { ChangeClusterMacRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ChangeClusterMacRequest.js';
import type { ChangeClusterMacResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ChangeClusterMacResponse.js';
import type { InitClusterRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/InitClusterRequest.js';
import type { InitClusterResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/InitClusterResponse.js';
import { CLUSTER_NETWORK } from '../auth/access.js';
import { ApiGate, audited } from '../grpc/api-gate.js';

type Call = ServerUnaryCall<unknown, unknown>;

/**
 * vsnet.v1.ClusterService's mutations: InitCluster and ChangeClusterMac, each an edit from
 * libs/model run by the store. GetCluster is served by ConfigGrpcController.
 */
@Controller()
export class ClusterGrpcController {
  constructor(
    private readonly gate: ApiGate,
    private readonly store: ClusterStateStore,
  ) {}

  @GrpcMethod('ClusterService', 'InitCluster')
  initCluster(
    req: InitClusterRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<InitClusterResponse> {
    return this.gate.run(
      'ClusterService',
      'InitCluster',
      req,
      md,
      call,
      CLUSTER_NETWORK,
      async (caller) => {
        const done = await this.store.edit(
          (current) => initCluster(current, { name: req.name, mac: req.mac }),
          audited(caller),
        );
        return { cluster: done.result, generation: done.generation };
      },
    );
  }

  @GrpcMethod('ClusterService', 'ChangeClusterMac')
  changeClusterMac(
    req: ChangeClusterMacRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<ChangeClusterMacResponse> {
    return this.gate.run(
      'ClusterService',
      'ChangeClusterMac',
      req,
      md,
      call,
      CLUSTER_NETWORK,
      async (caller) => {
        const done = await this.store.edit(
          (current) => changeClusterMac(current, req.mac),
          audited(caller, req.expectedGeneration),
        );
        return { cluster: done.result, generation: done.generation };
      },
    );
  }
}
