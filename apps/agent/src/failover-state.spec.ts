import { describe, expect, it } from '@jest/globals';
import type { NodeSpec } from '@vsnet/model';
import { labNodeSpec } from '../../../libs/contracts/src/testing/lab-specs.js';
import { FailoverState, failoverRecordFromJson, failoverRecordToJson } from './failover-state.js';

const BASE = labNodeSpec('filer1');
const MGMT = BASE.vsvrs.find((v) => v.name === 'vs_mgmt');
/** filer1's spec as where the internal DHCP server runs (in vs_mgmt). */
const SPEC: NodeSpec = {
  ...BASE,
  dhcpServer: { namespace: MGMT?.namespace ?? '', interfaces: [], kea4: '{}', kea6: '', hash: 'h' },
};

describe('FailoverState', () => {
  it('leaves the spec as it is when failover changed nothing', () => {
    expect(FailoverState.NONE.effective(SPEC)).toBe(SPEC);
    expect(FailoverState.NONE.afterApply(9n)).toBe(FailoverState.NONE);
  });

  it('runs the DHCP server only where its vsvr runs', () => {
    const gone = FailoverState.NONE.takeover([], ['vs_mgmt'], 1n).effective(SPEC);
    expect(gone.dhcpServer).toBeUndefined();
    expect(gone.vsvrs.find((v) => v.name === 'vs_mgmt')?.active).toBe(false);
    expect(FailoverState.NONE.fence(SPEC).effective(SPEC).dhcpServer).toBeUndefined();
    expect(FailoverState.NONE.takeover(['eng'], [], 1n).effective(SPEC).dhcpServer).toEqual(
      SPEC.dhcpServer,
    );
  });

  it('adds a takeover at the same generation to the one before, and starts over at a newer one', () => {
    const first = FailoverState.NONE.takeover(['eng'], [], 4n);
    expect(first.takeover([], ['sales'], 4n).activeVsvrs(SPEC)).toEqual([
      'archive',
      'eng',
      'vs_mgmt',
    ]);
    expect(first.takeover([], ['sales'], 5n).activeVsvrs(SPEC)).toEqual(['archive', 'vs_mgmt']);
  });

  it('survives its record, JSON and back', () => {
    const state = FailoverState.NONE.takeover(['eng'], ['sales'], 4n).fence(SPEC);
    const json = JSON.parse(JSON.stringify(failoverRecordToJson(state.toRecord()))) as unknown;
    const back = FailoverState.fromRecord(failoverRecordFromJson(json, (why) => new Error(why)));
    expect(back.sameAs(state)).toBe(true);
    expect(back.fenced).toBe(true);
    expect(back.afterApply(4n).activeVsvrs(SPEC)).toEqual(['archive', 'eng', 'vs_mgmt']);
  });
});
