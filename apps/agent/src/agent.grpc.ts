import * as grpc from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import type {
  AgentHandlers,
  ApplyRequest__Output,
  ApplyResponse,
  LeadRequest__Output,
  TakeoverRequest__Output,
  WatchRequest__Output,
  WatchResponse,
} from '@vsnet/contracts';
import { WireError, nodeSpecFromWire, uint64FromWire } from '@vsnet/contracts';
import { OBJECT_NAME_PATTERN } from '@vsnet/model';
import type { AgentEvents } from './agent-events.js';
import { AgentError } from './agent.errors.js';
import type { AgentErrorCode } from './agent.errors.js';
import {
  applyResponseToWire,
  leadResponseToWire,
  stateToWire,
  takeoverResponseToWire,
  watchMessageToWire,
} from './agent.mapper.js';
import type { ApplyCommand, ApplyOutcome, TakeoverCommand } from './apply.types.js';
import {
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  MAX_HEARTBEAT_INTERVAL_MS,
  MIN_HEARTBEAT_INTERVAL_MS,
  WatchSession,
} from './heartbeat.js';
import type { LeadCommand, LeadershipService } from './leadership.service.js';
import type { Logger } from './logger.js';
import { errorMessage } from './logger.js';
import type { ReconcilerService } from './reconciler.service.js';

/**
 * Trailer of a failed Apply (ABORTED): the ApplyResponse, cut to the first
 * {@link TRAILER_ITEM_LIMIT} failed items and drift entries and without the plan, because
 * clients accept only about 64 KiB of headers. The totals are in the two count trailers.
 */
export const APPLY_RESPONSE_TRAILER = 'vsnet-apply-response-bin';
/** How many items failed in all (the response trailer may carry fewer). */
export const FAILED_ITEMS_TRAILER = 'vsnet-failed-items';
/** How many drift entries remained in all. */
export const DRIFT_TRAILER = 'vsnet-drift';
/** Why a FAILED_PRECONDITION was refused: FENCED, STALE_GENERATION or GENERATION_CONFLICT. */
export const REASON_TRAILER = 'vsnet-reason';
export const TRAILER_ITEM_LIMIT = 50;

const REASONS: Partial<Record<AgentErrorCode, string>> = {
  fenced: 'FENCED',
  'stale-generation': 'STALE_GENERATION',
  'generation-conflict': 'GENERATION_CONFLICT',
};

/** The failed apply's outcome as it fits a trailer, and the sentence that says what was cut. */
function trailerOutcome(outcome: ApplyOutcome): { outcome: ApplyOutcome; note: string } {
  const failed = outcome.items.filter((i) => i.status === 'failed');
  const items = failed.slice(0, TRAILER_ITEM_LIMIT);
  const drift = outcome.drift.slice(0, TRAILER_ITEM_LIMIT);
  const note = `the ${APPLY_RESPONSE_TRAILER} trailer carries ${items.length} of ${failed.length} failed item(s) and ${drift.length} of ${outcome.drift.length} difference(s), without the plan; GetState and the agent log show the rest`;
  return {
    outcome: { ...outcome, items, drift, plan: { ...outcome.plan, operations: [] } },
    note,
  };
}

/** Open Watch streams, so a stopping agent can end them instead of waiting on them. */
export class WatchStreams {
  private readonly open = new Set<() => void>();

  add(end: () => void): () => void {
    this.open.add(end);
    return () => this.open.delete(end);
  }

  endAll(): void {
    for (const end of [...this.open]) {
      end();
    }
  }
}

function statusOf(code: AgentErrorCode): grpc.status {
  switch (code) {
    case 'invalid-request':
      return grpc.status.INVALID_ARGUMENT;
    case 'fenced':
    case 'stale-generation':
    case 'generation-conflict':
      return grpc.status.FAILED_PRECONDITION;
    case 'apply-failed':
      return grpc.status.ABORTED;
    case 'driver-failed':
      return grpc.status.INTERNAL;
    case 'shutting-down':
      return grpc.status.UNAVAILABLE;
    case 'cancelled':
      return grpc.status.CANCELLED;
    case 'not-found':
      return grpc.status.NOT_FOUND;
  }
}

/** Validates an ApplyRequest and maps it to the domain; throws WireError naming the bad field. */
export function applyCommandFromWire(request: ApplyRequest__Output): Omit<ApplyCommand, 'signal'> {
  if (request.spec === null) {
    throw new WireError('spec', 'spec is missing; send the NodeSpec compiled for this filer');
  }
  const spec = nodeSpecFromWire(request.spec);
  const generation = uint64FromWire(request.generation);
  if (generation === 0n) {
    throw new WireError(
      'generation',
      'generation is 0; send the cluster generation the spec was compiled for (1 or more)',
    );
  }
  return { spec, generation, epoch: uint64FromWire(request.epoch), dryRun: request.dryRun };
}

/** Validates a LeadRequest and maps it to the domain; throws WireError naming the bad field. */
export function leadCommandFromWire(request: LeadRequest__Output): LeadCommand {
  return {
    epoch: uint64FromWire(request.epoch),
    key: new Uint8Array(request.heartbeatKey),
    leaseMs: request.leaseMs,
    fenceAfterMs: request.fenceAfterMs,
    heartbeatIntervalMs: request.heartbeatIntervalMs,
  };
}

