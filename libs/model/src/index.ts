export type { Path, Severity, ProblemCode, Problem } from './problems.js';
export { formatPath } from './problems.js';
export type { Family, Cidr } from './ip.js';
export { parseIp, parseCidr, formatCidr, subnetOf, contains, overlaps } from './ip.js';
export { normalizeMac } from './mac.js';
export type { BaseKind, AliasKind, InterfaceName, NameResult } from './names.js';
export {
  BASE_KINDS,
  MAX_INTERFACE_NAME_BYTES,
  MGMT_VSVR,
  OBJECT_NAME_PATTERN,
  parseInterfaceName,
  nextFreeInstance,
} from './names.js';
export type {
  Cluster,
  Filer,
  Interface,
  InterfaceKind,
  FilerAddress,
  Vsvr,
  VsvrAddress,
  MysqlNode,
  MysqlNodeAddress,
  Site,
  Route,
  RoutingPolicy,
  BondMode,
  AddressMode,
} from './cluster.js';
export { BOND_MODES, DEFAULT_MTU } from './cluster.js';
export type { FailbackMode } from './cluster.js';
export {
  DEFAULT_FAILBACK_HOLD_DOWN_SECONDS,
  FAILBACK_MODES,
  failbackOf,
  MAX_FAILBACK_HOLD_DOWN_SECONDS,
} from './cluster.js';
export type { VsvrPlacements } from './placement.js';
export { activeFiler, activeOrder } from './placement.js';
export type {
  EffectiveRoute,
  Placement,
  AddressRow,
  NodeSpec,
  LinkSpec,
  AliasSpec,
  FilerAddressSpec,
  AliasRoutesSpec,
  VsvrSpec,
  VsvrInterfaceSpec,
  MysqlNodeSpec,
} from './spec-types.js';
export type {
  AddressDocument,
  ClusterDocument,
  FilerDocument,
  InterfaceDocument,
  RouteDocument,
  VsvrDocument,
} from './document-types.js';
export { decodeClusterDocument } from './decode.js';
export { encodeClusterDocument } from './encode.js';
export type { ClusterAnalysis } from './analyze.js';
export { analyzeCluster } from './analyze.js';
export { compileNodeSpec, compileNodeSpecs } from './node-spec.js';
export { addressTable, vsvrIdentifier, filerIdentifier, mysqlIdentifier } from './identifiers.js';
export { derivedMac, FILER_ALIAS_TABLES } from './node-spec.js';
export { API_VERSION, DOCUMENT_KIND } from './decode.js';
export type { EditRefusalKind, EditViolation } from './edits/edit-refusal.js';
export { EditRefusal, refusalKindOf } from './edits/edit-refusal.js';
export type { PlannedEdit } from './edits/planned-edit.js';
export type { AddAddressInput, AddressSelector, CreateVsvrInput } from './edits/vsvr-edits.js';
export {
  addVsvrAddress,
  createVsvr,
  deleteVsvr,
  nextFreeAddressInstance,
  removeVsvrAddress,
  setFailoverGroup,
} from './edits/vsvr-edits.js';
export {
  describeAddress,
  describeVsvr,
  findFiler,
  findVsvr,
  requireCidr,
  requireCluster,
  requireFiler,
  requireText,
  requireVsvr,
} from './edits/document-edit.js';
export type { RoutingPolicyInput } from './edits/routing-edits.js';
export {
  addVsvrRoute,
  createRoutingPolicy,
  deleteRoutingPolicy,
  removeVsvrRoute,
  setAliasRoutingPolicy,
  setDefaultRoutingPolicy,
  setVsvrRoutingPolicy,
  updateRoutingPolicy,
} from './edits/routing-edits.js';
export type {
  ResolvedPolicyRoute,
  RoutingPolicyDocument,
  RoutingPolicyUsers,
} from './edits/route-identity.js';
export {
  canonicalRoute,
  describeRoute,
  describeRoutingPolicy,
  findRoutingPolicy,
  knownPolicyName,
  requireRoutingPolicy,
  resolvedPolicyRoutes,
  routingPolicyUsers,
} from './edits/route-identity.js';
export type { SiteDocument, SiteInput } from './edits/site-edits.js';
export { createSite, deleteSite, describeSite, findSite, updateSite } from './edits/site-edits.js';
export type { ClusterSettings, InitClusterInput } from './edits/cluster-edits.js';
export { changeClusterMac, DEFAULT_CLUSTER_NAME, initCluster } from './edits/cluster-edits.js';
export type { PhysicalInterfaceInput, RegisterFilerInput } from './edits/filer-edits.js';
export { describeFiler, registerFiler } from './edits/filer-edits.js';
export type { InstanceChoice } from './edits/interface-edit-parts.js';
export { describeInterface, findInterface } from './edits/interface-edit-parts.js';
export type {
  CreateAliasInput,
  CreateBondInput,
  CreateFailoverInput,
  CreateVlanInput,
  DeleteInterfaceInput,
  FilerInterfaceResult,
} from './edits/interface-edits.js';
export {
  aliasKindOf,
  createAlias,
  createBond,
  createFailoverInterface,
  createVlan,
  deleteInterface,
} from './edits/interface-edits.js';
export type { JoinFilerInput } from './edits/join-edits.js';
export { AGENT_ADDRESS_LENGTH, joinFiler } from './edits/join-edits.js';
export type { CompileOptions, DhcpServerRenderer } from './node-spec.js';
export type { DhcpServerSpec } from './spec-types.js';
export { DHCP_MODES } from './cluster.js';
export type { DhcpMode } from './cluster.js';
