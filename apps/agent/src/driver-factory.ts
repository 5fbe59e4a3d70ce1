import type { DataplaneDriver } from '@vsnet/dataplane';
import { createDryRunDriver, createLinuxDriver } from '@vsnet/dataplane';
import type { AgentConfig } from './config.js';

/** The driver VSNET_AGENT_DRIVER names, built from the agent's configuration. */
export function createDriver(config: AgentConfig): DataplaneDriver {
  switch (config.driver) {
    case 'dry-run':
      return createDryRunDriver({ namespacePrefix: config.namespacePrefix });
    case 'linux':
      return createLinuxDriver({
        filerNamespace: config.filerNamespace,
        namespacePrefix: config.namespacePrefix,
        timeoutMs: config.commandTimeoutMs,
      });
  }
}
