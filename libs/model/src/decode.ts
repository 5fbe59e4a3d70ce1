import {
  DEFAULT_FAILBACK_HOLD_DOWN_SECONDS,
  DHCP_MODES,
  FAILBACK_MODES,
  MAX_FAILBACK_HOLD_DOWN_SECONDS,
} from './cluster.js';
import type {
  Cluster,
  DhcpMode,
  FailbackMode,
  Filer,
  FilerAddress,
  Interface,
  MysqlNode,
  MysqlNodeAddress,
  Route,
  RoutingPolicy,
  Site,
  Vsvr,
  VsvrAddress,
} from './cluster.js';
import { DocumentReader } from './decode-reader.js';
import {
  decodeInterface,
  decodeRoute,
  readCidr,
  readInterfaceName,
  readMac,
  readMode,
  readSubnet,
} from './decode-parts.js';
import type { Problem, Path } from './problems.js';
import { ProblemList } from './problems.js';

export const API_VERSION = 'vsnet/v1';
export const DOCUMENT_KIND = 'Cluster';

export interface DecodeResult {
  /** Best effort: elements with problems are left out, so analysis can still run. */
  readonly cluster: Cluster;
  readonly problems: Problem[];
}

/**
 * Turns a parsed cluster document (YAML or JSON data) into the domain model, reporting every
 * structural problem with its path. Interface names come out lower case and addresses canonical;
 * filer, vsvr and role names keep their case, as the DHCP identifiers of §5.2.6.3 print them.
 */
export function decodeClusterDocument(doc: unknown): DecodeResult {
  const problems = new ProblemList();
  const r = new DocumentReader(problems);
  const root = r.object(doc, [], 'the cluster document');
  if (!root) {
    // Nothing else can be read; one problem says so instead of one per missing field.
    return { cluster: emptyCluster(), problems: problems.items };
  }
  r.keys(
    root,
    ['apiVersion', 'kind', 'cluster', 'filers', 'vsvrs', 'mysqlNodes', 'sites', 'routingPolicies'],
    [],
    'the cluster document',
  );
  const apiVersion = r.string(root, 'apiVersion', [], false);
  if (apiVersion === undefined) {
    problems.error(
      'document.shape',
      ['apiVersion'],
      '"apiVersion" is missing',
      `add apiVersion: ${API_VERSION}`,
    );
  }
  if (apiVersion !== undefined && apiVersion !== API_VERSION) {
    problems.error(
      'document.shape',
      ['apiVersion'],
      `apiVersion "${apiVersion}" is not one this vsnet reads`,
      `write apiVersion: ${API_VERSION}`,
    );
  }
  const kind = r.string(root, 'kind', [], false);
  if (kind === undefined) {
    problems.error('document.shape', ['kind'], '"kind" is missing', `add kind: ${DOCUMENT_KIND}`);
  }
  if (kind !== undefined && kind !== DOCUMENT_KIND) {
    problems.error(
      'document.shape',
      ['kind'],
      `kind "${kind}" is not a cluster document`,
      `write kind: ${DOCUMENT_KIND}`,
    );
  }
  const head =
    root.cluster === undefined ? undefined : r.object(root.cluster, ['cluster'], 'cluster');
  if (root.cluster === undefined) {
    problems.error(
      'document.shape',
      ['cluster'],
      '"cluster" is missing',
      'add cluster: with at least mac: <the cluster MAC>',
    );
  }
  let mac = '00:00:00:00:00:00';
  let name = 'cluster';
  let defaultRoutingPolicy: string | undefined;
  let dhcp: DhcpMode | undefined;
  if (head) {
    r.keys(head, ['name', 'mac', 'defaultRoutingPolicy', 'dhcp'], ['cluster'], 'cluster');
    const macText = r.string(head, 'mac', ['cluster'], true);
    mac =
      (macText === undefined
        ? undefined
        : readMac(r, macText, ['cluster', 'mac'], 'the cluster MAC')) ?? mac;
    name = r.string(head, 'name', ['cluster'], false) ?? name;
    defaultRoutingPolicy = r.string(head, 'defaultRoutingPolicy', ['cluster'], false);
    dhcp = readDhcpMode(r, head);
  }
  const each = <T>(
    key: string,
    required: boolean,
    fn: (raw: unknown, path: Path) => T | undefined,
  ): T[] =>
    (r.list(root, key, [], required) ?? []).flatMap((raw, i) => optional(fn(raw, [key, i])));

  const cluster: Cluster = {
    name,
    mac,
    ...(defaultRoutingPolicy !== undefined ? { defaultRoutingPolicy } : {}),
    ...(dhcp === 'internal' ? { dhcp } : {}),
    filers: each('filers', true, (raw, path) => decodeFiler(r, raw, path)),
    vsvrs: each('vsvrs', false, (raw, path) => decodeVsvr(r, raw, path)),
    mysqlNodes: each('mysqlNodes', false, (raw, path) => decodeMysqlNode(r, raw, path)),
    sites: each('sites', false, (raw, path) => decodeSite(r, raw, path)),
    routingPolicies: each('routingPolicies', false, (raw, path) => decodePolicy(r, raw, path)),
    at: [],
  };
  return { cluster, problems: problems.items };
}

