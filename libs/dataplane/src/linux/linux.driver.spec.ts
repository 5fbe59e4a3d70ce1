import { describe, expect, it } from '@jest/globals';
import { MemoryKernel } from '../dry-run/memory-kernel.js';
import type { DataplanePlan, ObservedState, Operation } from '../driver.js';
import { namespaceAddCommand } from '../ip-commands.js';
import { namespaceItem } from '../kernel-objects.js';
import { createLinuxDriver, type KernelIo } from './linux.driver.js';
import type { ProcessResult } from './run-process.js';
import { labNodeSpec } from '../../../contracts/src/testing/lab-specs.js';

const labSpec = labNodeSpec('filer1');

const options = { filerNamespace: '', namespacePrefix: '', timeoutMs: 1_000, reuseReadMs: 60_000 };

function addNamespace(name: string): DataplanePlan {
  const op: Operation = {
    item: namespaceItem(name),
    namespace: name,
    description: `create namespace ${name}`,
    command: namespaceAddCommand(name),
    change: { object: 'namespace', action: 'create', name },
    expected: 'present',
    actual: 'absent',
  };
  return { operations: [op] };
}

/** A kernel in memory behind the driver's io; reads can be held back until released. */
function fakeKernel() {
  const kernel = new MemoryKernel([]);
  let hold: Promise<void> | undefined;
  let reads = 0;
  const io: KernelIo = {
    readKernel: async (): Promise<ObservedState> => {
      reads++;
      const snapshot = kernel.snapshot();
      await hold;
      return snapshot;
    },
    applyOperations: (plan) => {
      plan.operations.forEach((o) => kernel.apply(o.change));
      return Promise.resolve({
        outcomes: plan.operations.map((operation) => ({ operation })),
        announceErrors: [],
      });
    },
    listVsvrNamespaces: () => Promise.resolve([]),
    runProcess: () => Promise.reject(new Error('not expected')),
  };
  const holdReads = (): (() => void) => {
    let release = (): void => undefined;
    hold = new Promise((r) => (release = r));
    return () => {
      hold = undefined;
      release();
    };
  };
  return { io, holdReads, reads: () => reads };
}

