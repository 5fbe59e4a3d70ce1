import type { ItemStatus } from '@vsnet/dataplane';
import type { EffectiveRoute, NodeSpec, VsvrSpec } from '@vsnet/model';
import { parseCidr, parseIp } from '@vsnet/model';
import type { DhcpClientRequest } from './dhclient-config.js';
import type { Lease } from './lease-report.js';

/** What the agent says about one `dhcp` address, as an item of the apply's report. */
export interface DhcpItem {
  readonly item: string;
  readonly status: ItemStatus;
  readonly detail: string;
}

/** What to plumb: the spec with each `dhcp` address kept only when its lease equals it. */
export interface Plumbable {
  readonly spec: NodeSpec;
  readonly items: readonly DhcpItem[];
}

type Family = 4 | 6;

/** The lease a client holds: by device and family, in the filer namespace or a vsvr's. */
export type LeaseOf = (device: string, family: Family, vsvr?: string) => Lease | undefined;

/** Where one `dhcp` address stands: no lease yet, leased as reserved, or leased otherwise. */
export interface DhcpLeaseStatus {
  /** The vsvr whose address it is; undefined for the filer's own. */
  readonly vsvr?: string;
  readonly alias: string;
  readonly family: Family;
  readonly identifier: string;
  /** `ip/prefix` as the spec gives it. */
  readonly reserved: string;
  readonly state: 'waiting' | 'bound' | 'mismatch';
  /** The lease, once the client has one. */
  readonly lease?: Lease;
}

interface DhcpAddress {
  readonly vsvr?: string;
  readonly alias: string;
  readonly address: string;
  readonly identifier: string;
}

function familyOf(address: string): Family {
  return address.includes(':') ? 6 : 4;
}

/** The spec's filer addresses in `dhcp` mode that live in the filer namespace (mgmt#, san#). */
function filerDhcpAddresses(spec: NodeSpec): NodeSpec['addresses'] {
  const kind = new Map(spec.aliases.map((a) => [a.name, a.kind]));
  return spec.addresses.filter((a) => a.mode === 'dhcp' && kind.get(a.alias) !== 'data');
}

/**
 * A vsvr's addresses in `dhcp` mode on this filer: only where it is active, since a standby
 * copy has its links down and plumbs no address (dataplane desired-state.ts).
 */
function vsvrDhcpAddresses(v: VsvrSpec): VsvrSpec['addresses'] {
  return v.active ? v.addresses.filter((a) => a.mode === 'dhcp') : [];
}

function request(a: DhcpAddress): DhcpClientRequest {
  return { device: a.alias, family: familyOf(a.address), identifier: a.identifier };
}

/**
 * The DHCP clients a spec needs in the filer namespace: one per alias and family holding a
 * `dhcp` address, sending that address's identifier.
 */
export function dhcpClientsFor(spec: NodeSpec): DhcpClientRequest[] {
  return filerDhcpAddresses(spec).map(request);
}

/**
 * The DHCP clients a spec needs in its vsvrs' namespaces, by vsvr namespace (as the spec
 * names it, without the agent's prefix): one per data alias and family of an active vsvr.
 */
export function vsvrDhcpClientsFor(spec: NodeSpec): Map<string, DhcpClientRequest[]> {
  const byNamespace = new Map<string, DhcpClientRequest[]>();
  for (const v of spec.vsvrs) {
    const wanted = vsvrDhcpAddresses(v).map(request);
    if (wanted.length > 0) {
      byNamespace.set(v.namespace, wanted);
    }
  }
  return byNamespace;
}

/** The bare address of a canonical comparison: `2001:db8::0011` and `2001:db8::11` are one. */
function sameIp(a: string, b: string): boolean {
  const x = parseIp(a);
  const y = parseIp(b);
  return x.ok && y.ok && x.value.family === y.value.family && x.value.value === y.value.value;
}

function statusOf(a: DhcpAddress, lease: LeaseOf): DhcpLeaseStatus {
  const family = familyOf(a.address);
  const got = lease(a.alias, family, a.vsvr);
  const reserved = parseCidr(a.address);
  const state =
    got === undefined
      ? 'waiting'
      : reserved.ok && sameIp(got.ip, reserved.value.ip)
        ? 'bound'
        : 'mismatch';
  return {
    ...(a.vsvr !== undefined ? { vsvr: a.vsvr } : {}),
    alias: a.alias,
    family,
    identifier: a.identifier,
    reserved: a.address,
    state,
    ...(got !== undefined ? { lease: got } : {}),
  };
}

