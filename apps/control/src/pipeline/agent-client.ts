import * as grpc from '@grpc/grpc-js';
import { Injectable } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import type {
  AgentClient,
  ApplyRequest,
  ApplyResponse__Output,
  GetStateResponse__Output,
} from '@vsnet/contracts';
import { agentGrpc } from '@vsnet/contracts';

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
 * A channel that found its agent unreachable is dropped, so the next call dials afresh.
 */
@Injectable()
export class AgentClients implements OnApplicationShutdown {
  private readonly Agent = agentGrpc().Agent;
  private readonly clients = new Map<string, AgentClient>();

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

  onApplicationShutdown(): void {
    for (const client of this.clients.values()) {
      client.close();
    }
    this.clients.clear();
  }

  private clientFor(address: string): AgentClient {
    let client = this.clients.get(address);
    if (client === undefined) {
      // The agent channel is plaintext for now; TLS (VSNET_AGENT_TLS_*) plugs in here.
      client = new this.Agent(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
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
      return {
        ok: false,
        state: 'unreachable',
        error: `the agent at ${address} did not answer (${grpc.status[err.code]}: ${err.details})`,
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

function isServiceError(err: unknown): err is grpc.ServiceError {
  return typeof err === 'object' && err !== null && 'code' in err && 'details' in err;
}