describe('linux driver (kernel io faked)', () => {
  it('keeps no view from a read that raced an apply: the next inspect reads again', async () => {
    const fake = fakeKernel();
    const driver = createLinuxDriver(options, fake.io);
    const release = fake.holdReads();
    const racing = driver.inspect(); // reads the kernel before the apply…
    await driver.apply(addNamespace('vs-a'));
    release(); // …and finishes after it
    expect((await racing).namespaces).toEqual([]);
    expect((await driver.inspect()).namespaces).toEqual(['vs-a']);
    expect(fake.reads()).toBe(2);
  });

  it('answers from its view, with the applied operations replayed, when no apply raced the read', async () => {
    const fake = fakeKernel();
    const driver = createLinuxDriver(options, fake.io);
    expect((await driver.inspect()).namespaces).toEqual([]);
    await driver.apply(addNamespace('vs-a'));
    expect((await driver.inspect()).namespaces).toEqual(['vs-a']);
    expect(fake.reads()).toBe(1);
  });

  it('verifies an apply by reading only the namespaces it touched, and everything once the view is old', async () => {
    const kernel = new MemoryKernel([]);
    const parts: string[][] = [];
    let full = 0;
    const only = (state: ObservedState, namespaces: ReadonlySet<string>): ObservedState => ({
      namespaces: state.namespaces.filter((n) => namespaces.has(n)),
      links: state.links.filter((l) => namespaces.has(l.namespace)),
      addresses: state.addresses.filter((a) => namespaces.has(a.namespace)),
      routes: state.routes.filter((r) => namespaces.has(r.namespace)),
      rules: state.rules.filter((r) => namespaces.has(r.namespace)),
    });
    const io: KernelIo = {
      ...fakeKernel().io,
      readKernel: () => {
        full++;
        return Promise.resolve({ ...kernel.snapshot(), filerLinkIndex: new Map() });
      },
      readKernelPart: (_access, namespaces) => {
        parts.push([...namespaces]);
        return Promise.resolve({
          ...only(kernel.snapshot(), namespaces),
          filerLinkIndex: new Map(),
        });
      },
      applyOperations: (plan) => {
        plan.operations.forEach((o) => kernel.apply(o.change));
        return Promise.resolve({
          outcomes: plan.operations.map((operation) => ({ operation })),
          announceErrors: [],
        });
      },
    };
    let now = 1_000_000;
    const realNow = Date.now;
    Date.now = () => now;
    try {
      const driver = createLinuxDriver({ ...options, reuseReadMs: 5_000 }, io);
      await driver.inspect();
      await driver.apply(addNamespace('vs-a'));
      await driver.apply(addNamespace('vs-b'));
      // Made outside vsnet, in a namespace no apply touched since the last full read.
      kernel.apply({ object: 'namespace', action: 'create', name: 'vs-x' });
      await driver.verify(labSpec);
      expect(parts).toEqual([['vs-a', 'vs-b']]);
      expect((await driver.inspect()).namespaces).toEqual(['vs-a', 'vs-b']);
      now += 5_000;
      await driver.verify(labSpec);
      expect(full).toBe(2);
      expect((await driver.inspect()).namespaces).toEqual(['vs-a', 'vs-b', 'vs-x']);
    } finally {
      Date.now = realNow;
    }
  });

  it('reads only the namespaces of a scoped inspect or verify, even when its view is old', async () => {
    const kernel = new MemoryKernel([]);
    kernel.apply({ object: 'namespace', action: 'create', name: 'vs-a' });
    kernel.apply({ object: 'namespace', action: 'create', name: 'vs-b' });
    const parts: string[][] = [];
    let full = 0;
    const io: KernelIo = {
      ...fakeKernel().io,
      readKernel: () => {
        full++;
        return Promise.resolve({ ...kernel.snapshot(), filerLinkIndex: new Map() });
      },
      readKernelPart: (_access, namespaces) => {
        parts.push([...namespaces]);
        const state = kernel.snapshot();
        return Promise.resolve({
          ...state,
          namespaces: state.namespaces.filter((n) => namespaces.has(n)),
          filerLinkIndex: new Map(),
        });
      },
    };
    let now = 1_000_000;
    const realNow = Date.now;
    Date.now = () => now;
    try {
      const driver = createLinuxDriver({ ...options, reuseReadMs: 5_000 }, io);
      await driver.inspect();
      const scope = new Set(['vs-a']);
      // A fresh view answers a scoped inspect without reading.
      expect((await driver.inspect(scope)).namespaces).toEqual(['vs-a']);
      now += 5_000;
      expect((await driver.inspect(scope)).namespaces).toEqual(['vs-a']);
      expect(await driver.verify({ ...labSpec, vsvrs: [], links: [], aliases: [] }, scope)).toEqual(
        [expect.objectContaining({ item: namespaceItem('vs-a'), expected: 'absent' })],
      );
      expect({ full, parts }).toEqual({ full: 1, parts: [['vs-a'], ['vs-a']] });
    } finally {
      Date.now = realNow;
    }
  });

  it('counters(): a namespace whose read failed is listed with empty counters and its error', async () => {
    const fake = fakeKernel();
    const snmp = 'Ip: Forwarding InReceives\nIp: 1 5\n';
    const io: KernelIo = {
      ...fake.io,
      listVsvrNamespaces: () => Promise.resolve(['vs-a', 'vs-b']),
      runProcess: (_file, args): Promise<ProcessResult> =>
        Promise.resolve(
          args.includes('vs-a')
            ? { code: 0, stdout: snmp, stderr: '', timedOut: false }
            : { code: 1, stdout: '', stderr: 'Cannot open network namespace\n', timedOut: false },
        ),
    };
    const counters = await createLinuxDriver(options, io).counters();
    expect(counters['a']?.ip).toEqual({ Forwarding: 1, InReceives: 5 });
    expect(counters['b']).toEqual({
      ip: {},
      tcp: {},
      udp: {},
      error: 'Cannot open network namespace',
    });
  });
});
