import * as grpc from '@grpc/grpc-js';
import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { PipelineStore } from '@vsnet/store';
import { clusterApiGrpc } from '../../../../libs/contracts/src/cluster-api.js';
import type { FailoverServiceClient } from '../../../../libs/contracts/src/generated/vsnet/v1/FailoverService.js';
import type { MoveVsvrRequest } from '../../../../libs/contracts/src/generated/vsnet/v1/MoveVsvrRequest.js';
import type { MoveVsvrResponse__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/MoveVsvrResponse.js';
import { CONTROL_CONFIG } from '../config/config.module.js';
import { advertisedEndpoint } from '../config/control-config.js';
import type { ControlConfig } from '../config/control-config.js';
import { plainStatus } from '../grpc/grpc-status.js';

/** Set on a call one replica passes to the leader: the leader never passes it on again. */
export const FORWARDED_HEADER = 'vsnet-forwarded-from';

/** How long a forwarded MoveVsvr may take when the caller set no deadline. */
const FORWARD_DEADLINE_MS = 15_000;

/**
 * Passes MoveVsvr to the leader (its endpoint in the leader lease, VSNET_CONTROL_ADVERTISE) with
 * the caller's own authorization, so the leader authorizes and audits the caller, not this
 * replica; its answer or its error (status, message and details) comes back unchanged. With
 * the API on TLS, the leader's certificate must chain to VSNET_AGENT_TLS_CA (the cluster's CA),
 * or to the system's CAs when that is unset, and name the endpoint's host.
 */
@Injectable()
export class LeaderForwarder implements OnApplicationShutdown {
  private readonly clients = new Map<string, FailoverServiceClient>();
  private readonly credentials: grpc.ChannelCredentials;

  constructor(
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
    private readonly pipeline: PipelineStore,
  ) {
    this.credentials =
      config.grpcTls === undefined
        ? grpc.credentials.createInsecure()
        : grpc.credentials.createSsl(config.agentTls?.ca ?? null);
  }

  async moveVsvr(
    request: MoveVsvrRequest,
    metadata: grpc.Metadata,
    deadline: grpc.Deadline,
  ): Promise<MoveVsvrResponse__Output> {
    const endpoint = await this.leaderEndpoint(metadata);
    const md = new grpc.Metadata();
    for (const value of metadata.get('authorization')) {
      md.add('authorization', value);
    }
    md.set(FORWARDED_HEADER, advertisedEndpoint(this.config));
    const client = this.clientFor(endpoint);
    const until = deadline === Infinity ? Date.now() + FORWARD_DEADLINE_MS : deadline;
    return new Promise((resolve, reject) => {
      client.MoveVsvr(request, md, { deadline: until }, (err, res) => {
        if (err) {
          reject(passedBack(endpoint, err));
        } else if (res === undefined) {
          reject(plainStatus(grpc.status.UNAVAILABLE, `the leader at ${endpoint} sent no answer`));
        } else {
          resolve(res);
        }
      });
    });
  }

  onApplicationShutdown(): void {
    for (const client of this.clients.values()) {
      client.close();
    }
    this.clients.clear();
  }

  private async leaderEndpoint(metadata: grpc.Metadata): Promise<string> {
    const lease = await this.pipeline.currentLease();
    const self = advertisedEndpoint(this.config);
    const from = metadata.get(FORWARDED_HEADER)[0];
    if (
      lease === undefined ||
      lease.expiresUnixMs <= Date.now() ||
      lease.endpoint === '' ||
      lease.endpoint === self ||
      from !== undefined
    ) {
      throw plainStatus(
        grpc.status.UNAVAILABLE,
        'no control replica leads now (the lease is free or changing hands); try again in a few seconds',
      );
    }
    return lease.endpoint;
  }

  private clientFor(endpoint: string): FailoverServiceClient {
    let client = this.clients.get(endpoint);
    if (client === undefined) {
      client = new (clusterApiGrpc().FailoverService)(endpoint, this.credentials);
      this.clients.set(endpoint, client);
    }
    return client;
  }
}

/** The leader's error as this replica's answer: same status, message and trailers. */
function passedBack(endpoint: string, err: grpc.ServiceError): RpcException {
  if (
    err.code === grpc.status.UNAVAILABLE &&
    /^(No connection established|Connection dropped)/.test(err.details)
  ) {
    return plainStatus(
      grpc.status.UNAVAILABLE,
      `the leader at ${endpoint} did not answer (${err.details}); try again in a few seconds`,
    );
  }
  return new RpcException({ code: err.code, message: err.details, metadata: err.metadata });
}
