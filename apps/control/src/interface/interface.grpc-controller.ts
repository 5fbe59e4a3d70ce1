import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { FilerInterfaceResult, InterfaceKind } from '@vsnet/model';
import {
  aliasKindOf,
  createAlias,
  createBond,
  createFailoverInterface,
  createVlan,
  deleteInterface,
  requireFiler,
} from '@vsnet/model';
import type { EditResult } from '@vsnet/store';
import { interfaceToWire } from '../../../../libs/contracts/src/cluster-api-document.js';
import type { CreateAliasRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateAliasRequest.js';
import type { CreateAliasResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateAliasResponse.js';
import type { CreateBondRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateBondRequest.js';
import type { CreateBondResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateBondResponse.js';
import type { CreateFailoverInterfaceRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateFailoverInterfaceRequest.js';
import type { CreateFailoverInterfaceResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateFailoverInterfaceResponse.js';
import type { CreateVlanRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateVlanRequest.js';
import type { CreateVlanResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateVlanResponse.js';
import type { DeleteInterfaceRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/DeleteInterfaceRequest.js';
import type { DeleteInterfaceResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/DeleteInterfaceResponse.js';
import type { FilerInterface } from '../../../../libs/contracts/src/generated/vsnet/v1/FilerInterface.js';
import type { InterfaceKind__Output as WireInterfaceKind } from '../../../../libs/contracts/src/generated/vsnet/v1/InterfaceKind.js';
import type { ListInterfacesRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ListInterfacesRequest.js';
import type { ListInterfacesResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ListInterfacesResponse.js';
import { CLUSTER_NETWORK, READ } from '../auth/access.js';
import type { UnaryCall } from '../grpc/api-gate.js';
import { rpcCall } from '../grpc/api-gate.js';
import { ClusterGate } from '../grpc/cluster-gate.js';
import { byName, pageOf } from '../grpc/paging.js';
import { instanceOf } from '../grpc/request-fields.js';

const SERVICE = 'InterfaceService';

const WIRE_KINDS: Readonly<Record<InterfaceKind, WireInterfaceKind>> = {
  physical: 'INTERFACE_KIND_PHYSICAL',
  bond: 'INTERFACE_KIND_BOND',
  failover: 'INTERFACE_KIND_FAILOVER',
  vlan: 'INTERFACE_KIND_VLAN',
  alias: 'INTERFACE_KIND_ALIAS',
};

/**
 * vsnet.v1.InterfaceService: every mutation is an edit from libs/model run by the store under
 * the cluster lock, so two callers asking for the next free instance get different ones; the
 * list comes from one consistent snapshot.
 */
@Controller()
export class InterfaceGrpcController {
  constructor(private readonly cluster: ClusterGate) {}

  @GrpcMethod(SERVICE, 'CreateBond')
  createBond(
    req: CreateBondRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<CreateBondResponse> {
    const rpc = rpcCall(SERVICE, 'CreateBond', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const done = await edit((current) =>
        createBond(current, {
          filer: req.filer,
          instance: instanceOf(req),
          members: req.members,
          ...(req.mode !== undefined ? { mode: req.mode } : {}),
          ...(req.mtu !== undefined ? { mtu: req.mtu } : {}),
        }),
      );
      return created(done);
    });
  }

  @GrpcMethod(SERVICE, 'CreateFailoverInterface')
  createFailoverInterface(
    req: CreateFailoverInterfaceRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<CreateFailoverInterfaceResponse> {
    const rpc = rpcCall(SERVICE, 'CreateFailoverInterface', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const done = await edit((current) =>
        createFailoverInterface(current, {
          filer: req.filer,
          instance: instanceOf(req),
          members: req.members,
          ...(req.primary !== undefined ? { primary: req.primary } : {}),
          ...(req.mtu !== undefined ? { mtu: req.mtu } : {}),
        }),
      );
      return created(done);
    });
  }

  @GrpcMethod(SERVICE, 'CreateVlan')
  createVlan(
    req: CreateVlanRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<CreateVlanResponse> {
    const rpc = rpcCall(SERVICE, 'CreateVlan', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const done = await edit((current) =>
        createVlan(current, {
          filer: req.filer,
          parent: req.parent,
          tag: req.tag,
          ...(req.mtu !== undefined ? { mtu: req.mtu } : {}),
        }),
      );
      return created(done);
    });
  }

  @GrpcMethod(SERVICE, 'CreateAlias')
  createAlias(
    req: CreateAliasRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<CreateAliasResponse> {
    const rpc = rpcCall(SERVICE, 'CreateAlias', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const done = await edit((current) =>
        createAlias(current, {
          filer: req.filer,
          kind: aliasKindOf(req.kind),
          instance: instanceOf(req),
          on: req.on,
          ...(req.mtu !== undefined ? { mtu: req.mtu } : {}),
          ...(req.routingPolicy !== undefined ? { routingPolicy: req.routingPolicy } : {}),
        }),
      );
      return created(done);
    });
  }

  @GrpcMethod(SERVICE, 'DeleteInterface')
  deleteInterface(
    req: DeleteInterfaceRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<DeleteInterfaceResponse> {
    const rpc = rpcCall(SERVICE, 'DeleteInterface', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const done = await edit((current) =>
        deleteInterface(current, { filer: req.filer, name: req.name }),
      );
      return { generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'ListInterfaces')
  listInterfaces(
    req: ListInterfacesRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<ListInterfacesResponse> {
    const rpc = rpcCall(SERVICE, 'ListInterfaces', req, md, call);
    return this.cluster.read(rpc, READ, (view) => {
      const filers =
        req.filer === ''
          ? [...view.document.filers].sort(byName)
          : [requireFiler(view.document, req.filer, 'filer')];
      const rows: { key: string; item: FilerInterface }[] = [];
      for (const filer of filers) {
        const index = view.analysis.filers.get(filer.name.toLowerCase());
        filer.interfaces.forEach((i, k) => {
          const kind = WIRE_KINDS[index?.byName.get(i.name)?.kind ?? 'physical'];
          if (req.kind !== 'INTERFACE_KIND_UNSPECIFIED' && req.kind !== kind) {
            return;
          }
          rows.push({
            // Filer, then position, then name: keys sort in list order, as pageOf needs.
            key: `${filer.name}\u0000${String(k).padStart(6, '0')}\u0000${i.name}`,
            item: {
              filer: filer.name,
              kind,
              interface: interfaceToWire(i),
              effectiveMtu: index?.mtu.get(i.name) ?? 0,
            },
          });
        });
      }
      const page = pageOf(rows, (r) => r.key, req.pageSize, req.pageToken);
      return {
        interfaces: page.items.map((r) => r.item),
        nextPageToken: page.nextPageToken,
        generation: view.stored.generation,
      };
    });
  }
}

/** The answer of the RPCs that create an interface. */
function created(done: EditResult<FilerInterfaceResult>): {
  filer: string;
  interface: ReturnType<typeof interfaceToWire>;
  generation: string;
} {
  return {
    filer: done.result.filer,
    interface: interfaceToWire(done.result.interface),
    generation: done.generation,
  };
}
