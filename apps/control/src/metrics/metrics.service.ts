import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'vsnet_up',
      help: '1 while vsnet-control is running',
      registers: [this.registry],
    }).set(1);
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
