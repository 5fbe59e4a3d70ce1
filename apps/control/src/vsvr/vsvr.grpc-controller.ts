import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { AddressSelector, VsvrDocument } from '@vsnet/model';
import {
  addVsvrAddress,
  createVsvr,
  deleteVsvr,
  EditRefusal,
  findVsvr,
  removeVsvrAddress,
  setFailoverGroup,
  vsvrIdentifier,
} from '@vsnet/model';
import { ClusterStateStore } from '@vsnet/store';
import { vsvrToWire } from '../../../../libs/contracts/src/cluster-api-document.js';
import type { AddAddressRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/AddAddressRequest.js';
import type { AddAddressResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/AddAddressResponse.js';
import type { CreateVsvrRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateVsvrRequest.js';
import type { CreateVsvrResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateVsvrResponse.js';
import type { DeleteVsvrRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/DeleteVsvrRequest.js';
import type { DeleteVsvrResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/DeleteVsvrResponse.js';
import type { GetVsvrRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/GetVsvrRequest.js';
import type { GetVsvrResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/GetVsvrResponse.js';
import type { ListVsvrsRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ListVsvrsRequest.js';
import type { ListVsvrsResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ListVsvrsResponse.js';
import type { RemoveAddressRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/RemoveAddressRequest.js';
import type { RemoveAddressResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/RemoveAddressResponse.js';
import type { SetFailoverGroupRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/SetFailoverGroupRequest.js';
import type { SetFailoverGroupResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/SetFailoverGroupResponse.js';
import type { VsvrView } from '../../../../libs/contracts/src/generated/vsnet/v1/VsvrView.js';
import { CLUSTER_NETWORK, READ, vsvrNetwork } from '../auth/access.js';
import type { ClusterView } from '../cluster/cluster-reader.js';
import { ClusterReader } from '../cluster/cluster-reader.js';
import { ApiGate, audited } from '../grpc/api-gate.js';
import { pageOf } from '../grpc/paging.js';

type Call = ServerUnaryCall<unknown, unknown>;

/**
 * vsnet.v1.VsvrService: each mutation is an edit from libs/model run by the store under the
 * cluster lock (whole-cluster validation, one transaction with its audit row); reads come from
 * one consistent snapshot.
 */
@Controller()
export class VsvrGrpcController {
  constructor(
    private readonly gate: ApiGate,
    private readonly store: ClusterStateStore,
    private readonly reader: ClusterReader,
  ) {}

  @GrpcMethod('VsvrService', 'CreateVsvr')
  createVsvr(
    req: CreateVsvrRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<CreateVsvrResponse> {
    return this.gate.run(
      'VsvrService',
      'CreateVsvr',
      req,
      md,
      call,
      CLUSTER_NETWORK,
      async (caller) => {
        const done = await this.store.edit(
          (current) =>
            createVsvr(current, {
              name: req.name,
              ...(req.failoverGroup !== null ? { failoverGroup: req.failoverGroup.filers } : {}),
              ...(req.routingPolicy !== undefined ? { routingPolicy: req.routingPolicy } : {}),
            }),
          audited(caller),
        );
        return { vsvr: vsvrToWire(done.result), generation: done.generation };
      },
    );
  }

  @GrpcMethod('VsvrService', 'DeleteVsvr')
  deleteVsvr(
    req: DeleteVsvrRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<DeleteVsvrResponse> {
    return this.gate.run(
      'VsvrService',
      'DeleteVsvr',
      req,
      md,
      call,
      CLUSTER_NETWORK,
      async (caller) => {
        const done = await this.store.edit(
          (current) => deleteVsvr(current, req.name),
          audited(caller),
        );
        return { generation: done.generation };
      },
    );
  }

  @GrpcMethod('VsvrService', 'SetFailoverGroup')
  setFailoverGroup(
    req: SetFailoverGroupRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<SetFailoverGroupResponse> {
    const access = vsvrNetwork(req.vsvr);
    return this.gate.run(
      'VsvrService',
      'SetFailoverGroup',
      req,
      md,
      call,
      access,
      async (caller) => {
        const group = req.failoverGroup === null ? undefined : req.failoverGroup.filers;
        const done = await this.store.edit(
          (current) => setFailoverGroup(current, req.vsvr, group),
          audited(caller),
        );
        const view = await this.reader.read();
        return {
          vsvr: vsvrToWire(done.result),
          placement: placementOf(view, done.result.name),
          generation: done.generation,
        };
      },
    );
  }

  @GrpcMethod('VsvrService', 'AddAddress')
  addAddress(
    req: AddAddressRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<AddAddressResponse> {
    const access = vsvrNetwork(req.vsvr);
    return this.gate.run('VsvrService', 'AddAddress', req, md, call, access, async (caller) => {
      const instance =
        req.instance === 'number'
          ? req.number
          : req.instance === 'nextFree' && req.nextFree === true
            ? ('next-free' as const)
            : undefined;
      let vsvrName = req.vsvr;
      let clusterMac = '';
      const done = await this.store.edit((current) => {
        const planned = addVsvrAddress(current, {
          vsvr: req.vsvr,
          alias: req.alias,
          address: req.address,
          instance,
          ...(req.mode !== undefined ? { mode: req.mode } : {}),
        });
        vsvrName = planned.document.vsvrs?.[findVsvr(planned.document, req.vsvr)]?.name ?? req.vsvr;
        clusterMac = planned.document.cluster.mac;
        return planned;
      }, audited(caller));
      const added = done.result;
      return {
        vsvr: vsvrName,
        address: added,
        identifier: vsvrIdentifier(clusterMac, added.alias, vsvrName, added.instance ?? 0),
        generation: done.generation,
      };
    });
  }

  @GrpcMethod('VsvrService', 'RemoveAddress')
  removeAddress(
    req: RemoveAddressRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<RemoveAddressResponse> {
    const access = vsvrNetwork(req.vsvr);
    return this.gate.run('VsvrService', 'RemoveAddress', req, md, call, access, async (caller) => {
      const selector = selectorOf(req);
      const done = await this.store.edit(
        (current) => removeVsvrAddress(current, req.vsvr, selector),
        audited(caller),
      );
      return { removed: done.result, generation: done.generation };
    });
  }

  @GrpcMethod('VsvrService', 'ListVsvrs')
  listVsvrs(req: ListVsvrsRequest__Output, md: Metadata, call: Call): Promise<ListVsvrsResponse> {
    return this.gate.run('VsvrService', 'ListVsvrs', req, md, call, READ, async () => {
      const view = await this.reader.read();
      const filer = req.filer.toLowerCase();
      const vsvrs = [...(view.document.vsvrs ?? [])]
        .filter(
          (v) =>
            filer === '' ||
            (view.analysis.placements.get(v.name)?.runsOn ?? []).some(
              (f) => f.toLowerCase() === filer,
            ),
        )
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const page = pageOf(vsvrs, (v) => v.name, req.pageSize, req.pageToken);
      return {
        vsvrs: page.items.map((v) => vsvrViewOf(view, v)),
        nextPageToken: page.nextPageToken,
        generation: view.stored.generation,
      };
    });
  }

  @GrpcMethod('VsvrService', 'GetVsvr')
  getVsvr(req: GetVsvrRequest__Output, md: Metadata, call: Call): Promise<GetVsvrResponse> {
    return this.gate.run('VsvrService', 'GetVsvr', req, md, call, READ, async () => {
      const view = await this.reader.read();
      const vsvr = view.document.vsvrs?.[findVsvr(view.document, req.name)];
      if (vsvr === undefined) {
        throw EditRefusal.field(
          'not-found',
          'name',
          `no vsvr is named "${req.name}"; list them with vsnet vsvr list`,
          'vsvr.unknown',
        );
      }
      return { vsvr: vsvrViewOf(view, vsvr), generation: view.stored.generation };
    });
  }
}

function selectorOf(req: RemoveAddressRequest__Output): AddressSelector | undefined {
  if (req.selector === 'address' && req.address !== undefined && req.address !== '') {
    return { address: req.address };
  }
  if (req.selector === 'aliasInstance' && req.aliasInstance) {
    return { alias: req.aliasInstance.alias, instance: req.aliasInstance.instance };
  }
  return undefined;
}

function placementOf(view: ClusterView, vsvr: string) {
  const placement = view.analysis.placements.get(vsvr);
  return placement === undefined
    ? null
    : {
        explicitGroup: placement.explicitGroup,
        candidates: [...placement.candidates],
        runsOn: [...placement.runsOn],
        excluded: placement.excluded.map((e) => ({ filer: e.filer, reasons: [...e.reasons] })),
      };
}

export function vsvrViewOf(view: ClusterView, vsvr: VsvrDocument): VsvrView {
  const rows = view.addresses.filter((r) => r.ownerKind === 'vsvr' && r.owner === vsvr.name);
  return {
    vsvr: vsvrToWire(vsvr),
    placement: placementOf(view, vsvr.name),
    addresses: (vsvr.addresses ?? []).map((a) => {
      const row = rows.find((r) => r.alias === a.alias && r.instance === a.instance);
      return {
        address: a,
        identifier: row?.identifier ?? '',
        ...(row?.site !== undefined ? { site: row.site } : {}),
      };
    }),
  };
}
