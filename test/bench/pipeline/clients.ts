import * as grpc from '@grpc/grpc-js';
import type { AgentClient, ApplyRequest } from '@vsnet/contracts';
import { agentGrpc } from '@vsnet/contracts';
import { clusterApiGrpc } from '../../../libs/contracts/src/cluster-api.js';
import type {
  ChangeServiceClient,
  VsvrServiceClient,
} from '../../../libs/contracts/src/cluster-api.js';
import type { ChangeRecord__Output } from '../../../libs/contracts/src/generated/vsnet/v1/ChangeRecord.js';
import type { WatchChangeResponse__Output } from '../../../libs/contracts/src/generated/vsnet/v1/WatchChangeResponse.js';

const CALL_DEADLINE_MS = 30_000;
/** How long one change may take to be applied before the benchmark gives up on it. */
const APPLIED_DEADLINE_MS = 60_000;

/** The mutations and the change watch the benchmark times, with the admin token. */
export class PipelineClient {
  private readonly vsvrs: VsvrServiceClient;
  private readonly changes: ChangeServiceClient;

  constructor(
    server: string,
    private readonly token: string,
  ) {
    const api = clusterApiGrpc();
    const credentials = grpc.credentials.createInsecure();
    this.vsvrs = new api.VsvrService(server, credentials);
    // One channel for both: the watch follows the mutation on a connection already open.
    this.changes = new api.ChangeService(server, credentials, {
      channelOverride: this.vsvrs.getChannel(),
    });
  }

  private metadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${this.token}`);
    return metadata;
  }

  /** Adds `address` to `vsvr` on data0; resolves with the generation the change produced. */
  addAddress(vsvr: string, address: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.vsvrs.addAddress(
        { vsvr, alias: 'data0', address, nextFree: true },
        this.metadata(),
        { deadline: Date.now() + CALL_DEADLINE_MS },
        (err, res) =>
          err || !res ? reject(err ?? new Error('no answer')) : resolve(res.generation),
      );
    });
  }

  /** Removes `address` from `vsvr`; resolves with the generation the change produced. */
  removeAddress(vsvr: string, address: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.vsvrs.removeAddress(
        { vsvr, address },
        this.metadata(),
        { deadline: Date.now() + CALL_DEADLINE_MS },
        (err, res) =>
          err || !res ? reject(err ?? new Error('no answer')) : resolve(res.generation),
      );
    });
  }

  /**
   * Streams WatchChange for `generation` and resolves with the record at the first message
   * that says applied; rejects when the change failed or the stream ended before.
   */
  applied(generation: string): Promise<ChangeRecord__Output> {
    return new Promise((resolve, reject) => {
      let done = false;
      const call = this.changes.watchChange({ generation }, this.metadata(), {
        deadline: Date.now() + APPLIED_DEADLINE_MS,
      });
      const finish = (err: Error | undefined, record?: ChangeRecord__Output): void => {
        if (done) {
          return;
        }
        done = true;
        call.cancel();
        if (err) {
          reject(err);
        } else {
          resolve(record!);
        }
      };
      call.on('data', (message: WatchChangeResponse__Output) => {
        const record = message.change;
        if (record?.state === 'CHANGE_STATE_APPLIED') {
          finish(undefined, record);
        } else if (record?.state === 'CHANGE_STATE_FAILED') {
          const why = record.filers
            .filter((f) => f.error !== '')
            .map((f) => `${f.filer}: ${f.error}`)
            .join('; ');
          finish(new Error(`change ${generation} failed: ${why}`));
        }
      });
      call.on('error', (err) => finish(err));
      call.on('end', () => finish(new Error(`the watch of change ${generation} ended unapplied`)));
    });
  }

  close(): void {
    this.changes.close();
    this.vsvrs.close();
  }
}

/** A direct client of one node agent: the baseline's Apply, with no control service between. */
export class DirectAgent {
  private readonly client: AgentClient;

  constructor(
    readonly filer: string,
    address: string,
  ) {
    const { Agent } = agentGrpc();
    this.client = new Agent(address, grpc.credentials.createInsecure());
  }

  /** The generation and fencing epoch the agent holds. */
  state(): Promise<{ generation: bigint; epoch: string }> {
    return new Promise((resolve, reject) => {
      this.client.GetState({}, { deadline: Date.now() + CALL_DEADLINE_MS }, (err, res) =>
        err || !res
          ? reject(err ?? new Error('no answer'))
          : resolve({ generation: BigInt(res.generation), epoch: res.epoch }),
      );
    });
  }

  apply(request: ApplyRequest): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.Apply(request, { deadline: Date.now() + CALL_DEADLINE_MS }, (err) =>
        err ? reject(new Error(`${this.filer}: ${err.message}`)) : resolve(),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

/** The counters and histogram sums the benchmark reads from vsnet-control's /metrics. */
export interface PipelineMetrics {
  /** Apply calls to agents, whatever their result. */
  readonly applies: number;
  readonly applySeconds: number;
  readonly queueWaits: number;
  readonly queueWaitSeconds: number;
}

/** Scrapes `url` (vsnet-control's /metrics). Absent series read as 0. */
export async function scrapeMetrics(url: string): Promise<PipelineMetrics> {
  const text = await (await fetch(url)).text();
  const sum = (name: string): number =>
    text
      .split('\n')
      .filter((l) => l.startsWith(name) && (l[name.length] === ' ' || l[name.length] === '{'))
      .reduce((acc, l) => acc + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return {
    applies: sum('vsnet_agent_applies_total'),
    applySeconds: sum('vsnet_agent_apply_duration_seconds_sum'),
    queueWaits: sum('vsnet_reconcile_queue_wait_seconds_count'),
    queueWaitSeconds: sum('vsnet_reconcile_queue_wait_seconds_sum'),
  };
}
