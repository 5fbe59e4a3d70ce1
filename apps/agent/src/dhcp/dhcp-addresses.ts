import type { ItemStatus } from '@vsnet/dataplane';
import type { NodeSpec } from '@vsnet/model';
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

function familyOf(address: string): Family {
  return address.includes(':') ? 6 : 4;
}

/** The spec's filer addresses in `dhcp` mode that live in the filer namespace (mgmt#, san#). */
function dhcpAddresses(spec: NodeSpec): NodeSpec['addresses'] {
  const kind = new Map(spec.aliases.map((a) => [a.name, a.kind]));
  return spec.addresses.filter((a) => a.mode === 'dhcp' && kind.get(a.alias) !== 'data');
}

/**
 * The DHCP clients a spec needs: one per alias and family holding a `dhcp` address, sending
 * that address's identifier. (Vsvr addresses in `dhcp` mode are not requested by the agent.)
 */
export function dhcpClientsFor(spec: NodeSpec): DhcpClientRequest[] {
  return dhcpAddresses(spec).map((a) => ({
    device: a.alias,
    family: familyOf(a.address),
    identifier: a.identifier,
  }));
}

/** The bare address of a canonical comparison: `2001:db8::0011` and `2001:db8::11` are one. */
function sameIp(a: string, b: string): boolean {
  const x = parseIp(a);
  const y = parseIp(b);
  return x.ok && y.ok && x.value.family === y.value.family && x.value.value === y.value.value;
}

/**
 * Decides, for every `dhcp` address of `spec`, what the driver gets: the reserved address when
 * the lease equals it; nothing while no lease has come; and nothing, with a failed item, when
 * the server leased another address — the agent uses neither, since one of the two is wrong
 * and a person must say which. Alias routes of a family the alias then has no address of are
 * left out too: their gateways would not be reachable.
 */
export function plumbable(
  spec: NodeSpec,
  lease: (device: string, family: Family) => Lease | undefined,
): Plumbable {
  const wanted = new Set(dhcpAddresses(spec));
  if (wanted.size === 0) {
    return { spec, items: [] };
  }
  const items: DhcpItem[] = [];
  const addresses = spec.addresses.filter((a) => {
    if (!wanted.has(a)) {
      return true;
    }
    const family = familyOf(a.address);
    const item = `dhcp address ${a.address} on ${a.alias}`;
    const reserved = parseCidr(a.address);
    const got = lease(a.alias, family);
    if (got === undefined) {
      items.push({
        item,
        status: 'unchanged',
        detail: `waiting for a DHCPv${family} lease for identifier ${a.identifier}; the address is plumbed once the server leases it`,
      });
      return false;
    }
    if (!reserved.ok || !sameIp(got.ip, reserved.value.ip)) {
      items.push({
        item,
        status: 'failed',
        detail: `MISMATCH: the DHCP server leased ${got.ip} to identifier ${a.identifier}, but vsnet reserved ${a.address}; neither is plumbed: load the server with the configuration of "vsnet dhcp export" or correct the cluster document`,
      });
      return false;
    }
    items.push({ item, status: 'unchanged', detail: `leased by DHCP, as reserved` });
    return true;
  });
  const families = new Map<string, Set<Family>>();
  for (const a of addresses) {
    const set = families.get(a.alias) ?? new Set<Family>();
    set.add(familyOf(a.address));
    families.set(a.alias, set);
  }
  const dhcpAliases = new Set([...wanted].map((a) => a.alias));
  const aliasRoutes = spec.aliasRoutes.map((entry) =>
    dhcpAliases.has(entry.alias)
      ? {
          ...entry,
          routes: entry.routes.filter((r) =>
            families.get(r.alias ?? entry.alias)?.has(familyOf(r.via ?? r.to)),
          ),
        }
      : entry,
  );
  return { spec: { ...spec, addresses, aliasRoutes }, items };
}
