import type {
  ApplyResponse,
  DhcpLease,
  DhcpLeaseState,
  Event,
  EventKind,
  GetStateResponse,
  Heartbeat as HeartbeatMessage,
  ItemOutcome,
  LeadResponse,
  TakeoverResponse,
  VsvrCounters as VsvrCountersMessage,
  WatchResponse,
} from '@vsnet/contracts';
import { uint64ToWire } from '@vsnet/contracts';
import type { ItemStatus, VsvrCounters } from '@vsnet/dataplane';
import type { AgentEventKind } from './agent-events.js';
import type { ApplyOutcome, TakeoverOutcome } from './apply.types.js';
import type { DhcpLeaseStatus } from './dhcp/dhcp-addresses.js';
import type { WatchMessage } from './heartbeat.js';
import type { LeadOutcome } from './leadership.service.js';
import type { AgentState } from './reconciler.service.js';

// Agent results → agent API messages: each domain object is mapped here, once (STYLE.md 8).

const ITEM_OUTCOMES: Readonly<Record<ItemStatus, ItemOutcome>> = {
  created: 'ITEM_OUTCOME_CREATED',
  changed: 'ITEM_OUTCOME_CHANGED',
  removed: 'ITEM_OUTCOME_REMOVED',
  unchanged: 'ITEM_OUTCOME_UNCHANGED',
  failed: 'ITEM_OUTCOME_FAILED',
};

const EVENT_KINDS: Readonly<Record<AgentEventKind, EventKind>> = {
  applied: 'EVENT_KIND_APPLIED',
  'apply-failed': 'EVENT_KIND_APPLY_FAILED',
  'cache-restored': 'EVENT_KIND_CACHE_RESTORED',
};

function itemsToWire(items: ApplyOutcome['items']): ApplyResponse['items'] {
  return items.map((i) => ({
    item: i.item,
    status: ITEM_OUTCOMES[i.status],
    ...(i.detail === undefined ? {} : { detail: i.detail }),
  }));
}

export function applyResponseToWire(outcome: ApplyOutcome): ApplyResponse {
  return {
    changed: outcome.changed,
    generation: uint64ToWire(outcome.generation),
    items: itemsToWire(outcome.items),
    drift: outcome.drift.map((d) => ({ item: d.item, expected: d.expected, actual: d.actual })),
    plan: outcome.plan.operations.map((o) => ({
      item: o.item,
      namespace: o.namespace,
      description: o.description,
    })),
  };
}

export function leadResponseToWire(outcome: LeadOutcome): LeadResponse {
  const { status } = outcome;
  return {
    filer: status.filer,
    generation: uint64ToWire(status.generation),
    specHash: status.specHash,
    fenced: status.fenced,
    activeVsvrs: [...status.activeVsvrs],
    heartbeatPort: outcome.heartbeatPort,
  };
}

export function takeoverResponseToWire(outcome: TakeoverOutcome): TakeoverResponse {
  return {
    plumbedMs: outcome.plumbedMs,
    announcedMs: outcome.announcedMs,
    items: itemsToWire(outcome.items),
    activeVsvrs: [...outcome.activeVsvrs],
  };
}

function countersToWire(c: VsvrCounters): VsvrCountersMessage {
  const each = (m: Readonly<Record<string, number>>): Record<string, string> =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, uint64ToWire(v)]));
  return { ip: each(c.ip), tcp: each(c.tcp), udp: each(c.udp) };
}

const LEASE_STATES: Readonly<Record<DhcpLeaseStatus['state'], DhcpLeaseState>> = {
  waiting: 'DHCP_LEASE_STATE_WAITING',
  bound: 'DHCP_LEASE_STATE_BOUND',
  mismatch: 'DHCP_LEASE_STATE_MISMATCH',
};

function leaseToWire(s: DhcpLeaseStatus): DhcpLease {
  return {
    vsvr: s.vsvr ?? '',
    alias: s.alias,
    family: s.family,
    identifier: s.identifier,
    reservedAddress: s.reserved,
    leasedAddress: s.lease?.ip ?? '',
    state: LEASE_STATES[s.state],
    server: s.lease?.server ?? '',
    expiresUnixMs: uint64ToWire(s.lease?.expiresUnixMs ?? 0),
  };
}

export function stateToWire(state: AgentState): GetStateResponse {
  const { observed } = state;
  return {
    filer: state.filer,
    driver: state.driver,
    namespaces: [...observed.namespaces],
    links: observed.links.map((l) => ({ ...l })),
    addresses: observed.addresses.map((a) => ({ ...a })),
    routes: observed.routes.map((r) => ({ ...r })),
    rules: observed.rules.map((r) => ({ ...r })),
    counters: Object.fromEntries(
      Object.entries(state.counters).map(([vsvr, c]) => [vsvr, countersToWire(c)]),
    ),
    generation: uint64ToWire(state.generation),
    specHash: state.specHash,
    epoch: uint64ToWire(state.epoch),
    restoredFromCache: state.restoredFromCache,
    dhcpLeases: state.dhcpLeases.map(leaseToWire),
    fenced: state.fenced,
    activeVsvrs: [...state.runningVsvrs],
  };
}

export function watchMessageToWire(message: WatchMessage): WatchResponse {
  switch (message.kind) {
    case 'heartbeat': {
      const h = message.heartbeat;
      const heartbeat: HeartbeatMessage = {
        filer: h.filer,
        generation: uint64ToWire(h.generation),
        epoch: uint64ToWire(h.epoch),
        monotonicMs: h.monotonicMs,
        seq: uint64ToWire(h.seq),
      };
      return { heartbeat };
    }
    case 'event': {
      const e = message.event;
      const event: Event = {
        kind: EVENT_KINDS[e.kind],
        generation: uint64ToWire(e.generation),
        specHash: e.specHash,
        message: e.message,
        timeUnixMs: uint64ToWire(e.at.getTime()),
      };
      return { event };
    }
  }
}
