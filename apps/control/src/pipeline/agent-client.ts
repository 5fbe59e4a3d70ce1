import * as grpc from '@grpc/grpc-js';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type {
  AgentClient,
  ApplyRequest,
  ApplyResponse__Output,
  GetStateResponse__Output,
  LeadRequest,
  LeadResponse__Output,
  TakeoverRequest,
  TakeoverResponse__Output,
} from '@vsnet/contracts';
import { agentGrpc } from '@vsnet/contracts';
import { tlsChannelCredentials } from '../../../../libs/contracts/src/tls.js';
import { CONTROL_CONFIG } from '../config/config.module.js';
import type { ControlConfig } from '../config/control-config.js';

/** The agent's trailers on a failed Apply (apps/agent/src/agent.grpc.ts). */
const APPLY_RESPONSE_TRAILER = 'vsnet-apply-response-bin';
const REASON_TRAILER = 'vsnet-reason';

/**
 * Reconnect quickly to an agent that was down: grpc-js's default backoff grows to two minutes,
 * which would leave a restarted agent unvisited long after the resync loop asks for it.
 */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 1_000,
};

/**
 * A connection that failed in the TLS handshake, and its reason: OpenSSL's
 * (`…:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:…`) or Node's.
 */
const TLS_FAILURE =
  /SSL routines:[^:]*:([^:\n]+)|(Hostname\/IP does not match[^;()\n]*|unable to verify the first certificate|unable to get local issuer certificate|self[- ]signed certificate(?: in certificate chain)?|certificate has expired)/;

/** What an Apply call came to, in the terms filer_state records. */
export type AgentApplyOutcome =
  | { readonly ok: true; readonly generation: string; readonly changed: boolean }
  | {
      readonly ok: false;
      /** `unreachable`: no answer (down, refused, deadline); `failed`: the agent said no. */
      readonly state: 'failed' | 'unreachable';
      /** The agent's own words, with the kernel's for every failed item. */
      readonly error: string;
      /** FENCED, STALE_GENERATION, GENERATION_CONFLICT when the agent refused for that. */
      readonly reason?: string;
    };

/**
 * gRPC clients of vsnet.agent.v1, one channel per agent address, every call with a deadline.
 * A channel that found its agent unreachable is dropped, so the next call dials afresh; so is
 * the channel to a filer's old address once its agent moved ({@link track}).
 * With VSNET_AGENT_TLS_* the channels speak TLS (docs/tls.md): an agent's certificate must
 * chain to VSNET_AGENT_TLS_CA and name the host of its address.
 */
