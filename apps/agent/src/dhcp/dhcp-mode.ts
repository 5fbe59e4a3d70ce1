import type { NodeSpec } from '@vsnet/model';
import type { AddressLeases } from '../reconciler.service.js';
import { dhcpClientsFor, plumbable } from './dhcp-addresses.js';
import type { Plumbable } from './dhcp-addresses.js';
import type { DhcpClients } from './dhcp-clients.js';

/**
 * The `dhcp` address mode (§5.2.6, ARCHITECTURE §7): the reconciler's view of the filer's DHCP
 * clients. A spec's `dhcp` addresses get a client each; an address reaches the driver only
 * when its lease equals it, and a lease of another address is a failed item, not a fallback.
 */
export class DhcpAddressMode implements AddressLeases {
  constructor(private readonly clients: DhcpClients) {}

  plumbable(spec: NodeSpec): Plumbable {
    return plumbable(spec, (device, family) => this.clients.lease(device, family));
  }

  sync(spec: NodeSpec): Promise<void> {
    return this.clients.sync(dhcpClientsFor(spec));
  }

  onChange(listener: () => void): void {
    this.clients.onChange(listener);
  }
}
