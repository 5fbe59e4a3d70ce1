import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { FilerInterfaceResult, InstanceChoice, InterfaceKind } from '@vsnet/model';
import {
  aliasKindOf,
  createAlias,
  createBond,
  createFailoverInterface,
  createVlan,
  deleteInterface,
  EditRefusal,
  findFiler,
} from '@vsnet/model';
import { ClusterStateStore } from '@vsnet/store';
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
import { ClusterReader } from '../cluster/cluster-reader.js';
import { ApiGate, audited } from '../grpc/api-gate.js';
import { pageOf } from '../grpc/paging.js';

type Call = ServerUnaryCall<unknown, unknown>;

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
  constructor(
    private readonly gate: ApiGate,
    private readonly store: ClusterStateStore,
    private readonly reader: ClusterReader,
  ) {}

  @GrpcMethod('InterfaceService', 'CreateBond')
  createBond(
    req: CreateBondRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<CreateBondResponse> {
    return this.gate.run(
      'InterfaceService',
      'CreateBond',
      req,
      md,
      call,
      CLUSTER_NETWORK,
      async (caller) => {
        const done = await this.store.edit(
          (current) =>
            createBond(current, {
              filer: req.filer,
              instance: instanceOf(req),
              members: req.members,
              ...(req.mode !== undefined ? { mode: req.mode } : {}),
              ...(req.mtu !== undefined ? { mtu: req.mtu } : {}),
            }),
          audited(caller),
        );
        return created(done.result, done.generation);
      },
    );
  }

  @GrpcMethod('InterfaceService', 'CreateFailoverInterface')
  createFailoverInterface(
    req: CreateFailoverInterfaceRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<CreateFailoverInterfaceResponse> {
    return this.gate.run(
      'InterfaceService',
      'CreateFailoverInterface',
      req,
      md,
      call,
      CLUSTER_NETWORK,
      async (caller) => {
        const done = await this.store.edit(
          (current) =>
            createFailoverInterface(current, {
              filer: req.filer,
              instance: instanceOf(req),
              members: req.members,
              ...(req.primary !== undefined ? { primary: req.primary } : {}),
              ...(req.mtu !== undefined ? { mtu: req.mtu } : {}),
            }),
          audited(caller),
        );
        return created(done.result, done.generation);
      },
    );
  }

  @GrpcMethod('InterfaceService', 'CreateVlan')
  createVlan(
    req: CreateVlanRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<CreateVlanResponse> {
    return this.gate.run(
      'InterfaceService',
      'CreateVlan',
      req,
      md,
      call,
      CLUSTER_NETWORK,
      async (caller) => {
        const done = await this.store.edit(
          (current) =>
            createVlan(current, {
              filer: req.filer,
              parent: req.parent,
              tag: req.tag,
              ...(req.mtu !== undefined ? { mtu: req.mtu } : {}),
            }),
          audited(caller),
        );
        return created(done.result, done.generation);
      },
    );
  }

  @GrpcMethod('InterfaceService', 'CreateAlias')
  createAlias(
    req: CreateAliasRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<CreateAliasResponse> {
    return this.gate.run(
      'InterfaceService',
      'CreateAlias',
      req,
      md,
      call,
      CLUSTER_NETWORK,
      async (caller) => {
        const done = await this.store.edit(
          (current) =>
            createAlias(current, {
              filer: req.filer,
              kind: aliasKindOf(req.kind),
              instance: instanceOf(req),
              on: req.on,
              ...(req.mtu !== undefined ? { mtu: req.mtu } : {}),
              ...(req.routingPolicy !== undefined ? { routingPolicy: req.routingPolicy } : {}),
            }),
          audited(caller),
        );
        return created(done.result, done.generation);
      },
    );
  }

  @GrpcMethod('InterfaceService', 'DeleteInterface')
  deleteInterface(
    req: DeleteInterfaceRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<DeleteInterfaceResponse> {
    return this.gate.run(
      'InterfaceService',
      'DeleteInterface',
      req,
      md,
      call,
      CLUSTER_NETWORK,
      async (caller) => {
        const done = await this.store.edit(
          (current) => deleteInterface(current, { filer: req.filer, name: req.name }),
          audited(caller),
        );
        return { generation: done.generation };
      },
    );
  }

  @GrpcMethod('InterfaceService', 'ListInterfaces')
  listInterfaces(
    req: ListInterfacesRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<ListInterfacesResponse> {
    return this.gate.run('InterfaceService', 'ListInterfaces', req, md, call, READ, async () => {
      const view = await this.reader.read();
      let filers = [...view.document.filers];
      if (req.filer !== '') {
        const filer = filers[findFiler(view.document, req.filer)];
        if (filer === undefined) {
          throw EditRefusal.field(
            'not-found',
            'filer',
            `no filer is named "${req.filer}"; list them with vsnet filer list`,
            'filer.unknown',
          );
        }
        filers = [filer];
      }
      filers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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

/** The request's `oneof instance` as the edits take it. */
function instanceOf(req: {
  instance?: 'number' | 'nextFree';
  number?: number;
  nextFree?: boolean;
}): InstanceChoice {
  if (req.instance === 'number' && req.number !== undefined) {
    return req.number;
  }
  return req.instance === 'nextFree' && req.nextFree === true ? 'next-free' : undefined;
}

function created(
  result: FilerInterfaceResult,
  generation: string,
): { filer: string; interface: ReturnType<typeof interfaceToWire>; generation: string } {
  return { filer: result.filer, interface: interfaceToWire(result.interface), generation };
}
