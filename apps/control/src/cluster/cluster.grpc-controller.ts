import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { changeClusterMac, initCluster } from '@vsnet/model';
import type { ChangeClusterMacRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ChangeClusterMacRequest.js';
import type { ChangeClusterMacResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ChangeClusterMacResponse.js';
import type { InitClusterRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/InitClusterRequest.js';
import type { InitClusterResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/InitClusterResponse.js';
import { CLUSTER_NETWORK } from '../auth/access.js';
import type { UnaryCall } from '../grpc/api-gate.js';
import { rpcCall } from '../grpc/api-gate.js';
import { ClusterGate } from '../grpc/cluster-gate.js';

const SERVICE = 'ClusterService';

/**
 * vsnet.v1.ClusterService's mutations: InitCluster and ChangeClusterMac, each an edit from
 * libs/model run by the store. GetCluster is served by ConfigGrpcController.
 */
@Controller()
export class ClusterGrpcController {
  constructor(private readonly cluster: ClusterGate) {}

  @GrpcMethod(SERVICE, 'InitCluster')
  initCluster(
    req: InitClusterRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<InitClusterResponse> {
    const rpc = rpcCall(SERVICE, 'InitCluster', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const done = await edit((current) => initCluster(current, { name: req.name, mac: req.mac }));
      return { cluster: done.result, generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'ChangeClusterMac')
  changeClusterMac(
    req: ChangeClusterMacRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<ChangeClusterMacResponse> {
    const rpc = rpcCall(SERVICE, 'ChangeClusterMac', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const done = await edit((current) => changeClusterMac(current, req.mac), {
        expectedGeneration: req.expectedGeneration,
      });
      return { cluster: done.result, generation: done.generation };
    });
  }
}
