import { describe, expect, it } from '@jest/globals';
import type { NodeSpec } from '@vsnet/model';
import { TAKEOVER_HOLD_MS, TakeoverGate } from './takeover-gate.js';

function spec(filer: string, vsvrs: Record<string, boolean>): NodeSpec {
  return {
    filer,
    vsvrs: Object.entries(vsvrs).map(([name, active]) => ({ name, active })),
  } as unknown as NodeSpec;
}

describe('TakeoverGate', () => {
  it('holds back specs that would undo a takeover until its placement is committed', () => {
    let now = 0;
    const gate = new TakeoverGate(() => now);
    gate.took('filer1', { deactivate: ['vs_mgmt'] });
    gate.took('filer2', { activate: ['vs_mgmt'] });
    // Compiled from the old placement: vs_mgmt on filer1.
    expect(gate.conflict('filer1', spec('filer1', { vs_mgmt: true, sales: true }))).toMatch(
      /vs_mgmt was just withdrawn from filer1/,
    );
    expect(gate.conflict('Filer2', spec('filer2', { vs_mgmt: false }))).toMatch(
      /vs_mgmt was just taken over by Filer2/,
    );
    // Specs that agree, and filers and vsvrs the takeover did not touch, go through.
    expect(gate.conflict('filer2', spec('filer2', { vs_mgmt: true }))).toBeUndefined();
    expect(gate.conflict('filer3', spec('filer3', { vs_mgmt: false }))).toBeUndefined();
    expect(gate.conflict('filer1', spec('filer1', { sales: true }))).toBeUndefined();
    gate.settled(['VS_MGMT']);
    expect(gate.conflict('filer1', spec('filer1', { vs_mgmt: true }))).toBeUndefined();

    gate.took('filer2', { activate: ['web'] });
    now += TAKEOVER_HOLD_MS;
    expect(gate.conflict('filer2', spec('filer2', { web: false }))).toBeUndefined();
  });
});