/** Validates a TakeoverRequest; `arrivedAt` is when it arrived (performance.now()). */
export function takeoverCommandFromWire(
  request: TakeoverRequest__Output,
  arrivedAt: number,
): TakeoverCommand {
  for (const [field, names] of [
    ['activate', request.activate],
    ['deactivate', request.deactivate],
  ] as const) {
    const bad = names.find((n) => !OBJECT_NAME_PATTERN.test(n));
    if (bad !== undefined) {
      throw new WireError(field, `${field} names "${bad}", which is not a vsvr name`);
    }
    if (new Set(names).size !== names.length) {
      throw new WireError(field, `${field} names a vsvr twice; name each once`);
    }
  }
  return {
    epoch: uint64FromWire(request.epoch),
    activate: request.activate,
    deactivate: request.deactivate,
    arrivedAt,
  };
}

/**
 * The Agent service's transport: each handler validates, calls the reconciler (or the
 * leadership service), and maps the answer or the error (one line, one status code) back to
 * the wire.
 */
export function agentHandlers(
  reconciler: ReconcilerService,
  leadership: Pick<LeadershipService, 'lead'>,
  events: AgentEvents,
  watches: WatchStreams,
  serializeApplyResponse: (response: ApplyResponse) => Buffer,
  logger: Logger,
): AgentHandlers {
  const toStatus = (err: unknown, method: string): Partial<grpc.StatusObject> => {
    if (err instanceof WireError) {
      return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
    }
    if (err instanceof AgentError) {
      const metadata = new grpc.Metadata();
      let details = err.message;
      const reason = REASONS[err.code];
      if (reason !== undefined) {
        metadata.set(REASON_TRAILER, reason);
      }
      if (err.outcome !== undefined) {
        const { outcome, note } = trailerOutcome(err.outcome);
        metadata.set(APPLY_RESPONSE_TRAILER, serializeApplyResponse(applyResponseToWire(outcome)));
        metadata.set(
          FAILED_ITEMS_TRAILER,
          String(err.outcome.items.filter((i) => i.status === 'failed').length),
        );
        metadata.set(DRIFT_TRAILER, String(err.outcome.drift.length));
        details = `${details} (${note})`;
      }
      return { code: statusOf(err.code), details, metadata };
    }
    logger.error(`${method} failed unexpectedly: ${errorMessage(err)}`, { method });
    return { code: grpc.status.INTERNAL, details: `${method} failed: ${errorMessage(err)}` };
  };

  return {
    Apply(call, callback) {
      let command: Omit<ApplyCommand, 'signal'>;
      try {
        command = applyCommandFromWire(call.request);
      } catch (err) {
        callback(toStatus(err, 'Apply'));
        return;
      }
      const abort = new AbortController();
      call.once('cancelled', () => abort.abort());
      reconciler.apply({ ...command, signal: abort.signal }).then(
        (outcome) => callback(null, applyResponseToWire(outcome)),
        (err: unknown) => callback(toStatus(err, 'Apply')),
      );
    },

    GetState(_call, callback) {
      reconciler.state().then(
        (state) => callback(null, stateToWire(state)),
        (err: unknown) => callback(toStatus(err, 'GetState')),
      );
    },

    Watch(call: grpc.ServerWritableStream<WatchRequest__Output, WatchResponse>) {
      const requested = call.request.intervalMs;
      const intervalMs = requested === 0 ? DEFAULT_HEARTBEAT_INTERVAL_MS : requested;
      if (intervalMs < MIN_HEARTBEAT_INTERVAL_MS || intervalMs > MAX_HEARTBEAT_INTERVAL_MS) {
        call.emit('error', {
          code: grpc.status.INVALID_ARGUMENT,
          details: `intervalMs is ${requested}; send 0 for ${DEFAULT_HEARTBEAT_INTERVAL_MS} ms, or ${MIN_HEARTBEAT_INTERVAL_MS} to ${MAX_HEARTBEAT_INTERVAL_MS}`,
        });
        return;
      }
      const session = new WatchSession(intervalMs, () => reconciler.status(), events, {
        write: (message) => call.write(watchMessageToWire(message)),
        onDrain: (resume) => call.once('drain', resume),
      });
      let ended = false;
      const forget = watches.add(() => {
        finish();
        call.end();
      });
      const finish = (): void => {
        if (!ended) {
          ended = true;
          session.stop();
          forget();
        }
      };
      call.once('cancelled', finish);
      call.once('close', finish);
      call.once('error', finish);
      session.start(reconciler.standingEvents());
    },

    Lead(call, callback) {
      let command: LeadCommand;
      try {
        command = leadCommandFromWire(call.request);
      } catch (err) {
        callback(toStatus(err, 'Lead'));
        return;
      }
      leadership.lead(command).then(
        (outcome) => callback(null, leadResponseToWire(outcome)),
        (err: unknown) => callback(toStatus(err, 'Lead')),
      );
    },

    Takeover(call, callback) {
      const arrivedAt = performance.now();
      let command: TakeoverCommand;
      try {
        command = takeoverCommandFromWire(call.request, arrivedAt);
      } catch (err) {
        callback(toStatus(err, 'Takeover'));
        return;
      }
      reconciler.takeover(command).then(
        (outcome) => callback(null, takeoverResponseToWire(outcome)),
        (err: unknown) => callback(toStatus(err, 'Takeover')),
      );
    },
  };
}
