import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How long a scrape waits for the reconcile queue's depth. */
const QUEUE_DEPTH_TIMEOUT_MS = 500;

/** `work`'s value, or `undefined` when it fails or takes longer than `ms`. */
function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.catch(() => undefined),
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The service's Prometheus registry: Node's default metrics plus `vsnet_up`. One registry per
 * application instance (not prom-client's global one), so two apps in one test process coexist.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly rpcs = new Counter({
    name: 'vsnet_grpc_requests_total',
    help: 'vsnet.v1 calls answered, by full method name and gRPC status',
    labelNames: ['method', 'code'] as const,
    registers: [this.registry],
  });
  private readonly applies = new Counter({
    name: 'vsnet_agent_applies_total',
    help: 'Apply calls to agents, by result: applied, failed, unreachable',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly applySeconds = new Histogram({
    name: 'vsnet_agent_apply_duration_seconds',
    help: 'Time of one Apply call to an agent, answer or not',
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly queueWaitSeconds = new Histogram({
    name: 'vsnet_reconcile_queue_wait_seconds',
    help: 'Time a reconcile job waited in the queue, from queued to taken by the worker',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private queueDepthSource: (() => Promise<number>) | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'vsnet_up',
      help: '1 while vsnet-control is running',
      registers: [this.registry],
    }).set(1);
    const depthOf = (): Promise<number | undefined> =>
      within(this.queueDepthSource?.() ?? Promise.resolve(undefined), QUEUE_DEPTH_TIMEOUT_MS);
    new Gauge({
      name: 'vsnet_reconcile_queue_depth',
      help: 'Reconcile jobs waiting or running in the queue',
      registers: [this.registry],
      async collect() {
        // An unreachable Redis leaves the last value rather than failing or holding up the
        // whole scrape (ioredis keeps the read in its offline queue until Redis is back).
        const depth = await depthOf();
        if (depth !== undefined) {
          this.set(depth);
        }
      },
    });
  }

  /** Counts one Apply call to an agent and its duration. */
  countApply(result: 'applied' | 'failed' | 'unreachable', seconds: number): void {
    this.applies.inc({ result });
    this.applySeconds.observe(seconds);
  }

  /** Counts how long one reconcile job waited before the worker took it. */
  observeQueueWait(seconds: number): void {
    this.queueWaitSeconds.observe(seconds);
  }

  /** Where `vsnet_reconcile_queue_depth` reads the queue's depth at each scrape. */
  measureQueueDepth(source: () => Promise<number>): void {
    this.queueDepthSource = source;
  }

  countRpc(method: string, code: string): void {
    this.rpcs.inc({ method, code });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
