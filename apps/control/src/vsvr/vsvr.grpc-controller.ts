import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { AddressSelector, VsvrDocument } from '@vsnet/model';
import {
  activeFiler,
  addVsvrAddress,
  createVsvr,
  deleteVsvr,
  findVsvr,
  removeVsvrAddress,
  requireVsvr,
  setFailoverGroup,
  vsvrIdentifier,
} from '@vsnet/model';
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
import type { UnaryCall } from '../grpc/api-gate.js';
import { rpcCall } from '../grpc/api-gate.js';
import { ClusterGate } from '../grpc/cluster-gate.js';
import { pageByName } from '../grpc/paging.js';
import { instanceOf } from '../grpc/request-fields.js';

const SERVICE = 'VsvrService';

/**
 * vsnet.v1.VsvrService: each mutation is an edit from libs/model run by the store under the
 * cluster lock (whole-cluster validation, one transaction with its audit row); reads come from
 * one consistent snapshot.
 */
@Controller()
export class VsvrGrpcController {
  constructor(
    private readonly cluster: ClusterGate,
    private readonly reader: ClusterReader,
  ) {}

  @GrpcMethod(SERVICE, 'CreateVsvr')
  createVsvr(
    req: CreateVsvrRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<CreateVsvrResponse> {
    const rpc = rpcCall(SERVICE, 'CreateVsvr', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const done = await edit((current) =>
        createVsvr(current, {
          name: req.name,
          ...(req.failoverGroup !== null ? { failoverGroup: req.failoverGroup.filers } : {}),
          ...(req.routingPolicy !== undefined ? { routingPolicy: req.routingPolicy } : {}),
        }),
      );
      return { vsvr: vsvrToWire(done.result), generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'DeleteVsvr')
  deleteVsvr(
    req: DeleteVsvrRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<DeleteVsvrResponse> {
    const rpc = rpcCall(SERVICE, 'DeleteVsvr', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const done = await edit((current) => deleteVsvr(current, req.name));
      return { generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'SetFailoverGroup')
  setFailoverGroup(
    req: SetFailoverGroupRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<SetFailoverGroupResponse> {
    const rpc = rpcCall(SERVICE, 'SetFailoverGroup', req, md, call);
    return this.cluster.edit(rpc, vsvrNetwork(req.vsvr), async (edit) => {
      const group = req.failoverGroup === null ? undefined : req.failoverGroup.filers;
      const done = await edit((current) => setFailoverGroup(current, req.vsvr, group));
      const view = await this.reader.read();
      return {
        vsvr: vsvrToWire(done.result),
        placement: placementOf(view, done.result.name),
        generation: done.generation,
      };
    });
  }

  @GrpcMethod(SERVICE, 'AddAddress')
  addAddress(
    req: AddAddressRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<AddAddressResponse> {
    const rpc = rpcCall(SERVICE, 'AddAddress', req, md, call);
    return this.cluster.edit(rpc, vsvrNetwork(req.vsvr), async (edit) => {
      const instance = instanceOf(req);
      let vsvrName = req.vsvr;
      let clusterMac = '';
      const done = await edit((current) => {
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
      });
      const added = done.result;
      return {
        vsvr: vsvrName,
        address: added,
        identifier: vsvrIdentifier(clusterMac, added.alias, vsvrName, added.instance ?? 0),
        generation: done.generation,
      };
    });
  }

  @GrpcMethod(SERVICE, 'RemoveAddress')
  removeAddress(
    req: RemoveAddressRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<RemoveAddressResponse> {
    const rpc = rpcCall(SERVICE, 'RemoveAddress', req, md, call);
    return this.cluster.edit(rpc, vsvrNetwork(req.vsvr), async (edit) => {
      const selector = selectorOf(req);
      const done = await edit((current) => removeVsvrAddress(current, req.vsvr, selector));
      return { removed: done.result, generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'ListVsvrs')
  listVsvrs(
    req: ListVsvrsRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<ListVsvrsResponse> {
    const rpc = rpcCall(SERVICE, 'ListVsvrs', req, md, call);
    return this.cluster.read(rpc, READ, (view) => {
      const filer = req.filer.toLowerCase();
      const vsvrs = (view.document.vsvrs ?? []).filter(
        (v) =>
          filer === '' ||
          (view.analysis.placements.get(v.name)?.runsOn ?? []).some(
            (f) => f.toLowerCase() === filer,
          ),
      );
      const page = pageByName(vsvrs, req);
      return {
        vsvrs: page.items.map((v) => vsvrViewOf(view, v)),
        nextPageToken: page.nextPageToken,
        generation: view.stored.generation,
      };
    });
  }

  @GrpcMethod(SERVICE, 'GetVsvr')
  getVsvr(req: GetVsvrRequest__Output, md: Metadata, call: UnaryCall): Promise<GetVsvrResponse> {
    const rpc = rpcCall(SERVICE, 'GetVsvr', req, md, call);
    return this.cluster.read(rpc, READ, (view) => {
      const vsvr = requireVsvr(view.document, req.name, 'name');
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
        activeFiler: activeFiler(placement, view.stored.placement) ?? '',
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
