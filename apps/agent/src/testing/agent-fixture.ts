import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataplaneDriver } from '@vsnet/dataplane';
import { createDryRunDriver } from '@vsnet/dataplane';
import { AgentEvents } from '../agent-events.js';
import type { AgentEvent } from '../agent-events.js';
import { FencingStore } from '../fencing-store.js';
import { Logger } from '../logger.js';
import { ReconcilerService } from '../reconciler.service.js';
import { SpecCache } from '../spec-cache.js';

/** A fresh state folder under the system temp folder; `remove()` deletes it. */
export function tempStateDir(): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'vsnet-agent-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface ReconcilerFixture {
  readonly reconciler: ReconcilerService;
  readonly fencing: FencingStore;
  readonly cache: SpecCache;
  readonly events: AgentEvent[];
  readonly logs: Record<string, unknown>[];
}

/** A reconciler over real state files in `stateDir` and the given (default: dry-run) driver. */
export async function reconcilerFixture(
  stateDir: string,
  filer = 'filer1',
  driver: DataplaneDriver = createDryRunDriver(),
): Promise<ReconcilerFixture> {
  const fencing = await FencingStore.open(stateDir);
  const cache = new SpecCache(fencing);
  const bus = new AgentEvents();
  const events: AgentEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const logs: Record<string, unknown>[] = [];
  const logger = new Logger((line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  const reconciler = new ReconcilerService(filer, driver, fencing, cache, bus, logger);
  return { reconciler, fencing, cache, events, logs };
}
