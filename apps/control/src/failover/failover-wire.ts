import type { FailoverEventView, FilerHealthState, PlacementView } from '@vsnet/store';
import type { Failover } from '../../../../libs/contracts/src/generated/vsnet/v1/Failover.js';
import type { FailoverKind } from '../../../../libs/contracts/src/generated/vsnet/v1/FailoverKind.js';
import type { FilerHealth } from '../../../../libs/contracts/src/generated/vsnet/v1/FilerHealth.js';
import type { FilerHealthState as WireHealthState } from '../../../../libs/contracts/src/generated/vsnet/v1/FilerHealthState.js';
import type { HeartbeatSettings } from '../../../../libs/contracts/src/generated/vsnet/v1/HeartbeatSettings.js';
import type { PlacementReason } from '../../../../libs/contracts/src/generated/vsnet/v1/PlacementReason.js';
import type { VsvrPlacement } from '../../../../libs/contracts/src/generated/vsnet/v1/VsvrPlacement.js';
import type { ControlConfig } from '../config/control-config.js';

// FailoverService's answers, mapped once from the store's and the leader's views.

const HEALTH: Readonly<Record<FilerHealthState, WireHealthState>> = {
  up: 'FILER_HEALTH_STATE_UP',
  'agent-down': 'FILER_HEALTH_STATE_AGENT_DOWN',
  down: 'FILER_HEALTH_STATE_DOWN',
  recovering: 'FILER_HEALTH_STATE_RECOVERING',
  unknown: 'FILER_HEALTH_STATE_UNKNOWN',
};

const REASON: Readonly<Record<PlacementView['reason'], PlacementReason>> = {
  home: 'PLACEMENT_REASON_HOME',
  failover: 'PLACEMENT_REASON_FAILOVER',
  move: 'PLACEMENT_REASON_MOVE',
};

const KIND: Readonly<Record<FailoverEventView['kind'], FailoverKind>> = {
  'filer-lost': 'FAILOVER_KIND_FILER_LOST',
  move: 'FAILOVER_KIND_MOVE',
  revert: 'FAILOVER_KIND_REVERT',
};

export function filerHealthToWire(h: {
  readonly filer: string;
  readonly state: FilerHealthState;
  readonly sinceUnixMs: number;
  readonly generation: string;
  readonly fenced: boolean;
}): FilerHealth {
  return {
    filer: h.filer,
    state: HEALTH[h.state],
    sinceUnixMs: String(Math.round(h.sinceUnixMs)),
    generation: h.generation,
    fenced: h.fenced,
  };
}

export function placementToWire(v: PlacementView): VsvrPlacement {
  return {
    vsvr: v.vsvr,
    filer: v.filer,
    home: v.home,
    reason: REASON[v.reason],
    sinceUnixMs: String(v.sinceUnixMs),
    failback: v.failback,
    failbackHoldDownSeconds: v.failbackHoldDownSeconds,
  };
}

export function failoverToWire(e: FailoverEventView): Failover {
  return {
    id: e.id,
    kind: KIND[e.kind],
    filer: e.filer,
    epoch: e.epoch,
    detectedUnixMs: String(e.detectedUnixMs),
    detectionMs: e.detectionMs,
    generation: e.generation,
    moves: e.moves.map((m) => ({ ...m })),
    principal: e.principal,
  };
}

export function heartbeatSettingsToWire(config: ControlConfig): HeartbeatSettings {
  const f = config.failover;
  return {
    profile: f.profile,
    intervalMs: f.heartbeatIntervalMs,
    misses: f.heartbeatMisses,
    kernelProbeTimeoutMs: f.kernelProbeTimeoutMs,
    upHoldMs: f.filerUpHoldMs,
    leaseMs: config.pipeline.leaderLeaseMs,
    fenceAfterMs: f.fenceAfterMs,
  };
}
