/** A location inside a cluster document (or an API request): keys and list indexes. */
export type Path = readonly (string | number)[];

export type Severity = 'error' | 'warning';

/**
 * Every rule the model enforces has a code, so callers (the CLI, the gRPC API) can map a
 * problem to an exit status or a wire status without parsing messages.
 */
export type ProblemCode =
  | 'document.shape'
  | 'document.unknown-field'
  | 'name.invalid'
  | 'name.duplicate'
  | 'name.reserved'
  | 'mac.invalid'
  | 'mac.duplicate'
  | 'interface.unknown'
  | 'interface.kind'
  | 'interface.members'
  | 'interface.consumed'
  | 'interface.cycle'
  | 'interface.mtu'
  | 'interface.vlan'
  | 'address.invalid'
  | 'address.not-on-alias'
  | 'address.owner'
  | 'address.duplicate'
  | 'address.instance'
  | 'address.host'
  | 'vsvr.failover-group'
  | 'vsvr.no-placement'
  | 'vsvr.mgmt-reach'
  | 'routing.unknown-policy'
  | 'routing.cycle'
  | 'routing.conflict'
  | 'routing.gateway'
  | 'routing.invalid'
  | 'site.overlap'
  | 'site.invalid'
  | 'dhcp.identifier'
  | 'dhcp.no-server';

/** One thing wrong with a cluster: where, what, and how to fix it. */
export interface Problem {
  readonly severity: Severity;
  readonly code: ProblemCode;
  readonly path: Path;
  readonly message: string;
  readonly hint: string;
}

/** Renders a path the way a person reads it: `vsvrs[2].addresses[0].address`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') {
      out += `[${part}]`;
    } else {
      out += out === '' ? part : `.${part}`;
    }
  }
  return out === '' ? '(document)' : out;
}

/** Collects problems; the rules below push into one of these. */
export class ProblemList {
  readonly items: Problem[] = [];

  error(code: ProblemCode, path: Path, message: string, hint: string): void {
    this.items.push({ severity: 'error', code, path, message, hint });
  }

  warning(code: ProblemCode, path: Path, message: string, hint: string): void {
    this.items.push({ severity: 'warning', code, path, message, hint });
  }

  get errorCount(): number {
    return this.items.filter((p) => p.severity === 'error').length;
  }
}
