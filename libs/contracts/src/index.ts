export { PROTO_LOADER_OPTIONS } from './proto-loader-options.js';
export {
  AGENT_PROTO_FILE,
  AGENT_SERVICE_NAME,
  HEALTH_SERVICE_NAME,
  agentGrpc,
  healthGrpc,
  loadAgentPackageDefinition,
  protoRoot,
  reflectionPackageDefinition,
} from './proto-files.js';
export { WireError, nodeSpecFromWire, nodeSpecToWire } from './node-spec.mapper.js';
export { uint64FromWire, uint64ToWire } from './uint64.js';

// The agent API's wire types (generated from proto/vsnet/agent/v1 by npm run gen:proto).
export type { AgentClient, AgentHandlers } from './generated/vsnet/agent/v1/Agent.js';
export type {
  ApplyRequest,
  ApplyRequest__Output,
} from './generated/vsnet/agent/v1/ApplyRequest.js';
export type {
  ApplyResponse,
  ApplyResponse__Output,
} from './generated/vsnet/agent/v1/ApplyResponse.js';
export type { ItemStatus, ItemStatus__Output } from './generated/vsnet/agent/v1/ItemStatus.js';
export type { ItemOutcome, ItemOutcome__Output } from './generated/vsnet/agent/v1/ItemOutcome.js';
export type { DhcpLease, DhcpLease__Output } from './generated/vsnet/agent/v1/DhcpLease.js';
export type {
  DhcpLeaseState,
  DhcpLeaseState__Output,
} from './generated/vsnet/agent/v1/DhcpLeaseState.js';
export type { Drift, Drift__Output } from './generated/vsnet/agent/v1/Drift.js';
export type {
  PlannedOperation,
  PlannedOperation__Output,
} from './generated/vsnet/agent/v1/PlannedOperation.js';
export type {
  GetStateRequest,
  GetStateRequest__Output,
} from './generated/vsnet/agent/v1/GetStateRequest.js';
export type {
  GetStateResponse,
  GetStateResponse__Output,
} from './generated/vsnet/agent/v1/GetStateResponse.js';
export type {
  ObservedLink,
  ObservedLink__Output,
} from './generated/vsnet/agent/v1/ObservedLink.js';
export type {
  ObservedAddress,
  ObservedAddress__Output,
} from './generated/vsnet/agent/v1/ObservedAddress.js';
export type {
  ObservedRoute,
  ObservedRoute__Output,
} from './generated/vsnet/agent/v1/ObservedRoute.js';
export type {
  ObservedRule,
  ObservedRule__Output,
} from './generated/vsnet/agent/v1/ObservedRule.js';
export type {
  VsvrCounters,
  VsvrCounters__Output,
} from './generated/vsnet/agent/v1/VsvrCounters.js';
export type {
  WatchRequest,
  WatchRequest__Output,
} from './generated/vsnet/agent/v1/WatchRequest.js';
export type {
  WatchResponse,
  WatchResponse__Output,
} from './generated/vsnet/agent/v1/WatchResponse.js';
export type { Heartbeat, Heartbeat__Output } from './generated/vsnet/agent/v1/Heartbeat.js';
export type { Event, Event__Output } from './generated/vsnet/agent/v1/Event.js';
export type { EventKind, EventKind__Output } from './generated/vsnet/agent/v1/EventKind.js';
export type {
  NodeSpec as NodeSpecMessage,
  NodeSpec__Output as NodeSpecMessage__Output,
} from './generated/vsnet/agent/v1/NodeSpec.js';
export type { HealthClient } from './generated/grpc/health/v1/Health.js';
export type { HealthCheckResponse__Output } from './generated/grpc/health/v1/HealthCheckResponse.js';
export type { LeadRequest, LeadRequest__Output } from './generated/vsnet/agent/v1/LeadRequest.js';
export type {
  LeadResponse,
  LeadResponse__Output,
} from './generated/vsnet/agent/v1/LeadResponse.js';
export type {
  TakeoverRequest,
  TakeoverRequest__Output,
} from './generated/vsnet/agent/v1/TakeoverRequest.js';
export type {
  TakeoverResponse,
  TakeoverResponse__Output,
} from './generated/vsnet/agent/v1/TakeoverResponse.js';
export {
  HEARTBEAT_MAGIC,
  HEARTBEAT_VERSION,
  PING_FENCE_NOW,
  PONG_FENCED,
  PONG_NO_KEY,
  decodeHeartbeat,
  encodeHeartbeat,
} from './heartbeat-wire.js';
export type { HeartbeatMessage, Ping, Pong, Received } from './heartbeat-wire.js';
export { workerScript } from './worker-script.js';
