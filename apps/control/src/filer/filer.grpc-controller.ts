import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { EditRefusal, findFiler, registerFiler } from '@vsnet/model';
import { ClusterStateStore } from '@vsnet/store';
import { filerToWire } from '../../../../libs/contracts/src/cluster-api-document.js';
import type { GetFilerRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/GetFilerRequest.js';
import type { GetFilerResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/GetFilerResponse.js';
import type { ListFilersRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ListFilersRequest.js';
import type { ListFilersResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ListFilersResponse.js';
import type { RegisterFilerRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/RegisterFilerRequest.js';
import type { RegisterFilerResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/RegisterFilerResponse.js';
import { CLUSTER_NETWORK, READ } from '../auth/access.js';
import { ClusterReader } from '../cluster/cluster-reader.js';
import { ApiGate, audited } from '../grpc/api-gate.js';
import { pageOf } from '../grpc/paging.js';

type Call = ServerUnaryCall<unknown, unknown>;

/**
 * vsnet.v1.FilerService: RegisterFiler is an edit from libs/model run by the store; the reads
 * come from one consistent snapshot.
 */
@Controller()
export class FilerGrpcController {
  constructor(
    private readonly gate: ApiGate,
    private readonly store: ClusterStateStore,
    private readonly reader: ClusterReader,
  ) {}

  @GrpcMethod('FilerService', 'RegisterFiler')
  registerFiler(
    req: RegisterFilerRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<RegisterFilerResponse> {
    return this.gate.run(
      'FilerService',
      'RegisterFiler',
      req,
      md,
      call,
      CLUSTER_NETWORK,
      async (caller) => {
        const done = await this.store.edit(
          (current) =>
            registerFiler(current, {
              name: req.name,
              interfaces: req.interfaces.map((i) => ({
                name: i.name,
                mac: i.mac,
                ...(i.mtu !== undefined ? { mtu: i.mtu } : {}),
              })),
            }),
          audited(caller),
        );
        return { filer: filerToWire(done.result), generation: done.generation };
      },
    );
  }

  @GrpcMethod('FilerService', 'ListFilers')
  listFilers(
    req: ListFilersRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<ListFilersResponse> {
    return this.gate.run('FilerService', 'ListFilers', req, md, call, READ, async () => {
      const view = await this.reader.read();
      const filers = [...view.document.filers].sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
      const page = pageOf(filers, (f) => f.name, req.pageSize, req.pageToken);
      return {
        filers: page.items.map(filerToWire),
        nextPageToken: page.nextPageToken,
        generation: view.stored.generation,
      };
    });
  }

  @GrpcMethod('FilerService', 'GetFiler')
  getFiler(req: GetFilerRequest__Output, md: Metadata, call: Call): Promise<GetFilerResponse> {
    return this.gate.run('FilerService', 'GetFiler', req, md, call, READ, async () => {
      const view = await this.reader.read();
      const filer = view.document.filers[findFiler(view.document, req.name)];
      if (filer === undefined) {
        throw EditRefusal.field(
          'not-found',
          'name',
          `no filer is named "${req.name}"; list them with vsnet filer list`,
          'filer.unknown',
        );
      }
      // A vsvr runs on the first filer of its placement that can carry it (§5.7).
      const activeVsvrs = [...view.analysis.placements.values()]
        .filter((p) => p.runsOn[0]?.toLowerCase() === filer.name.toLowerCase())
        .map((p) => p.vsvr);
      return { filer: filerToWire(filer), activeVsvrs, generation: view.stored.generation };
    });
  }
}
