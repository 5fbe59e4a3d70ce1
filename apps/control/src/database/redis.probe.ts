import { Inject, Injectable } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { CONTROL_CONFIG } from '../config/config.module.js';
import type { ControlConfig } from '../config/control-config.js';
import { redisTarget } from './redis-target.js';

const PING_TIMEOUT_MS = 2_000;

/** Reachability of Redis for /readyz, through one client that fails fast instead of queueing. */
@Injectable()
export class RedisProbe implements OnModuleDestroy {
  private readonly client: Redis;

  constructor(@Inject(CONTROL_CONFIG) config: ControlConfig) {
    this.client = new Redis(redisTarget(config.redisUrl), {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: PING_TIMEOUT_MS,
      // Reconnect on the next probe rather than in a background loop.
      retryStrategy: () => null,
    });
    // ioredis reports connection failures as 'error' events too; the probe's answer carries them.
    this.client.on('error', () => undefined);
  }

  async check(): Promise<void> {
    if (this.client.status === 'wait' || this.client.status === 'end') {
      await this.client.connect();
    }
    const answer: string = await this.client.ping();
    if (answer !== 'PONG') {
      throw new Error(`unexpected PING answer ${JSON.stringify(answer)}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.client.status !== 'end') {
      this.client.disconnect();
    }
    return Promise.resolve();
  }
}
