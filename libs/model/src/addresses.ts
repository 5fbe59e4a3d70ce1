import type { Cluster } from './cluster.js';
import type { Cidr } from './ip.js';
import { unusableHostReason } from './ip.js';
import type { FilerIndex } from './hierarchy.js';
import { carriesAddresses } from './hierarchy.js';
import type { AliasKind } from './names.js';
import { parseInterfaceName } from './names.js';
import type { Path, ProblemList } from './problems.js';
import { formatPath } from './problems.js';

interface Owned {
  readonly address: Cidr;
  readonly alias: string;
  /** Who holds it, for messages; built only when a message needs it. */
  readonly owner: () => string;
  readonly at: Path;
}

const OWNER_OF: Record<AliasKind, string> = {
  data: 'vsvrs (they fail over with them)',
  mgmt: 'filers and MySQL node roles',
  san: 'filers',
};

function baseKindOf(alias: string): string | undefined {
  const parsed = parseInterfaceName(alias);
  return parsed.ok ? parsed.value.baseKind : undefined;
}

/**
 * §5.2.3 and §5.11: addresses live only on aliases; `data#` addresses belong to vsvrs,
 * `mgmt#`/`san#` addresses to filers, MySQL node addresses to mgmt#; and no address appears
 * twice anywhere in the cluster, however it is written.
 */
export function checkAddresses(
  cluster: Cluster,
  filers: ReadonlyMap<string, FilerIndex>,
  problems: ProblemList,
): void {
  const owned: Owned[] = [];
  const kindCheck = (
    alias: string,
    at: Path,
    allowed: readonly AliasKind[],
    who: string,
  ): boolean => {
    const base = baseKindOf(alias);
    if (base === undefined || (allowed as readonly string[]).includes(base)) {
      return true;
    }
    const onAlias = base === 'data' || base === 'mgmt' || base === 'san';
    problems.error(
      onAlias ? 'address.owner' : 'address.not-on-alias',
      [...at, 'alias'],
      onAlias
        ? `${alias} addresses belong to ${OWNER_OF[base]}, not to ${who}`
        : `${alias} is not an alias; addresses live only on aliases (data#, mgmt#, san#)`,
      onAlias
        ? `put ${who}'s address on a ${allowed.map((k) => `${k}#`).join(' or ')} alias`
        : `add an alias on ${alias} (e.g. { name: ${allowed[0] ?? 'data'}0, on: ${alias} }) and put the address there`,
    );
    return false;
  };

  for (const f of cluster.filers) {
    const index = filers.get(f.name.toLowerCase());
    for (const a of f.addresses) {
      if (!kindCheck(a.alias, a.at, ['mgmt', 'san'], `filer ${f.name}`)) {
        continue;
      }
      const iface = index?.byName.get(a.alias);
      if (!iface) {
        problems.error(
          'interface.unknown',
          [...a.at, 'alias'],
          `${f.name} has no interface ${a.alias}`,
          `add ${a.alias} to ${f.name}'s interfaces`,
        );
        continue;
      }
      const owner = index?.consumedBy.get(a.alias);
      if (owner !== undefined || !carriesAddresses(iface)) {
        problems.error(
          'address.not-on-alias',
          [...a.at, 'alias'],
          `${a.alias} cannot carry an address`,
          'addresses live only on aliases',
        );
        continue;
      }
      owned.push({
        address: a.address,
        alias: a.alias,
        owner: () => `${a.alias} of filer ${f.name}`,
        at: a.at,
      });
    }
  }
  for (const v of cluster.vsvrs) {
    for (const a of v.addresses) {
      if (kindCheck(a.alias, a.at, ['data'], `vsvr ${v.name}`)) {
        owned.push({
          address: a.address,
          alias: a.alias,
          owner: () => `${a.alias} instance ${a.instance} of vsvr ${v.name}`,
          at: a.at,
        });
      }
    }
  }
  for (const n of cluster.mysqlNodes) {
    for (const a of n.addresses) {
      if (!kindCheck(a.alias, a.at, ['mgmt'], `MySQL node ${n.role}`)) {
        continue;
      }
      if (![...filers.values()].some((fi) => fi.byName.has(a.alias))) {
        problems.error(
          'interface.unknown',
          [...a.at, 'alias'],
          `no filer has ${a.alias}, so ${n.role}'s address ${a.address.ip} can run nowhere`,
          `add ${a.alias} to the filers that may run ${n.role}`,
        );
      }
      owned.push({
        address: a.address,
        alias: a.alias,
        owner: () => `${a.alias} of MySQL node ${n.role}`,
        at: a.at,
      });
    }
  }

  const seen = new Map<string, Owned>();
  for (const o of owned) {
    const unusable = unusableHostReason(o.address);
    if (unusable !== undefined) {
      problems.error(
        'address.host',
        [...o.at, 'address'],
        `${unusable}; it cannot be assigned to ${o.owner()}`,
        'choose a host address inside the subnet',
      );
    }
    // The canonical text identifies an address: one spelling per address (RFC 5952 for IPv6).
    const key = o.address.ip;
    const first = seen.get(key);
    if (first) {
      problems.error(
        'address.duplicate',
        [...o.at, 'address'],
        `${o.address.ip} is assigned twice: to ${o.owner()} and to ${first.owner()} (${formatPath([...first.at, 'address'])})`,
        'no two aliases may use the same address anywhere in the cluster: change one of them',
      );
    } else {
      seen.set(key, o);
    }
  }
}
