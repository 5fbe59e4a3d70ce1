import * as grpc from '@grpc/grpc-js';
import type {
  AgentClient,
  ApplyResponse__Output,
  GetStateResponse__Output,
} from '@vsnet/contracts';
import { agentGrpc, nodeSpecToWire, uint64ToWire } from '@vsnet/contracts';
import type { NodeSpec } from '@vsnet/model';

/** Deadlines of the lab's calls (STYLE.md rule 12: every gRPC call carries one). */
export const APPLY_DEADLINE_MS = 30_000;
export const GET_STATE_DEADLINE_MS = 10_000;

/** A promise-based client of one agent, as control's workers would call it. */
export class AgentApi {
  private readonly client: AgentClient;

  constructor(readonly address: string) {
    const { Agent } = agentGrpc();
    this.client = new Agent(address, grpc.credentials.createInsecure());
  }

  apply(
    spec: NodeSpec,
    generation: number,
    epoch: number,
    deadlineMs = APPLY_DEADLINE_MS,
  ): Promise<ApplyResponse__Output> {
    return new Promise((resolve, reject) =>
      this.client.Apply(
        {
          spec: nodeSpecToWire(spec),
          generation: uint64ToWire(generation),
          epoch: uint64ToWire(epoch),
        },
        { deadline: Date.now() + deadlineMs },
        (err, res) => (err || !res ? reject(err ?? new Error('Apply: no answer')) : resolve(res)),
      ),
    );
  }

  getState(deadlineMs = GET_STATE_DEADLINE_MS): Promise<GetStateResponse__Output> {
    return new Promise((resolve, reject) =>
      this.client.GetState({}, { deadline: Date.now() + deadlineMs }, (err, res) =>
        err || !res ? reject(err ?? new Error('GetState: no answer')) : resolve(res),
      ),
    );
  }

  close(): void {
    this.client.close();
  }
}

/** What a user reads from an Apply answer: did it change anything, and did everything work. */
export function applySummary(res: ApplyResponse__Output): {
  changed: boolean;
  generation: string;
  failed: string[];
  drift: string[];
} {
  return {
    changed: res.changed,
    generation: res.generation,
    failed: res.items
      .filter((i) => i.status === 'ITEM_OUTCOME_FAILED')
      .map((i) => `${i.item}: ${i.detail ?? ''}`),
    drift: res.drift.map((d) => `${d.item}: expected ${d.expected}, actual ${d.actual}`),
  };
}
