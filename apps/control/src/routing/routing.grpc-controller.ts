import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { RoutingPolicyDocument, RoutingPolicyInput } from '@vsnet/model';
import {
  addVsvrRoute,
  createRoutingPolicy,
  deleteRoutingPolicy,
  EditRefusal,
  removeVsvrRoute,
  requireRoutingPolicy,
  requireVsvr,
  resolvedPolicyRoutes,
  routingPolicyUsers,
  setAliasRoutingPolicy,
  setDefaultRoutingPolicy,
  setVsvrRoutingPolicy,
  updateRoutingPolicy,
} from '@vsnet/model';
import {
  routeFromWire,
  routingPolicyToWire,
  vsvrToWire,
} from '../../../../libs/contracts/src/cluster-api-document.js';
import type { AddVsvrRouteRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/AddVsvrRouteRequest.js';
import type { AddVsvrRouteResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/AddVsvrRouteResponse.js';
import type { CreateRoutingPolicyRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateRoutingPolicyRequest.js';
import type { CreateRoutingPolicyResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateRoutingPolicyResponse.js';
import type { DeleteRoutingPolicyRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/DeleteRoutingPolicyRequest.js';
import type { DeleteRoutingPolicyResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/DeleteRoutingPolicyResponse.js';
import type { GetRoutingPolicyRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/GetRoutingPolicyRequest.js';
import type { GetRoutingPolicyResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/GetRoutingPolicyResponse.js';
import type { ListRoutingPoliciesRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ListRoutingPoliciesRequest.js';
import type { ListRoutingPoliciesResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ListRoutingPoliciesResponse.js';
import type { ListVsvrRoutesRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ListVsvrRoutesRequest.js';
import type { ListVsvrRoutesResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ListVsvrRoutesResponse.js';
import type { RemoveVsvrRouteRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/RemoveVsvrRouteRequest.js';
import type { RemoveVsvrRouteResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/RemoveVsvrRouteResponse.js';
import type { RoutingPolicyDocument__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/RoutingPolicyDocument.js';
import type { SetAliasRoutingPolicyRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/SetAliasRoutingPolicyRequest.js';
import type { SetAliasRoutingPolicyResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/SetAliasRoutingPolicyResponse.js';
import type { SetDefaultRoutingPolicyRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/SetDefaultRoutingPolicyRequest.js';
import type { SetDefaultRoutingPolicyResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/SetDefaultRoutingPolicyResponse.js';
import type { SetVsvrRoutingPolicyRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/SetVsvrRoutingPolicyRequest.js';
import type { SetVsvrRoutingPolicyResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/SetVsvrRoutingPolicyResponse.js';
import type { UpdateRoutingPolicyRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/UpdateRoutingPolicyRequest.js';
import type { UpdateRoutingPolicyResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/UpdateRoutingPolicyResponse.js';
import { CLUSTER_NETWORK, READ, vsvrNetwork } from '../auth/access.js';
import type { UnaryCall } from '../grpc/api-gate.js';
import { rpcCall } from '../grpc/api-gate.js';
import { ClusterGate } from '../grpc/cluster-gate.js';
import { pageByName } from '../grpc/paging.js';

const SERVICE = 'RoutingService';

/**
 * vsnet.v1.RoutingService: policies, the cluster default and alias policies need cluster
 * NETWORK; a vsvr's own policy and routes also vsvr NETWORK on it. Each mutation is an edit
 * from libs/model run by the store under the cluster lock; reads come from one snapshot.
 */
@Controller()
export class RoutingGrpcController {
  constructor(private readonly cluster: ClusterGate) {}

  @GrpcMethod(SERVICE, 'CreateRoutingPolicy')
  createRoutingPolicy(
    req: CreateRoutingPolicyRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<CreateRoutingPolicyResponse> {
    const rpc = rpcCall(SERVICE, 'CreateRoutingPolicy', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const input = policyInput(req.policy);
      const done = await edit((current) => createRoutingPolicy(current, input));
      return { policy: routingPolicyToWire(done.result), generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'UpdateRoutingPolicy')
  updateRoutingPolicy(
    req: UpdateRoutingPolicyRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<UpdateRoutingPolicyResponse> {
    const rpc = rpcCall(SERVICE, 'UpdateRoutingPolicy', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const input = policyInput(req.policy);
      const done = await edit((current) => updateRoutingPolicy(current, input));
      return { policy: routingPolicyToWire(done.result), generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'DeleteRoutingPolicy')
  deleteRoutingPolicy(
    req: DeleteRoutingPolicyRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<DeleteRoutingPolicyResponse> {
    const rpc = rpcCall(SERVICE, 'DeleteRoutingPolicy', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const done = await edit((current) => deleteRoutingPolicy(current, req.name));
      return { generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'SetDefaultRoutingPolicy')
  setDefaultRoutingPolicy(
    req: SetDefaultRoutingPolicyRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<SetDefaultRoutingPolicyResponse> {
    const rpc = rpcCall(SERVICE, 'SetDefaultRoutingPolicy', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const done = await edit((current) => setDefaultRoutingPolicy(current, req.policy));
      return { generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'SetVsvrRoutingPolicy')
  setVsvrRoutingPolicy(
    req: SetVsvrRoutingPolicyRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<SetVsvrRoutingPolicyResponse> {
    const rpc = rpcCall(SERVICE, 'SetVsvrRoutingPolicy', req, md, call);
    return this.cluster.edit(rpc, vsvrNetwork(req.vsvr), async (edit) => {
      const done = await edit((current) => setVsvrRoutingPolicy(current, req.vsvr, req.policy));
      return { generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'SetAliasRoutingPolicy')
  setAliasRoutingPolicy(
    req: SetAliasRoutingPolicyRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<SetAliasRoutingPolicyResponse> {
    const rpc = rpcCall(SERVICE, 'SetAliasRoutingPolicy', req, md, call);
    return this.cluster.edit(rpc, CLUSTER_NETWORK, async (edit) => {
      const done = await edit((current) =>
        setAliasRoutingPolicy(current, req.filer, req.alias, req.policy),
      );
      return { generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'AddVsvrRoute')
  addVsvrRoute(
    req: AddVsvrRouteRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<AddVsvrRouteResponse> {
    const rpc = rpcCall(SERVICE, 'AddVsvrRoute', req, md, call);
    return this.cluster.edit(rpc, vsvrNetwork(req.vsvr), async (edit) => {
      const route = req.route === null ? undefined : routeFromWire(req.route);
      const done = await edit((current) => addVsvrRoute(current, req.vsvr, route));
      return { vsvr: vsvrToWire(done.result), generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'RemoveVsvrRoute')
  removeVsvrRoute(
    req: RemoveVsvrRouteRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<RemoveVsvrRouteResponse> {
    const rpc = rpcCall(SERVICE, 'RemoveVsvrRoute', req, md, call);
    return this.cluster.edit(rpc, vsvrNetwork(req.vsvr), async (edit) => {
      const done = await edit((current) => removeVsvrRoute(current, req.vsvr, req.to, req.via));
      return { removed: done.result, generation: done.generation };
    });
  }

  @GrpcMethod(SERVICE, 'GetRoutingPolicy')
  getRoutingPolicy(
    req: GetRoutingPolicyRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<GetRoutingPolicyResponse> {
    const rpc = rpcCall(SERVICE, 'GetRoutingPolicy', req, md, call);
    return this.cluster.read(rpc, READ, (view) => {
      const index = requireRoutingPolicy(view.document, req.name, 'name');
      const policy = (view.document.routingPolicies ?? [])[index] as RoutingPolicyDocument;
      const users = routingPolicyUsers(view.document, policy.name);
      return {
        policy: routingPolicyToWire(policy),
        resolved: resolvedPolicyRoutes(view.document, policy.name),
        usedBy: [...[...users.vsvrs, ...users.byDefault].sort(), ...users.aliases],
        generation: view.stored.generation,
      };
    });
  }

  @GrpcMethod(SERVICE, 'ListRoutingPolicies')
  listRoutingPolicies(
    req: ListRoutingPoliciesRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<ListRoutingPoliciesResponse> {
    const rpc = rpcCall(SERVICE, 'ListRoutingPolicies', req, md, call);
    return this.cluster.read(rpc, READ, (view) => {
      const page = pageByName(view.document.routingPolicies ?? [], req);
      return {
        policies: page.items.map(routingPolicyToWire),
        nextPageToken: page.nextPageToken,
        generation: view.stored.generation,
      };
    });
  }

  @GrpcMethod(SERVICE, 'ListVsvrRoutes')
  listVsvrRoutes(
    req: ListVsvrRoutesRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<ListVsvrRoutesResponse> {
    const rpc = rpcCall(SERVICE, 'ListVsvrRoutes', req, md, call);
    return this.cluster.read(rpc, READ, (view) => {
      const vsvr = requireVsvr(view.document, req.vsvr, 'vsvr');
      const effective = view.analysis.routing.vsvrRoutes.get(vsvr.name) ?? [];
      return {
        own: vsvr.routes ?? [],
        effective: effective.map(({ from, ...route }) => ({ route, from })),
        generation: view.stored.generation,
      };
    });
  }
}

function policyInput(wire: RoutingPolicyDocument__Output | null): RoutingPolicyInput {
  if (wire === null) {
    throw EditRefusal.field(
      'invalid-argument',
      'policy',
      'is required: the routing policy (name, extends, routes)',
    );
  }
  return {
    name: wire.name,
    ...(wire.extends !== undefined ? { extends: wire.extends } : {}),
    routes: wire.routes.map(routeFromWire),
  };
}
