import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { ClusterDocument, SiteInput } from '@vsnet/model';
import { createSite, deleteSite, EditRefusal, findSite, updateSite } from '@vsnet/model';
import { ClusterStateStore } from '@vsnet/store';
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
import { ClusterReader } from '../cluster/cluster-reader.js';
import { ApiGate, audited } from '../grpc/api-gate.js';
import { pageOf } from '../grpc/paging.js';

type Call = ServerUnaryCall<unknown, unknown>;

/**
 * vsnet.v1.SiteService: mutations need cluster NETWORK and are edits from libs/model run by the
 * store under the cluster lock (the model refuses overlapping subnets); reads come from one
 * consistent snapshot.
 */
@Controller()
export class SiteGrpcController {
  constructor(
    private readonly gate: ApiGate,
    private readonly store: ClusterStateStore,
    private readonly reader: ClusterReader,
  ) {}

  @GrpcMethod('SiteService', 'CreateSite')
  createSite(
    req: CreateSiteRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<CreateSiteResponse> {
    return this.gate.run(
      'SiteService',
      'CreateSite',
      req,
      md,
      call,
      CLUSTER_NETWORK,
      async (caller) => {
        const input = siteInput(req.site);
        const done = await this.store.edit(
          (current) => createSite(current, input),
          audited(caller),
        );
        return { site: done.result, generation: done.generation };
      },
    );
  }

  @GrpcMethod('SiteService', 'UpdateSite')
  updateSite(
    req: UpdateSiteRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<UpdateSiteResponse> {
    return this.gate.run(
      'SiteService',
      'UpdateSite',
      req,
      md,
      call,
      CLUSTER_NETWORK,
      async (caller) => {
        const input = siteInput(req.site);
        const done = await this.store.edit(
          (current) => updateSite(current, input),
          audited(caller),
        );
        return { site: done.result, generation: done.generation };
      },
    );
  }

  @GrpcMethod('SiteService', 'DeleteSite')
  deleteSite(
    req: DeleteSiteRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<DeleteSiteResponse> {
    return this.gate.run(
      'SiteService',
      'DeleteSite',
      req,
      md,
      call,
      CLUSTER_NETWORK,
      async (caller) => {
        const done = await this.store.edit(
          (current) => deleteSite(current, req.name),
          audited(caller),
        );
        return { generation: done.generation };
      },
    );
  }

  @GrpcMethod('SiteService', 'GetSite')
  getSite(req: GetSiteRequest__Output, md: Metadata, call: Call): Promise<GetSiteResponse> {
    return this.gate.run('SiteService', 'GetSite', req, md, call, READ, async () => {
      const view = await this.reader.read();
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

  @GrpcMethod('SiteService', 'ListSites')
  listSites(req: ListSitesRequest__Output, md: Metadata, call: Call): Promise<ListSitesResponse> {
    return this.gate.run('SiteService', 'ListSites', req, md, call, READ, async () => {
      const view = await this.reader.read();
      const sites = [...(view.document.sites ?? [])].sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
      const page = pageOf(sites, (s) => s.name, req.pageSize, req.pageToken);
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
