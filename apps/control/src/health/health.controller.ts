import { Controller, Get, HttpException, HttpStatus, Res } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import { ReadinessService } from './readiness.service.js';
import type { Readiness } from './readiness.service.js';

/** The shape of the response object this controller touches (Express's, without its types). */
interface HeaderResponse {
  setHeader(name: string, value: string): void;
}

@Controller()
export class HealthController {
  constructor(
    private readonly readiness: ReadinessService,
    private readonly metrics: MetricsService,
  ) {}

  /** The process is up and answering. */
  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when MySQL and Redis both answer; 503 naming each one that did not. */
  @Get('readyz')
  async readyz(): Promise<Readiness> {
    const readiness = await this.readiness.check();
    if (readiness.status !== 'ready') {
      throw new HttpException(readiness, HttpStatus.SERVICE_UNAVAILABLE);
    }
    return readiness;
  }

  @Get('metrics')
  async metricsText(@Res({ passthrough: true }) res: HeaderResponse): Promise<string> {
    res.setHeader('Content-Type', this.metrics.contentType);
    return this.metrics.text();
  }
}
