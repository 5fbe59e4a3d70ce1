import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { ClusterDocument, SiteInput } from '@vsnet/model';
import { createSite, deleteSite, EditRefusal, findSite, updateSite } from '@vsnet/model';
import type { CreateSiteRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateSiteRequest.js';
import type { CreateSiteResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateSiteResponse.js';
import type { DeleteSiteRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/DeleteSiteRequest.js';
import type { DeleteSiteResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/DeleteSiteResponse.js';
import type { GetSiteRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/GetSiteRequest.js';
import type { GetSiteResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/GetSiteResponse.js';
import type { ListSitesRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ListSitesRequest.js';
import type { ListSitesResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ListSitesResponse.js';
import type { SiteDocument__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/SiteDocument.js';
import type { UpdateSiteRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/UpdateSiteRequest.js';
import type { UpdateSiteResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/UpdateSiteResponse.js';
import { CLUSTER_NETWORK, READ } from '../auth/access.js';
import type { UnaryCall } from '../grpc/api-gate.js';
import { rpcCall } from '../grpc/api-gate.js';
import { ClusterGate } from '../grpc/cluster-gate.js';
import { pageByName } from '../grpc/paging.js';

const SERVICE = 'SiteService';

/**
 * vsnet.v1.SiteService: mutations need cluster NETWORK and are edits from libs/model run by the
 * store under the cluster lock (the model refuses overlapping subnets); reads come from one
 * consistent snapshot.
 */
@Controller()
export class SiteGrpcController {
  constructor(private readonly cluster: ClusterGate) {}

  @GrpcMethod(SERVICE, 'CreateSite')
  createSite(
    req: CreateSiteRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<CreateSiteResponse> {
    const rpc = rpcCall(SERVICE, 'CreateSite', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const input = siteInput(req.site);
      const done = await edit((current) => createSite(current, input));
      return { site: done.result, generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'UpdateSite')
  updateSite(
    req: UpdateSiteRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<UpdateSiteResponse> {
    const rpc = rpcCall(SERVICE, 'UpdateSite', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const input = siteInput(req.site);
      const done = await edit((current) => updateSite(current, input));
      return { site: done.result, generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'DeleteSite')
  deleteSite(
    req: DeleteSiteRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<DeleteSiteResponse> {
    const rpc = rpcCall(SERVICE, 'DeleteSite', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const done = await edit((current) => deleteSite(current, req.name));
      return { generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'GetSite')
  getSite(req: GetSiteRequest__Output, md: Metadata, call: UnaryCall): Promise<GetSiteResponse> {
    const rpc = rpcCall(SERVICE, 'GetSite', req, md, call);
    return this.cluster.read(rpc, READ, (view) => {
      const site = view.document.sites?.[findSite(view.document, req.name)];
      if (site === undefined) {
        throw EditRefusal.field(
          'not-found',
          'name',
          `no site is named "${req.name}"; the cluster has: ${siteNames(view.document)}`,
          'site.unknown',
        );
      }
      return { site, generation: view.stored.generation };
    });
  }

  @GrpcMethod(SERVICE, 'ListSites')
  listSites(
    req: ListSitesRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<ListSitesResponse> {
    const rpc = rpcCall(SERVICE, 'ListSites', req, md, call);
    return this.cluster.read(rpc, READ, (view) => {
      const page = pageByName(view.document.sites ?? [], req);
      return {
        sites: page.items,
        nextPageToken: page.nextPageToken,
        generation: view.stored.generation,
      };
    });
  }
}

function siteInput(wire: SiteDocument__Output | null): SiteInput {
  if (wire === null) {
    throw EditRefusal.field('invalid-argument', 'site', 'is required: the site (name, subnets)');
  }
  return { name: wire.name, subnets: [...wire.subnets] };
}

function siteNames(document: ClusterDocument): string {
  const names = (document.sites ?? []).map((s) => s.name);
  return names.length === 0 ? '(none defined)' : names.join(', ');
}
