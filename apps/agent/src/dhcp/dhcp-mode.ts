import type { NodeSpec } from '@vsnet/model';
import type { AddressLeases } from '../converger.js';
import {
  dhcpClientsFor,
  dhcpLeaseStatuses,
  plumbable,
  vsvrDhcpClientsFor,
} from './dhcp-addresses.js';
import type { DhcpLeaseStatus, LeaseOf, Plumbable } from './dhcp-addresses.js';
import type { DhcpClients } from './dhcp-clients.js';

/**
 * The `dhcp` address mode (§5.2.6, ARCHITECTURE §7): the reconciler's view of the node's DHCP
 * clients — those of the filer namespace, and one set per active vsvr namespace for the vsvr's
 * `dhcp` addresses. A spec's `dhcp` addresses get a client each; an address reaches the driver
 * only when its lease equals it, and a lease of another address is a failed item, not a
 * fallback.
 */
export class DhcpAddressMode implements AddressLeases {
  /** The clients of each vsvr namespace (as the spec names it) that has `dhcp` addresses. */
  private readonly vsvrClients = new Map<string, DhcpClients>();
  private readonly listeners: (() => void)[] = [];
  /** The spec whose clients run now (the last one synced). */
  private spec: NodeSpec | undefined;

  /**
   * @param clients the filer namespace's clients
   * @param clientsIn makes the clients of a vsvr namespace (named as the spec names it)
   */
  constructor(
    private readonly clients: DhcpClients,
    private readonly clientsIn: (vsvrNamespace: string) => DhcpClients,
  ) {}

  plumbable(spec: NodeSpec): Plumbable {
    return plumbable(spec, this.leaseOf(spec));
  }

  async sync(spec: NodeSpec): Promise<void> {
    this.spec = spec;
    await this.clients.sync(dhcpClientsFor(spec));
    const wanted = vsvrDhcpClientsFor(spec);
    for (const [namespace, clients] of [...this.vsvrClients]) {
      if (!wanted.has(namespace)) {
        this.vsvrClients.delete(namespace);
        await clients.close();
      }
    }
    for (const [namespace, requests] of wanted) {
      let clients = this.vsvrClients.get(namespace);
      if (clients === undefined) {
        clients = this.clientsIn(namespace);
        this.listeners.forEach((l) => clients?.onChange(l));
        this.vsvrClients.set(namespace, clients);
      }
      await clients.sync(requests);
    }
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
    this.clients.onChange(listener);
    this.vsvrClients.forEach((c) => c.onChange(listener));
  }

  /** Every `dhcp` address of the running spec and where its lease stands. */
  leases(): DhcpLeaseStatus[] {
    return this.spec === undefined ? [] : dhcpLeaseStatuses(this.spec, this.leaseOf(this.spec));
  }

  /** Ends every DHCP client, the vsvrs' and the filer's, by pid. */
  async close(): Promise<void> {
    const all = [...this.vsvrClients.values(), this.clients];
    this.vsvrClients.clear();
    await Promise.all(all.map((c) => c.close()));
  }

  private leaseOf(spec: NodeSpec): LeaseOf {
    const namespaceOf = new Map(spec.vsvrs.map((v) => [v.name, v.namespace]));
    return (device, family, vsvr) => {
      if (vsvr === undefined) {
        return this.clients.lease(device, family);
      }
      const namespace = namespaceOf.get(vsvr);
      return namespace === undefined
        ? undefined
        : this.vsvrClients.get(namespace)?.lease(device, family);
    };
  }
}
