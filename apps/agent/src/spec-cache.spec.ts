import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { labNodeSpec } from '../../../libs/contracts/src/testing/lab-specs.js';
import type { AtomicFileSystem } from './atomic-file.js';
import { AGENT_STATE_FILE, FENCING_FILE, FencingStore } from './fencing-store.js';
import { SPEC_CACHE_FILE, SpecCache } from './spec-cache.js';
import { tempStateDir } from './testing/agent-fixture.js';

describe('SpecCache', () => {
  let dir: ReturnType<typeof tempStateDir>;
  beforeEach(() => {
    dir = tempStateDir();
  });
  afterEach(() => dir.remove());

  async function reopened(): Promise<SpecCache> {
    return new SpecCache(await FencingStore.open(dir.path));
  }

  it('reads nothing when no spec was ever cached', async () => {
    await expect((await reopened()).read()).resolves.toBeUndefined();
  });

  it('reads back exactly the spec, generation and epoch an apply recorded', async () => {
    const spec = labNodeSpec('filer1');
    await (await FencingStore.open(dir.path)).recordApplied({ generation: 9n, epoch: 2n, spec });
    await expect((await reopened()).read()).resolves.toStrictEqual({
      generation: 9n,
      epoch: 2n,
      spec,
    });
  });

  it('records an apply in one durable write, leaving one file and no temporary file', async () => {
    let writes = 0;
    let syncs = 0;
    const counting: AtomicFileSystem = {
      ...fs,
      open: async (path, flags, mode) => {
        writes += flags === 'w' ? 1 : 0;
        const handle = await fs.open(path, flags, mode);
        const sync = handle.sync.bind(handle);
        handle.sync = () => {
          syncs++;
          return sync();
        };
        return handle;
      },
    };
    const store = await FencingStore.open(dir.path, counting);
    await store.recordApplied({ generation: 1n, epoch: 1n, spec: labNodeSpec('filer1') });
    await store.recordApplied({ generation: 2n, epoch: 1n, spec: labNodeSpec('filer2') });
    expect({ writes, syncs }).toEqual({ writes: 2, syncs: 4 });
    expect((await (await reopened()).read())?.spec.filer).toBe('filer2');
    expect(readdirSync(dir.path)).toEqual([AGENT_STATE_FILE]);
  });

  it('keeps the old spec and fencing intact when a write fails before the rename', async () => {
    const store = await FencingStore.open(dir.path);
    await store.recordApplied({ generation: 1n, epoch: 1n, spec: labNodeSpec('filer1') });
    const before = readFileSync(store.path, 'utf8');
    const failingRename: AtomicFileSystem = {
      ...fs,
      rename: () => Promise.reject(new Error('EIO: simulated disk error')),
    };
    const failing = await FencingStore.open(dir.path, failingRename);
    await expect(
      failing.recordApplied({ generation: 2n, epoch: 1n, spec: labNodeSpec('filer2') }),
    ).rejects.toThrow('EIO: simulated disk error');
    expect(failing.state.lastGeneration).toBe(1n);
    expect(readFileSync(store.path, 'utf8')).toBe(before);
    expect(readdirSync(dir.path)).toEqual([AGENT_STATE_FILE]);
  });

  it('ignores a temporary file left by a crash during a write', async () => {
    const store = await FencingStore.open(dir.path);
    await store.recordApplied({ generation: 3n, epoch: 1n, spec: labNodeSpec('filer3') });
    writeFileSync(join(dir.path, `.${AGENT_STATE_FILE}.12345.tmp`), '{"version": 2, "hi');
    expect((await (await reopened()).read())?.generation).toBe(3n);
  });

  it('refuses to start from a record whose spec was changed after it was written', async () => {
    const store = await FencingStore.open(dir.path);
    await store.recordApplied({ generation: 3n, epoch: 1n, spec: labNodeSpec('filer3') });
    const text = readFileSync(store.path, 'utf8').replace('"mtu": 9000', '"mtu": 1500');
    writeFileSync(store.path, text);
    await expect(FencingStore.open(dir.path)).rejects.toThrow(
      /agent-state\.json is not an agent state written by vsnet-agent \(its spec does not match its checksum\)/,
    );
  });

  describe('migration from version 1', () => {
    const legacySpec = (generation: number, filer: string): string =>
      JSON.stringify({
        version: 1,
        generation: String(generation),
        epoch: '2',
        checksum: '',
        spec: labNodeSpec(filer),
      });

    it('moves fencing.json and spec.json into the record, then removes them', async () => {
      // A cache written by version 1 with a right checksum: record one, then split it up.
      const spec = labNodeSpec('filer1');
      const seed = await FencingStore.open(dir.path);
      await seed.recordApplied({ generation: 5n, epoch: 2n, spec });
      const record = JSON.parse(readFileSync(seed.path, 'utf8')) as { cached: object };
      await fs.rm(seed.path);
      writeFileSync(
        join(dir.path, SPEC_CACHE_FILE),
        JSON.stringify({ version: 1, ...record.cached }),
      );
      writeFileSync(
        join(dir.path, FENCING_FILE),
        JSON.stringify({ version: 1, highestEpoch: '4', lastGeneration: '4', specHash: 'x' }),
      );

      const store = await FencingStore.open(dir.path);
      expect(store.state).toEqual({ highestEpoch: 4n, lastGeneration: 4n, specHash: 'x' });
      expect(store.cached).toStrictEqual({ generation: 5n, epoch: 2n, spec });
      expect(readdirSync(dir.path)).toEqual([AGENT_STATE_FILE]);
      const again = await FencingStore.open(dir.path);
      expect(again.state).toEqual(store.state);
      expect(again.cached).toStrictEqual(store.cached);
    });

    it('refuses to start from a damaged spec.json, and keeps it', async () => {
      writeFileSync(join(dir.path, SPEC_CACHE_FILE), legacySpec(3, 'filer1'));
      await expect(FencingStore.open(dir.path)).rejects.toThrow(
        /spec\.json is not a usable spec cache \(its spec does not match its checksum\); remove it/,
      );
      writeFileSync(join(dir.path, SPEC_CACHE_FILE), 'not json');
      await expect(FencingStore.open(dir.path)).rejects.toThrow(
        /is not a usable spec cache \(it is not JSON\)/,
      );
      expect(readdirSync(dir.path)).toEqual([SPEC_CACHE_FILE]);
    });
  });
});
