import { AgentError } from './agent.errors.js';
import type { FencingStore } from './fencing-store.js';
import type { FenceSignal, ResponderUpdate } from './heartbeat-responder.js';
import type { Heartbeats } from './heartbeat-thread.js';
import type { Logger } from './logger.js';
import type { AgentStatus, ReconcilerService } from './reconciler.service.js';

/** The leader lease assumed when a Lead gives none: fence-after defaults to twice it. */
export const DEFAULT_LEASE_MS = 3_000;
/** Bytes of a heartbeat key (HMAC-SHA256). */
export const HEARTBEAT_KEY_BYTES = 32;

/** One Agent.Lead, mapped from the wire. */
export interface LeadCommand {
  readonly epoch: bigint;
  readonly key: Uint8Array;
  /** 0: not said ({@link DEFAULT_LEASE_MS}). */
  readonly leaseMs: number;
  /** 0: twice the lease. */
  readonly fenceAfterMs: number;
  readonly heartbeatIntervalMs: number;
}

/** What the agent tells a leader that introduced itself. */
export interface LeadOutcome {
  readonly status: AgentStatus;
  /** UDP port heartbeats are answered on; 0 when the agent answers none (unix socket). */
  readonly heartbeatPort: number;
}

/**
 * The agent's side of leadership (decision 0006): Agent.Lead hands the leader's key and
 * fence-after to the heartbeat responder (and fence-after to the state record, so an agent
 * restarted while cut off still fences in time); the responder's fence signals become the
 * reconciler's fence; and the responder learns every status change for its pongs.
 */
export class LeadershipService {
  private fenced = false;
  private heartbeats: Heartbeats | undefined;
  private attached = false;

  constructor(
    private readonly fencing: FencingStore,
    private readonly reconciler: ReconcilerService,
    private readonly logger: Logger,
  ) {}

  /**
   * Connects the heartbeat responder once it runs (it binds after the gRPC server, whose port
   * it shares); undefined when none runs. Leads are refused as UNAVAILABLE until then.
   */
  attach(heartbeats: Heartbeats | undefined): void {
    this.heartbeats = heartbeats;
    this.attached = true;
    const status = this.reconciler.status();
    this.fenced = status.fenced;
    this.statusChanged(status);
    this.reconciler.onStatus((s) => this.statusChanged(s));
    heartbeats?.onFence((signal) => void this.reconciler.fence(reasonOf(signal, this.fencing)));
  }

  /** The responder's state at start: what the record says, not yet any key. */
  static initialUpdate(fencing: FencingStore, status: AgentStatus): ResponderUpdate {
    return {
      highestEpoch: fencing.state.highestEpoch,
      ...(fencing.fenceAfterMs !== undefined ? { fenceAfterMs: fencing.fenceAfterMs } : {}),
      status: { filer: status.filer, generation: status.generation, fenced: status.fenced },
    };
  }

  async lead(command: LeadCommand): Promise<LeadOutcome> {
    const { epoch, key, leaseMs } = command;
    if (!this.attached) {
      throw new AgentError('shutting-down', 'the agent is still starting; call Lead again');
    }
    if (epoch === 0n) {
      throw new AgentError('invalid-request', 'epoch is 0; a leader leads with epoch 1 or more');
    }
    if (key.length !== HEARTBEAT_KEY_BYTES) {
      throw new AgentError(
        'invalid-request',
        `heartbeat_key has ${key.length} bytes; send a fresh random key of ${HEARTBEAT_KEY_BYTES} bytes`,
      );
    }
    const fenceAfterMs = command.fenceAfterMs || 2 * (leaseMs || DEFAULT_LEASE_MS);
    if (leaseMs > 0 && fenceAfterMs < leaseMs) {
      throw new AgentError(
        'invalid-request',
        `fence_after_ms ${fenceAfterMs} is shorter than lease_ms ${leaseMs}: agents would fence while the lease still holds; send at least the lease (or 0 for twice it)`,
      );
    }
    this.fencing.admitEpoch(epoch);
    const before = this.fencing.state.highestEpoch;
    await this.fencing.recordLead(epoch, fenceAfterMs);
    this.heartbeats?.update({ lead: { key, epoch }, fenceAfterMs, heard: true });
    if (epoch > before) {
      this.logger.info(`led by the leader of epoch ${epoch}`, {
        epoch: epoch.toString(),
        fenceAfterMs,
        heartbeatIntervalMs: command.heartbeatIntervalMs,
      });
    }
    return { status: this.reconciler.status(), heartbeatPort: this.heartbeats?.port ?? 0 };
  }

  private statusChanged(status: AgentStatus): void {
    const unfenced = this.fenced && !status.fenced;
    this.fenced = status.fenced;
    this.heartbeats?.update({
      highestEpoch: status.epoch,
      status: { filer: status.filer, generation: status.generation, fenced: status.fenced },
      // A fence lifted by the leader starts a new silence: fence again if it lasts.
      ...(unfenced ? { heard: true } : {}),
    });
  }
}

function reasonOf(signal: FenceSignal, fencing: FencingStore): string {
  return signal.kind === 'fence'
    ? `no valid heartbeat from a leader for ${Math.round(signal.silentMs)} ms (fence-after ${fencing.fenceAfterMs ?? '?'} ms)`
    : `the leader of epoch ${signal.epoch} declared this filer lost (FENCE_NOW)`;
}
