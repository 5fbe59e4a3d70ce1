import type { ApplyOutcome } from './apply.types.js';

/** Every way the agent refuses or fails a request; agent.grpc.ts maps each to a gRPC status. */
export type AgentErrorCode =
  /** The request is malformed or not for this filer. */
  | 'invalid-request'
  /** The command carries an older fencing epoch than the agent has seen. */
  | 'fenced'
  /** The generation is older than the last applied one. */
  | 'stale-generation'
  /** The generation was applied already, with a different spec. */
  | 'generation-conflict'
  /** The apply ran but the kernel does not match the spec (failed items or drift). */
  | 'apply-failed'
  /** The driver could not run (inspect, apply or verify threw). */
  | 'driver-failed'
  /** The agent is stopping and takes no new apply. */
  | 'shutting-down'
  /** The caller gave up before the apply started. */
  | 'cancelled'
  /** A Takeover names a vsvr the agent's spec does not carry. */
  | 'not-found';

/** A refusal or failure with one clear line; `outcome` is what an apply that ran did. */
export class AgentError extends Error {
  override readonly name = 'AgentError';

  constructor(
    readonly code: AgentErrorCode,
    message: string,
    readonly outcome?: ApplyOutcome,
  ) {
    super(message);
  }
}