@Injectable()
export class AgentClients implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AgentClients');
  private readonly Agent = agentGrpc().Agent;
  private readonly clients = new Map<string, AgentClient>();
  /** Each filer's agent address as last seen by {@link track}. */
  private readonly addresses = new Map<string, string>();
  private readonly credentials: grpc.ChannelCredentials;

  constructor(@Inject(CONTROL_CONFIG) private readonly config: ControlConfig) {
    this.credentials = tlsChannelCredentials(config.agentTls);
  }

  /** Says once, at start, how the agent channel is protected; a plaintext one is a warning. */
  onModuleInit(): void {
    const tls = this.config.agentTls;
    if (tls === undefined) {
      this.logger.warn(
        'the agent channel is not encrypted: specs and applies travel in plaintext and anyone who reaches an agent port can call it; set VSNET_AGENT_TLS_CA, VSNET_AGENT_TLS_CERT and VSNET_AGENT_TLS_KEY (docs/tls.md)',
      );
    } else {
      this.logger.log(
        `the agent channel uses TLS, ${tls.ca === undefined ? "trusting the system's CAs" : 'trusting VSNET_AGENT_TLS_CA'}, ${tls.identity === undefined ? 'without a client certificate' : 'presenting VSNET_AGENT_TLS_CERT'}`,
      );
    }
  }

  /**
   * Notes that `filer`'s agent is at `address`. When it was elsewhere, the channel to the old
   * address is closed (unless another filer's agent is there): a re-joined agent would
   * otherwise leave a channel reconnecting to a host that may never answer again.
   */
  track(filer: string, address: string): void {
    const before = this.addresses.get(filer);
    this.addresses.set(filer, address);
    if (before === undefined || before === address) {
      return;
    }
    if (![...this.addresses.values()].includes(before)) {
      this.clients.get(before)?.close();
      this.clients.delete(before);
    }
  }

  /** How many channels are open: one per agent address in use. */
  get channels(): number {
    return this.clients.size;
  }

  /** Calls Apply on the agent at `address` (`host:port`). Never throws. */
  async apply(
    address: string,
    request: ApplyRequest,
    deadlineMs: number,
  ): Promise<AgentApplyOutcome> {
    const client = this.clientFor(address);
    try {
      const response = await new Promise<ApplyResponse__Output>((resolve, reject) => {
        client.Apply(request, { deadline: Date.now() + deadlineMs }, (err, res) =>
          err ? reject(err) : res === undefined ? reject(new Error('no answer')) : resolve(res),
        );
      });
      return { ok: true, generation: response.generation, changed: response.changed };
    } catch (err) {
      return this.failure(address, err);
    }
  }

  /** GetState of the agent at `address`. */
  getState(address: string, deadlineMs: number): Promise<GetStateResponse__Output> {
    const client = this.clientFor(address);
    return new Promise((resolve, reject) => {
      client.GetState({}, { deadline: Date.now() + deadlineMs }, (err, res) =>
        err ? reject(err) : res === undefined ? reject(new Error('no answer')) : resolve(res),
      );
    });
  }

  /**
   * Agent.Lead on the agent at `address`: this leader's epoch, heartbeat key and timing.
   * Rejects with an {@link AgentCallError} (the agent's words, or that it did not answer).
   */
  lead(address: string, request: LeadRequest, deadlineMs: number): Promise<LeadResponse__Output> {
    return this.unary(address, deadlineMs, (client, options, done) =>
      client.Lead(request, options, done),
    );
  }

  /**
   * Agent.Takeover on the agent at `address`: the failover fast path (deactivations, then
   * activations of pre-staged vsvrs). Rejects with an {@link AgentCallError}.
   */
  takeover(
    address: string,
    request: TakeoverRequest,
    deadlineMs: number,
  ): Promise<TakeoverResponse__Output> {
    return this.unary(address, deadlineMs, (client, options, done) =>
      client.Takeover(request, options, done),
    );
  }

  onApplicationShutdown(): void {
    for (const client of this.clients.values()) {
      client.close();
    }
    this.clients.clear();
    this.addresses.clear();
  }

  /** One unary call with a deadline; an unreachable agent's channel is dropped (see apply). */
  private async unary<Res>(
    address: string,
    deadlineMs: number,
    call: (
      client: AgentClient,
      options: grpc.CallOptions,
      done: (err: grpc.ServiceError | null, res?: Res) => void,
    ) => void,
  ): Promise<Res> {
    const client = this.clientFor(address);
    try {
      return await new Promise<Res>((resolve, reject) => {
        call(client, { deadline: Date.now() + deadlineMs }, (err, res) =>
          err ? reject(err) : res === undefined ? reject(new Error('no answer')) : resolve(res),
        );
      });
    } catch (err) {
      const outcome = this.failure(address, err);
      if (outcome.ok) {
        throw err; // never: failure() describes a failure
      }
      throw new AgentCallError(outcome.state, outcome.error, outcome.reason);
    }
  }

  private clientFor(address: string): AgentClient {
    let client = this.clients.get(address);
    if (client === undefined) {
      client = new this.Agent(address, this.credentials, CHANNEL_OPTIONS);
      this.clients.set(address, client);
    }
    return client;
  }

  private failure(address: string, err: unknown): AgentApplyOutcome {
    if (!isServiceError(err)) {
      return { ok: false, state: 'failed', error: String(err) };
    }
    if (
      err.code === grpc.status.UNAVAILABLE ||
      err.code === grpc.status.DEADLINE_EXCEEDED ||
      err.code === grpc.status.CANCELLED
    ) {
      this.clients.get(address)?.close();
      this.clients.delete(address);
      const tlsReason = TLS_FAILURE.exec(err.details);
      return {
        ok: false,
        state: 'unreachable',
        error:
          tlsReason !== null
            ? `the agent at ${address} refused or failed the TLS handshake (${tlsReason[1] ?? tlsReason[2]}); check VSNET_AGENT_TLS_* here and on the agent (docs/tls.md)`
            : `the agent at ${address} did not answer (${grpc.status[err.code]}: ${err.details.split('\n', 1)[0]})`,
      };
    }
    const reason = err.metadata?.get(REASON_TRAILER)[0];
    return {
      ok: false,
      state: 'failed',
      error: this.failedItems(err) ?? err.details,
      ...(typeof reason === 'string' ? { reason } : {}),
    };
  }

  /**
   * The kernel's words for a failed apply (ABORTED): each failed item with its detail, then
   * what still differs; `undefined` when the agent sent no apply response.
   */
  private failedItems(err: grpc.ServiceError): string | undefined {
    const raw = err.metadata?.get(APPLY_RESPONSE_TRAILER)[0];
    if (!(raw instanceof Buffer)) {
      return undefined;
    }
    const response: ApplyResponse__Output = this.Agent.service.Apply.responseDeserialize(raw);
    const lines = [
      ...response.items
        .filter((i) => i.status === 'ITEM_OUTCOME_FAILED')
        .map((i) => `${i.item}: ${i.detail ?? 'failed'}`),
      ...response.drift.map((d) => `${d.item}: expected ${d.expected}, found ${d.actual}`),
    ];
    return lines.length === 0 ? undefined : lines.join('; ');
  }
}

/** A failed Lead or Takeover: `unreachable` (no answer) or `failed` (the agent said no). */
export class AgentCallError extends Error {
  override readonly name = 'AgentCallError';

  constructor(
    readonly state: 'failed' | 'unreachable',
    message: string,
    /** FENCED, STALE_EPOCH, … when the agent gave one (its vsnet-reason trailer). */
    readonly reason?: string,
  ) {
    super(message);
  }
}

function isServiceError(err: unknown): err is grpc.ServiceError {
  return typeof err === 'object' && err !== null && 'code' in err && 'details' in err;
}