/** Every `dhcp` address of `spec` (the filer's, then its active vsvrs') and its lease's state. */
export function dhcpLeaseStatuses(spec: NodeSpec, lease: LeaseOf): DhcpLeaseStatus[] {
  return [
    ...filerDhcpAddresses(spec).map((a) => statusOf(a, lease)),
    ...spec.vsvrs.flatMap((v) =>
      vsvrDhcpAddresses(v).map((a) => statusOf({ ...a, vsvr: v.name }, lease)),
    ),
  ];
}

/** The report item of one `dhcp` address's status. */
function itemOf(s: DhcpLeaseStatus): DhcpItem {
  const where = s.vsvr !== undefined ? ` in vsvr ${s.vsvr}` : '';
  const item = `dhcp address ${s.reserved} on ${s.alias}${where}`;
  switch (s.state) {
    case 'waiting':
      return {
        item,
        status: 'unchanged',
        detail: `waiting for a DHCPv${s.family} lease for identifier ${s.identifier}; the address is plumbed once the server leases it`,
      };
    case 'mismatch':
      return {
        item,
        status: 'failed',
        detail: `MISMATCH: the DHCP server leased ${s.lease?.ip ?? ''} to identifier ${s.identifier}, but vsnet reserved ${s.reserved}; neither is plumbed: load the server with the configuration of "vsnet dhcp export" or correct the cluster document`,
      };
    case 'bound':
      return { item, status: 'unchanged', detail: `leased by DHCP, as reserved` };
  }
}

/** Whether a route's gateway (or, without one, its destination) is of a family in `families`. */
function routeUsable(r: EffectiveRoute, families: ReadonlySet<Family> | undefined): boolean {
  return families?.has(familyOf(r.via ?? r.to)) === true;
}

function familiesByAlias(addresses: readonly { alias: string; address: string }[]) {
  const families = new Map<string, Set<Family>>();
  for (const a of addresses) {
    const set = families.get(a.alias) ?? new Set<Family>();
    set.add(familyOf(a.address));
    families.set(a.alias, set);
  }
  return families;
}

/**
 * Decides, for every `dhcp` address of `spec`, what the driver gets: the reserved address when
 * the lease equals it; nothing while no lease has come; and nothing, with a failed item, when
 * the server leased another address — the agent uses neither, since one of the two is wrong
 * and a person must say which. Routes of a family the alias (for a vsvr route without an
 * alias: the vsvr) then has no address of are left out too: their gateways would not be
 * reachable.
 */
export function plumbable(spec: NodeSpec, lease: LeaseOf): Plumbable {
  const statuses = dhcpLeaseStatuses(spec, lease);
  if (statuses.length === 0) {
    return { spec, items: [] };
  }
  const items = statuses.map(itemOf);
  const left = new Set(
    statuses
      .filter((s) => s.state !== 'bound')
      .map((s) => `${s.vsvr ?? ''} ${s.alias} ${s.reserved}`),
  );
  const kept = (vsvr: string | undefined, a: { alias: string; address: string; mode: string }) =>
    a.mode !== 'dhcp' || !left.has(`${vsvr ?? ''} ${a.alias} ${a.address}`);

  const addresses = spec.addresses.filter((a) => kept(undefined, a));
  const families = familiesByAlias(addresses);
  const dhcpAliases = new Set(statuses.filter((s) => s.vsvr === undefined).map((s) => s.alias));
  const aliasRoutes = spec.aliasRoutes.map((entry) =>
    dhcpAliases.has(entry.alias)
      ? {
          ...entry,
          routes: entry.routes.filter((r) => routeUsable(r, families.get(r.alias ?? entry.alias))),
        }
      : entry,
  );
  const dhcpVsvrs = new Set(statuses.flatMap((s) => (s.vsvr !== undefined ? [s.vsvr] : [])));
  const vsvrs = spec.vsvrs.map((v) => {
    if (!dhcpVsvrs.has(v.name)) {
      return v;
    }
    const vAddresses = v.addresses.filter((a) => kept(v.name, a));
    const byAlias = familiesByAlias(vAddresses);
    const all = new Set(vAddresses.map((a) => familyOf(a.address)));
    return {
      ...v,
      addresses: vAddresses,
      routes: v.routes.filter((r) =>
        routeUsable(r, r.alias !== undefined ? byAlias.get(r.alias) : all),
      ),
    };
  });
  return { spec: { ...spec, addresses, aliasRoutes, vsvrs }, items };
}
