import { describe, expect, it } from '@jest/globals';
import type { ClusterDocument } from '../document-types.js';
import { clusterDoc, vsvrDoc } from '../testing/documents.js';
import { EditRefusal } from './edit-refusal.js';
import {
  addVsvrAddress,
  createVsvr,
  deleteVsvr,
  nextFreeAddressInstance,
  removeVsvrAddress,
} from './vsvr-edits.js';

function cluster(): ClusterDocument {
  return clusterDoc({
    vsvrs: [
      vsvrDoc('sales', {
        addresses: [
          { alias: 'data0', address: '198.51.100.10/24' },
          { alias: 'data0', address: '198.51.100.11/24', instance: 2 },
          { alias: 'data0', address: '2001:db8::10/64' },
        ],
      }),
    ],
  });
}

function refusal(run: () => unknown): EditRefusal {
  try {
    run();
  } catch (error) {
    if (error instanceof EditRefusal) {
      return error;
    }
    throw error;
  }
  throw new Error('the edit was not refused');
}

describe('vsvr edits', () => {
  it('numbers the next address after the instances the model gives those without one', () => {
    // 198.51.100.10 takes 0 and 2001:db8::10 takes 1 (2 is explicit), so the next free is 3.
    expect(nextFreeAddressInstance(cluster().vsvrs?.[0]?.addresses ?? [], 'data0')).toBe(3);
    expect(nextFreeAddressInstance([], 'data0')).toBe(0);
  });

  it('adds an address without changing the document it was given', () => {
    const before = cluster();
    const copy = structuredClone(before);
    const planned = addVsvrAddress(before, {
      vsvr: 'SALES',
      alias: 'data0',
      address: '198.51.100.12/24',
      instance: 'next-free',
    });
    expect(planned.result).toEqual({ alias: 'data0', address: '198.51.100.12/24', instance: 3 });
    expect(planned.target).toBe('vsvr sales');
    expect(planned.after).toContain('data0#3 198.51.100.12/24');
    expect(before).toEqual(copy);
  });

  it('refuses what it can see: taken instance, bad address, bad mode, missing vsvr or cluster', () => {
    const add = (input: Partial<Parameters<typeof addVsvrAddress>[1]>) => () =>
      addVsvrAddress(cluster(), {
        vsvr: 'sales',
        alias: 'data0',
        address: '198.51.100.12/24',
        instance: 'next-free',
        ...input,
      });
    expect(refusal(add({ instance: 2 }))).toMatchObject({
      kind: 'already-exists',
      reason: 'address.instance',
    });
    expect(refusal(add({ address: '198.51.100.12' }))).toMatchObject({ kind: 'invalid-argument' });
    expect(refusal(add({ mode: 'bootp' })).violations[0]?.field).toBe('mode');
    expect(refusal(add({ vsvr: 'nope' }))).toMatchObject({ kind: 'not-found' });
    expect(refusal(add({ instance: undefined })).violations[0]?.field).toBe('instance');
    expect(refusal(() => createVsvr(undefined, { name: 'x' }))).toMatchObject({
      kind: 'failed-precondition',
      reason: 'cluster.uninitialized',
    });
  });

  it('refuses a second vsvr whose name differs only in case, and vs_mgmt', () => {
    expect(refusal(() => createVsvr(cluster(), { name: 'Sales' })).kind).toBe('already-exists');
    expect(refusal(() => createVsvr(cluster(), { name: 'VS_MGMT' })).kind).toBe('invalid-argument');
    expect(
      refusal(() => deleteVsvr(clusterDoc({ vsvrs: [vsvrDoc('vs_mgmt', {})] }), 'vs_mgmt')).kind,
    ).toBe('failed-precondition');
  });

  it('removes by address with or without prefix (any spelling of IPv6), and by alias and instance', () => {
    const byHost = removeVsvrAddress(cluster(), 'sales', { address: '2001:DB8:0::10' });
    expect(byHost.result.address).toBe('2001:db8::10/64');
    const byInstance = removeVsvrAddress(cluster(), 'sales', { alias: 'data0', instance: 2 });
    expect(byInstance.result.address).toBe('198.51.100.11/24');
    expect(
      refusal(() => removeVsvrAddress(cluster(), 'sales', { address: '198.51.100.10/25' })).kind,
    ).toBe('not-found');
  });
});
