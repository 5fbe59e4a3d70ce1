import { status } from '@grpc/grpc-js';
import type { Metadata } from '@grpc/grpc-js';
import { Controller, Optional } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { EditRefusal, joinFiler } from '@vsnet/model';
import type { AuditedCaller } from '@vsnet/store';
import { ClusterStateStore, JoinStore, JoinTokenRejected } from '@vsnet/store';
import { DataSource } from 'typeorm';
import { filerToWire } from '../../../../libs/contracts/src/cluster-api-document.js';
import type { CreateJoinTokenRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateJoinTokenRequest.js';
import type { CreateJoinTokenResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateJoinTokenResponse.js';
import type { JoinFilerRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/JoinFilerRequest.js';
import type { JoinFilerResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/JoinFilerResponse.js';
import { CLUSTER_NETWORK, JOIN_TOKEN } from '../auth/access.js';
import type { UnaryCall } from '../grpc/api-gate.js';
import { ApiGate, audited, rpcCall } from '../grpc/api-gate.js';
import { plainStatus } from '../grpc/grpc-status.js';
import { ReconcileQueue } from '../pipeline/reconcile-queue.js';

const SERVICE = 'FilerService';

/**
 * vsnet.v1.FilerService's join RPCs. CreateJoinToken mints a one-time secret (cluster NETWORK).
 * JoinFiler is the one RPC without a bearer token (access JOIN_TOKEN): the join token in the
 * request is checked first, so nothing about the cluster is revealed to a caller without a
 * valid one; then one cluster edit registers the filer (or, with a token minted for its name,
 * checks it against the stored one), uses the token up and records the agent's address, all in
 * one transaction; then the filer's spec is queued for its agent. A join refused after the
 * token's secret matched spends the token all the same.
 */
@Controller()
export class JoinGrpcController {
  private readonly joins: JoinStore;

  constructor(
    private readonly gate: ApiGate,
    private readonly store: ClusterStateStore,
    dataSource: DataSource,
    // Optional: the join is committed either way, and the pipeline's resync loop finds a filer
    // whose agent has not got its spec; the queue only makes that immediate.
    @Optional() private readonly queue?: ReconcileQueue,
  ) {
    this.joins = new JoinStore(dataSource);
  }

  @GrpcMethod(SERVICE, 'CreateJoinToken')
  createJoinToken(
    req: CreateJoinTokenRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<CreateJoinTokenResponse> {
    const rpc = rpcCall(SERVICE, 'CreateJoinToken', req, md, call);
    return this.gate.run(rpc, CLUSTER_NETWORK, async (caller) => {
      const made = await this.joins.create(req.filer, req.ttlSeconds, audited(caller));
      return {
        joinToken: made.secret,
        expiresUnixMs: String(made.token.expiresAt.getTime()),
        generation: made.generation,
      };
    });
  }

  @GrpcMethod(SERVICE, 'JoinFiler')
  joinFiler(
    req: JoinFilerRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<JoinFilerResponse> {
    const rpc = rpcCall(SERVICE, 'JoinFiler', req, md, call);
    return this.gate.run(rpc, JOIN_TOKEN, async (caller) => {
      const token = await this.authenticated(req.joinToken, () =>
        this.joins.check(req.joinToken, req.name),
      );
      // Audit rows name the token the join was authorized by: the agent has no principal.
      const joiner: AuditedCaller = {
        principal: `join-token ${token.id}`,
        rpc: caller.rpc,
        peer: caller.peer,
      };
      const input = {
        name: req.name,
        interfaces: req.interfaces.map((i) => ({
          name: i.name,
          mac: i.mac,
          ...(i.mtu !== undefined ? { mtu: i.mtu } : {}),
        })),
        agentAddress: req.agentAddress,
        tokenFiler: token.filer,
      };
      // What the edit planned, for the token's use in the same transaction.
      let joined: { filer: string; summary: string } | undefined;
      const done = await this.spentOnRefusal(req.joinToken, () =>
        this.authenticated(req.joinToken, () =>
          this.store.edit(
            (current) => {
              const planned = joinFiler(current, input);
              joined = { filer: planned.result.name, summary: planned.after };
              return planned;
            },
            joiner,
            async (manager, written) => {
              if (joined === undefined) {
                throw new Error('the join edit ran no plan');
              }
              const agentAddress = input.agentAddress.trim();
              await this.joins.useUp(
                manager,
                req.joinToken,
                { ...joined, agentAddress },
                joiner,
                written,
              );
            },
          ),
        ),
      );
      const filer = done.result.name;
      await this.push(filer);
      return {
        filer: filerToWire(done.result),
        registered: done.changes.length > 0,
        generation: done.generation,
      };
    });
  }

  /**
   * Runs `work`, answering UNAUTHENTICATED when it rejects the join token. A token minted for
   * another filer matched its secret: it is spent, like any join refused past that point.
   */
  private async authenticated<T>(secret: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof JoinTokenRejected) {
        if (error.why === 'other-filer') {
          await this.joins.spend(secret);
        }
        throw plainStatus(status.UNAUTHENTICATED, error.message);
      }
      throw error;
    }
  }

  /**
   * Runs the join edit; when the cluster refuses it (any EditRefusal), spends the token in a
   * transaction of its own before answering, so a token holder cannot probe which names, MACs
   * and interfaces the cluster stores with one token. A join before the cluster exists learns
   * nothing about it and keeps its token: the agent retries until the cluster is applied.
   */
  private async spentOnRefusal<T>(secret: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof EditRefusal && error.reason !== 'cluster.uninitialized') {
        await this.joins.spend(secret);
      }
      throw error;
    }
  }

  /**
   * Queues the joined filer's spec for its agent. A new filer's commit queued it already; a
   * known filer's join changes no spec, and its agent (perhaps a new one) still needs it.
   */
  private async push(filer: string): Promise<void> {
    // ReconcileQueue.enqueue never throws: what it cannot queue, the resync loop finds.
    await this.queue?.enqueue([filer]);
  }
}
