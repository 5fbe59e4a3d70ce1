import { Injectable } from '@nestjs/common';
import { DatabaseProbe } from '../database/database.probe.js';
import { RedisProbe } from '../database/redis.probe.js';

export interface DependencyState {
  readonly ok: boolean;
  /** Why it is not reachable, one line; absent when it is. */
  readonly error?: string;
}

export interface Readiness {
  readonly status: 'ready' | 'unready';
  readonly checks: { readonly database: DependencyState; readonly redis: DependencyState };
  /** Names of the dependencies that failed, e.g. `["database"]`. */
  readonly failed: readonly ('database' | 'redis')[];
}

async function probe(check: () => Promise<void>): Promise<DependencyState> {
  try {
    await check();
    return { ok: true };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, error: message.split('\n', 1)[0] ?? 'unreachable' };
  }
}

/** Checks both dependencies concurrently; a failure of one does not hide the other's state. */
@Injectable()
export class ReadinessService {
  constructor(
    private readonly database: DatabaseProbe,
    private readonly redis: RedisProbe,
  ) {}

  async check(): Promise<Readiness> {
    const [database, redis] = await Promise.all([
      probe(() => this.database.check()),
      probe(() => this.redis.check()),
    ]);
    const failed = [
      ...(database.ok ? [] : (['database'] as const)),
      ...(redis.ok ? [] : (['redis'] as const)),
    ];
    return {
      status: failed.length === 0 ? 'ready' : 'unready',
      checks: { database, redis },
      failed,
    };
  }
}
