import { status } from '@grpc/grpc-js';
import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { Injectable, Logger } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import type { EditRefusalKind } from '@vsnet/model';
import { EditRefusal } from '@vsnet/model';
import type { AuditedCaller, PrincipalView } from '@vsnet/store';
import { clusterApiMethodPath } from '../../../../libs/contracts/src/cluster-api.js';
import type { ClusterApiServiceName } from '../../../../libs/contracts/src/cluster-api.js';
import type { Access } from '../auth/access.js';
import { allows, deniedMessage, JOIN_TOKEN_HOLDER } from '../auth/access.js';
import { AUTHENTICATION_MESSAGES, Authenticator } from '../auth/authenticator.js';
import { DatabaseProbe } from '../database/database.probe.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { plainStatus, refusal } from './grpc-status.js';

/** The caller of one RPC, authenticated and authorized: what handlers and audit rows need. */
export interface ApiCaller {
  readonly principal: PrincipalView;
  readonly tokenId: string;
  /** Full method name, `/vsnet.v1.VsvrService/AddAddress`. */
  readonly rpc: string;
  readonly peer: string;
}

/** The audit fields of a mutation made by `caller`. */
export function audited(caller: ApiCaller, expectedGeneration?: string): AuditedCaller {
  return {
    principal: caller.principal.name,
    rpc: caller.rpc,
    peer: caller.peer,
    ...(expectedGeneration !== undefined ? { expectedGeneration } : {}),
  };
}

const REFUSAL_STATUS: Readonly<Record<EditRefusalKind, status>> = {
  'invalid-argument': status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
  'already-exists': status.ALREADY_EXISTS,
  'failed-precondition': status.FAILED_PRECONDITION,
};

/** How the handler learns what the call needs: fixed, or read from the request. */
export type AccessOf<Req> = Access | ((request: Req) => Access);

/** A unary call as grpc-js hands it to a handler. */
export type UnaryCall = ServerUnaryCall<unknown, unknown>;

/** One RPC as a handler received it: what {@link ApiGate} needs to know of the call. */
export interface RpcCall<Req> {
  readonly service: ClusterApiServiceName;
  readonly method: string;
  readonly request: Req;
  readonly metadata: Metadata;
  readonly call: UnaryCall;
}

/** The {@link RpcCall} of a handler of `service`/`method`, built once from its arguments. */
export function rpcCall<Req>(
  service: ClusterApiServiceName,
  method: string,
  request: Req,
  metadata: Metadata,
  call: UnaryCall,
): RpcCall<Req> {
  return { service, method, request, metadata, call };
}

/**
 * Every vsnet.v1 handler runs through here: authenticate the bearer token (UNAUTHENTICATED),
 * check the role against what the RPC needs (PERMISSION_DENIED, before anything is looked up,
 * so a scoped principal cannot probe other vsvrs), run the work, and map its failures:
 * an EditRefusal to its status with google.rpc details; anything unexpected to INTERNAL with a
 * generic message (the details go to the log). Counts every call by method and status.
 */
@Injectable()
export class ApiGate {
  private readonly logger = new Logger('ApiGate');

  constructor(
    private readonly authenticator: Authenticator,
    private readonly database: DatabaseProbe,
    private readonly metrics: MetricsService,
  ) {}

  async run<Req, Res>(
    { service, method, request, metadata, call }: RpcCall<Req>,
    access: AccessOf<Req>,
    work: (caller: ApiCaller) => Promise<Res>,
  ): Promise<Res> {
    const rpc = clusterApiMethodPath(service, method);
    let code: status = status.OK;
    try {
      await this.database.connected().catch((error: unknown) => {
        this.logger.error(`database: ${error instanceof Error ? error.message : String(error)}`);
        throw plainStatus(status.UNAVAILABLE, 'the database is unreachable; try again shortly');
      });
      if (typeof access !== 'function' && access.kind === 'join-token') {
        // No bearer token: the join token in the request is the credential (access.ts).
        return await work({ principal: JOIN_TOKEN_HOLDER, tokenId: '', rpc, peer: call.getPeer() });
      }
      const who = await this.authenticator.authenticate(metadata);
      if (!who.ok) {
        throw plainStatus(status.UNAUTHENTICATED, AUTHENTICATION_MESSAGES[who.why]);
      }
      const needed = typeof access === 'function' ? access(request) : access;
      if (!allows(who.who.principal, needed)) {
        throw plainStatus(status.PERMISSION_DENIED, deniedMessage(who.who.principal, needed, rpc));
      }
      return await work({
        principal: who.who.principal,
        tokenId: who.who.tokenId,
        rpc,
        peer: call.getPeer(),
      });
    } catch (error) {
      const answer = this.answerFor(rpc, error);
      code = statusOf(answer);
      throw answer;
    } finally {
      this.metrics.countRpc(rpc, status[code] ?? String(code));
    }
  }

  private answerFor(rpc: string, error: unknown): RpcException {
    if (error instanceof RpcException) {
      return error;
    }
    if (error instanceof EditRefusal) {
      return refusal(REFUSAL_STATUS[error.kind], error.message, error.violations, error.reason);
    }
    this.logger.error(
      `${rpc} failed: ${error instanceof Error ? error.message : String(error)}`,
      error instanceof Error ? error.stack : undefined,
    );
    return plainStatus(status.INTERNAL, 'internal error; the service logged the details');
  }
}

function statusOf(error: RpcException): status {
  const payload = error.getError();
  if (typeof payload === 'object' && payload !== null && 'code' in payload) {
    const code = payload.code;
    if (typeof code === 'number') {
      return code;
    }
  }
  return status.UNKNOWN;
}
