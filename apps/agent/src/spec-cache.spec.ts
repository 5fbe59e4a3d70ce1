import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { labNodeSpec } from '../../../libs/contracts/src/testing/lab-specs.js';
import type { AtomicFileSystem } from './atomic-file.js';
import { SPEC_CACHE_FILE, SpecCache } from './spec-cache.js';
import { tempStateDir } from './testing/agent-fixture.js';

describe('SpecCache', () => {
  let dir: ReturnType<typeof tempStateDir>;
  beforeEach(() => {
    dir = tempStateDir();
  });
  afterEach(() => dir.remove());

  it('reads nothing when no spec was ever cached', async () => {
    await expect(new SpecCache(dir.path).read()).resolves.toBeUndefined();
  });

  it('reads back exactly the spec, generation and epoch it wrote', async () => {
    const spec = labNodeSpec('filer1');
    await new SpecCache(dir.path).write({ generation: 9n, epoch: 2n, spec });
    const read = await new SpecCache(dir.path).read();
    expect(read).toStrictEqual({ generation: 9n, epoch: 2n, spec });
  });

  it('replaces the previous spec whole and leaves no temporary file behind', async () => {
    const cache = new SpecCache(dir.path);
    await cache.write({ generation: 1n, epoch: 1n, spec: labNodeSpec('filer1') });
    await cache.write({ generation: 2n, epoch: 1n, spec: labNodeSpec('filer2') });
    expect((await cache.read())?.spec.filer).toBe('filer2');
    expect(readdirSync(dir.path)).toEqual([SPEC_CACHE_FILE]);
  });

  it('keeps the old spec intact when a write fails before the rename', async () => {
    const cache = new SpecCache(dir.path);
    await cache.write({ generation: 1n, epoch: 1n, spec: labNodeSpec('filer1') });
    const before = readFileSync(cache.path, 'utf8');
    const failingRename: AtomicFileSystem = {
      ...fs,
      rename: () => Promise.reject(new Error('EIO: simulated disk error')),
    };
    await expect(
      new SpecCache(dir.path, failingRename).write({
        generation: 2n,
        epoch: 1n,
        spec: labNodeSpec('filer2'),
      }),
    ).rejects.toThrow('EIO: simulated disk error');
    expect(readFileSync(cache.path, 'utf8')).toBe(before);
    expect(readdirSync(dir.path)).toEqual([SPEC_CACHE_FILE]);
  });

  it('ignores a temporary file left by a crash during a write', async () => {
    const cache = new SpecCache(dir.path);
    await cache.write({ generation: 3n, epoch: 1n, spec: labNodeSpec('filer3') });
    writeFileSync(`${dir.path}/.${SPEC_CACHE_FILE}.12345.tmp`, '{"generation": "4", "ep');
    expect((await cache.read())?.generation).toBe(3n);
  });

  it('refuses a cache whose spec was changed after it was written', async () => {
    const cache = new SpecCache(dir.path);
    await cache.write({ generation: 3n, epoch: 1n, spec: labNodeSpec('filer3') });
    const text = readFileSync(cache.path, 'utf8').replace('"mtu": 9000', '"mtu": 1500');
    writeFileSync(cache.path, text);
    await expect(cache.read()).rejects.toThrow(
      /spec\.json is not a usable spec cache \(its spec does not match its checksum\)/,
    );
  });

  it('refuses a file that is not a spec cache', async () => {
    const cache = new SpecCache(dir.path);
    writeFileSync(cache.path, 'not json');
    await expect(cache.read()).rejects.toThrow(/is not a usable spec cache \(it is not JSON\)/);
    writeFileSync(cache.path, '{"generation":"1"}');
    await expect(cache.read()).rejects.toThrow(/it lacks generation, epoch, checksum or spec/);
  });
});
