import { describe, expect, it } from '@jest/globals';
import type { FilerStateView } from '@vsnet/store';
import type { FilerProgress } from '../../../../libs/contracts/src/generated/vsnet/v1/FilerProgress.js';
import type { FilerProgressState__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/FilerProgressState.js';
import { changeRecord, changeState, filerProgress, filerStatus } from './change-progress.js';

function state(over: Partial<FilerStateView>): FilerStateView {
  return {
    filer: 'filer1',
    desiredGeneration: '7',
    desiredHash: 'h7',
    observedGeneration: '5',
    observedHash: 'h5',
    state: 'pending',
    error: null,
    agentAddress: '127.0.0.1:7401',
    updatedAt: new Date(1_700_000_000_000),
    ...over,
  };
}

describe('filerProgress', () => {
  it('is applied once the agent observed the generation or a later one, whatever came after', () => {
    expect(filerProgress('5', 'filer1', state({ state: 'failed', error: 'x' })).state).toBe(
      'FILER_PROGRESS_STATE_APPLIED',
    );
    expect(filerProgress('4', 'filer1', state({})).state).toBe('FILER_PROGRESS_STATE_APPLIED');
  });

  it("otherwise says what the filer's last attempt said, with its error", () => {
    expect(filerProgress('6', 'filer1', state({}))).toEqual({
      filer: 'filer1',
      state: 'FILER_PROGRESS_STATE_PENDING',
      observedGeneration: '5',
      error: '',
    });
    expect(
      filerProgress(
        '6',
        'filer1',
        state({ state: 'failed', error: 'RTNETLINK answers: File exists' }),
      ),
    ).toMatchObject({
      state: 'FILER_PROGRESS_STATE_FAILED',
      error: 'RTNETLINK answers: File exists',
    });
    expect(filerProgress('6', 'filer1', state({ state: 'unreachable' })).state).toBe(
      'FILER_PROGRESS_STATE_UNREACHABLE',
    );
  });

  it('counts a filer that has left the cluster as applied once its state is gone', () => {
    expect(filerProgress('6', 'gone', undefined).state).toBe('FILER_PROGRESS_STATE_APPLIED');
  });

  it('shows a removed filer not yet cleared as retiring, with why, and its changes pending', () => {
    const retiring = filerProgress(
      '6',
      'filer1',
      state({ state: 'retiring', desiredGeneration: '6', desiredHash: '', error: 'down' }),
    );
    expect(retiring).toMatchObject({ state: 'FILER_PROGRESS_STATE_RETIRING', error: 'down' });
    expect(changeState([retiring])).toBe('CHANGE_STATE_PENDING');
    expect(filerStatus(state({ state: 'retiring' })).state).toBe('FILER_PROGRESS_STATE_RETIRING');
  });

  it('compares generations as numbers, not text', () => {
    expect(filerProgress('10', 'filer1', state({ observedGeneration: '9' })).state).toBe(
      'FILER_PROGRESS_STATE_PENDING',
    );
  });
});

describe('changeState', () => {
  const p = (s: FilerProgressState__Output): FilerProgress => ({
    filer: 'f',
    state: s,
    observedGeneration: '0',
    error: '',
  });

  it('is applied when every filer is, and at once when the change touched none', () => {
    expect(changeState([])).toBe('CHANGE_STATE_APPLIED');
    expect(changeState([p('FILER_PROGRESS_STATE_APPLIED')])).toBe('CHANGE_STATE_APPLIED');
  });

  it('is failed when one filer failed, pending while one is unreachable or pending', () => {
    expect(
      changeState([p('FILER_PROGRESS_STATE_UNREACHABLE'), p('FILER_PROGRESS_STATE_FAILED')]),
    ).toBe('CHANGE_STATE_FAILED');
    expect(
      changeState([p('FILER_PROGRESS_STATE_APPLIED'), p('FILER_PROGRESS_STATE_UNREACHABLE')]),
    ).toBe('CHANGE_STATE_PENDING');
  });
});

describe('changeRecord and filerStatus', () => {
  it("builds a change's record from its audit row and its targets' states", () => {
    const record = changeRecord(
      {
        generation: '6',
        at: new Date(1_700_000_000_123),
        principal: 'admin',
        rpc: '/vsnet.v1.VsvrService/AddAddress',
        target: 'vsvr/sales',
        targets: ['filer1', 'filer2'],
      },
      new Map([
        ['filer1', state({ observedGeneration: '6', state: 'applied' })],
        ['filer2', state({ filer: 'filer2', state: 'unreachable', error: 'down' })],
      ]),
    );
    expect(record).toMatchObject({
      generation: '6',
      timeUnixMs: '1700000000123',
      state: 'CHANGE_STATE_PENDING',
      filers: [
        { filer: 'filer1', state: 'FILER_PROGRESS_STATE_APPLIED' },
        { filer: 'filer2', state: 'FILER_PROGRESS_STATE_UNREACHABLE', error: 'down' },
      ],
    });
  });

  it('shows a filer applied at or past the generation that last changed its spec as applied', () => {
    const at = (observedGeneration: string) =>
      filerStatus(state({ desiredGeneration: '7', observedGeneration, state: 'applied' })).state;
    expect(at('7')).toBe('FILER_PROGRESS_STATE_APPLIED');
    expect(at('9')).toBe('FILER_PROGRESS_STATE_APPLIED');
    expect(at('6')).toBe('FILER_PROGRESS_STATE_PENDING');
  });

  it('shows a filer without an agent with an empty address', () => {
    expect(filerStatus(state({ agentAddress: null, state: 'unreachable' }))).toMatchObject({
      agentAddress: '',
      state: 'FILER_PROGRESS_STATE_UNREACHABLE',
      updatedUnixMs: '1700000000000',
    });
  });
});