function decodeFiler(r: DocumentReader, raw: unknown, path: Path): Filer | undefined {
  const obj = r.object(raw, path, 'a filer');
  if (!obj) {
    return undefined;
  }
  r.keys(obj, ['name', 'interfaces', 'addresses'], path, 'a filer');
  const name = r.string(obj, 'name', path, true);
  const interfaces = (r.list(obj, 'interfaces', path, true) ?? []).flatMap((raw2, i): Interface[] =>
    optional(decodeInterface(r, raw2, [...path, 'interfaces', i])),
  );
  const addresses = (r.list(obj, 'addresses', path, false) ?? []).flatMap(
    (raw2, i): FilerAddress[] => {
      const a = decodeAddress(r, raw2, [...path, 'addresses', i], false);
      return a ? [{ alias: a.alias, address: a.address, mode: a.mode, at: a.at }] : [];
    },
  );
  return name === undefined ? undefined : { name, interfaces, addresses, at: path };
}

interface RawAddress extends MysqlNodeAddress {
  readonly instance?: number;
}

function decodeAddress(
  r: DocumentReader,
  raw: unknown,
  path: Path,
  takesInstance: boolean,
): RawAddress | undefined {
  const obj = r.object(raw, path, 'an address');
  if (!obj) {
    return undefined;
  }
  r.keys(
    obj,
    takesInstance ? ['alias', 'address', 'instance', 'mode'] : ['alias', 'address', 'mode'],
    path,
    'an address',
  );
  const aliasText = r.string(obj, 'alias', path, true);
  const alias =
    aliasText === undefined ? undefined : readInterfaceName(r, aliasText, [...path, 'alias'])?.name;
  const addressText = r.string(obj, 'address', path, true);
  const address =
    addressText === undefined ? undefined : readCidr(r, addressText, [...path, 'address']);
  const instance = takesInstance ? r.integer(obj, 'instance', path, 0, 9999) : undefined;
  const mode = readMode(r, obj, path);
  if (alias === undefined || address === undefined) {
    return undefined;
  }
  return { alias, address, mode, ...(instance !== undefined ? { instance } : {}), at: path };
}

function decodeVsvr(r: DocumentReader, raw: unknown, path: Path): Vsvr | undefined {
  const obj = r.object(raw, path, 'a vsvr');
  if (!obj) {
    return undefined;
  }
  r.keys(
    obj,
    [
      'name',
      'failoverGroup',
      'routingPolicy',
      'routes',
      'addresses',
      'failback',
      'failbackHoldDown',
    ],
    path,
    'a vsvr',
  );
  const name = r.string(obj, 'name', path, true);
  const failoverGroup =
    obj.failoverGroup === undefined
      ? undefined
      : r.strings(obj.failoverGroup, [...path, 'failoverGroup'], 'a failover group');
  const routingPolicy = r.string(obj, 'routingPolicy', path, false);
  const routes = decodeRoutes(r, obj, path);
  const raws = (r.list(obj, 'addresses', path, false) ?? []).flatMap((raw2, i): RawAddress[] =>
    optional(decodeAddress(r, raw2, [...path, 'addresses', i], true)),
  );
  const failback = readFailback(r, obj, path);
  const holdDown = r.integer(obj, 'failbackHoldDown', path, 0, MAX_FAILBACK_HOLD_DOWN_SECONDS);
  if (name === undefined) {
    return undefined;
  }
  return {
    name,
    ...(failoverGroup !== undefined ? { failoverGroup } : {}),
    ...(routingPolicy !== undefined ? { routingPolicy } : {}),
    routes,
    addresses: assignInstances(r, name, raws),
    ...(failback === 'auto' ? { failback } : {}),
    // The default is left out like `failback: manual`: saying it is the same vsvr.
    ...(holdDown !== undefined && holdDown !== DEFAULT_FAILBACK_HOLD_DOWN_SECONDS
      ? { failbackHoldDown: holdDown }
      : {}),
    at: path,
  };
}

/**
 * §5.2.6.3 numbers a vsvr's addresses per alias from 0. An address without `instance` takes the
 * lowest number that no other address of the same vsvr and alias has.
 */
