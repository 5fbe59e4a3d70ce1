import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { activeFiler, registerFiler, requireFiler } from '@vsnet/model';
import { filerToWire } from '../../../../libs/contracts/src/cluster-api-document.js';
import type { GetFilerRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/GetFilerRequest.js';
import type { GetFilerResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/GetFilerResponse.js';
import type { ListFilersRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ListFilersRequest.js';
import type { ListFilersResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ListFilersResponse.js';
import type { RegisterFilerRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/RegisterFilerRequest.js';
import type { RegisterFilerResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/RegisterFilerResponse.js';
import { CLUSTER_NETWORK, READ } from '../auth/access.js';
import type { UnaryCall } from '../grpc/api-gate.js';
import { rpcCall } from '../grpc/api-gate.js';
import { ClusterGate } from '../grpc/cluster-gate.js';
import { pageByName } from '../grpc/paging.js';

const SERVICE = 'FilerService';

/**
 * vsnet.v1.FilerService: RegisterFiler is an edit from libs/model run by the store; the reads
 * come from one consistent snapshot.
 */
@Controller()
export class FilerGrpcController {
  constructor(private readonly cluster: ClusterGate) {}

  @GrpcMethod(SERVICE, 'RegisterFiler')
  registerFiler(
    req: RegisterFilerRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<RegisterFilerResponse> {
    const rpc = rpcCall(SERVICE, 'RegisterFiler', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const done = await edit((current) =>
        registerFiler(current, {
          name: req.name,
          interfaces: req.interfaces.map((i) => ({
            name: i.name,
            mac: i.mac,
            ...(i.mtu !== undefined ? { mtu: i.mtu } : {}),
          })),
        }),
      );
      return { filer: filerToWire(done.result), generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'ListFilers')
  listFilers(
    req: ListFilersRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<ListFilersResponse> {
    const rpc = rpcCall(SERVICE, 'ListFilers', req, md, call);
    return this.cluster.read(rpc, READ, (view) => {
      const page = pageByName(view.document.filers, req);
      return {
        filers: page.items.map(filerToWire),
        nextPageToken: page.nextPageToken,
        generation: view.stored.generation,
      };
    });
  }

  @GrpcMethod(SERVICE, 'GetFiler')
  getFiler(req: GetFilerRequest__Output, md: Metadata, call: UnaryCall): Promise<GetFilerResponse> {
    const rpc = rpcCall(SERVICE, 'GetFiler', req, md, call);
    return this.cluster.read(rpc, READ, (view) => {
      const filer = requireFiler(view.document, req.name, 'name');
      // A vsvr runs where a failover or a move placed it, else on the first filer of its
      // placement that can carry it (§5.7).
      const activeVsvrs = [...view.analysis.placements.values()]
        .filter(
          (p) => activeFiler(p, view.stored.placement)?.toLowerCase() === filer.name.toLowerCase(),
        )
        .map((p) => p.vsvr);
      return { filer: filerToWire(filer), activeVsvrs, generation: view.stored.generation };
    });
  }
}
