import type { NodeSpec } from '@vsnet/model';
import { VSVR_NAMESPACE_MARK } from './ownership.js';

/**
 * Namespace → vsvr name, for counters (keyed by vsvr name). Learnt from the specs a driver
 * plans or verifies; a namespace no spec named yet is shown by its name without the prefix
 * and mark (`vs-`), which is the vsvr name in lower case.
 */
export class VsvrNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly namespacePrefix: string) {}

  learn(spec: NodeSpec): void {
    for (const v of spec.vsvrs) {
      this.names.set(this.namespacePrefix + v.namespace, v.name);
    }
  }

  nameOf(namespace: string): string {
    return (
      this.names.get(namespace) ??
      namespace.slice(this.namespacePrefix.length + VSVR_NAMESPACE_MARK.length)
    );
  }
}