function assignInstances(
  r: DocumentReader,
  vsvr: string,
  raws: readonly RawAddress[],
): VsvrAddress[] {
  const taken = new Map<string, Map<number, Path>>();
  const takenOn = (alias: string): Map<number, Path> => {
    let m = taken.get(alias);
    if (!m) {
      m = new Map();
      taken.set(alias, m);
    }
    return m;
  };
  for (const a of raws) {
    if (a.instance === undefined) {
      continue;
    }
    const m = takenOn(a.alias);
    if (m.has(a.instance)) {
      r.problems.error(
        'address.instance',
        [...a.at, 'instance'],
        `${vsvr} has two addresses on ${a.alias} with instance ${a.instance}`,
        'give each address of a vsvr on one alias its own instance, or leave instance out',
      );
    } else {
      m.set(a.instance, a.at);
    }
  }
  return raws.map((a) => {
    let instance = a.instance;
    if (instance === undefined) {
      const m = takenOn(a.alias);
      instance = 0;
      while (m.has(instance)) {
        instance++;
      }
      m.set(instance, a.at);
    }
    return { alias: a.alias, instance, address: a.address, mode: a.mode, at: a.at };
  });
}

function decodeRoutes(r: DocumentReader, obj: Record<string, unknown>, path: Path): Route[] {
  return (r.list(obj, 'routes', path, false) ?? []).flatMap((raw, i): Route[] =>
    optional(decodeRoute(r, raw, [...path, 'routes', i])),
  );
}

function decodeMysqlNode(r: DocumentReader, raw: unknown, path: Path): MysqlNode | undefined {
  const obj = r.object(raw, path, 'a MySQL node');
  if (!obj) {
    return undefined;
  }
  r.keys(obj, ['role', 'addresses'], path, 'a MySQL node');
  const role = r.string(obj, 'role', path, true);
  const addresses = (r.list(obj, 'addresses', path, true) ?? []).flatMap(
    (raw2, i): MysqlNodeAddress[] =>
      optional(decodeAddress(r, raw2, [...path, 'addresses', i], false)),
  );
  return role === undefined ? undefined : { role, addresses, at: path };
}

function decodeSite(r: DocumentReader, raw: unknown, path: Path): Site | undefined {
  const obj = r.object(raw, path, 'a site');
  if (!obj) {
    return undefined;
  }
  r.keys(obj, ['name', 'subnets'], path, 'a site');
  const name = r.string(obj, 'name', path, true);
  const subnets = (r.list(obj, 'subnets', path, true) ?? []).flatMap((s, i) => {
    const p = [...path, 'subnets', i];
    if (typeof s !== 'string') {
      r.problems.error(
        'site.invalid',
        p,
        'a site subnet must be text like 192.0.2.0/24',
        'quote the subnet',
      );
      return [];
    }
    return readSubnet(r, s, p) ?? [];
  });
  return name === undefined ? undefined : { name, subnets, at: path };
}

function decodePolicy(r: DocumentReader, raw: unknown, path: Path): RoutingPolicy | undefined {
  const obj = r.object(raw, path, 'a routing policy');
  if (!obj) {
    return undefined;
  }
  r.keys(obj, ['name', 'extends', 'routes'], path, 'a routing policy');
  const name = r.string(obj, 'name', path, true);
  const parent = r.string(obj, 'extends', path, false);
  const routes = decodeRoutes(r, obj, path);
  return name === undefined
    ? undefined
    : { name, ...(parent !== undefined ? { extends: parent } : {}), routes, at: path };
}

/** `cluster.dhcp`: `internal` or `external`, case ignored; anything else is a problem. */
function readDhcpMode(r: DocumentReader, head: Record<string, unknown>): DhcpMode | undefined {
  const text = r.string(head, 'dhcp', ['cluster'], false);
  if (text === undefined) {
    return undefined;
  }
  const mode = DHCP_MODES.find((m) => m === text.toLowerCase());
  if (mode === undefined) {
    r.problems.error(
      'document.shape',
      ['cluster', 'dhcp'],
      `"${text}" is not a DHCP mode`,
      'write dhcp: internal (the filer hosting vs_mgmt runs the DHCP server) or dhcp: external (the default: someone else runs it)',
    );
  }
  return mode;
}

function readFailback(
  r: DocumentReader,
  obj: Record<string, unknown>,
  path: Path,
): FailbackMode | undefined {
  const text = r.string(obj, 'failback', path, false);
  if (text === undefined) {
    return undefined;
  }
  const mode = FAILBACK_MODES.find((m) => m === text.toLowerCase());
  if (mode === undefined) {
    r.problems.error(
      'document.shape',
      [...path, 'failback'],
      `"${text}" is not a failback policy`,
      'write failback: manual (the default: it stays where a failover put it until moved) or failback: auto (it returns home once its home filer has been up for failbackHoldDown seconds)',
    );
  }
  return mode;
}

function optional<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}

function emptyCluster(): Cluster {
  return {
    name: 'cluster',
    mac: '00:00:00:00:00:00',
    filers: [],
    vsvrs: [],
    mysqlNodes: [],
    sites: [],
    routingPolicies: [],
    at: [],
  };
}
