import type { AddressMode, BondMode, Interface, InterfaceKind, Route } from './cluster.js';
import { BOND_MODES, MAX_MTU, MIN_MTU } from './cluster.js';
import type { DocumentReader } from './decode-reader.js';
import type { Cidr } from './ip.js';
import { formatValue, networkOf, parseCidr, parseIp } from './ip.js';
import { isMulticastMac, isZeroMac, normalizeMac } from './mac.js';
import type { InterfaceName } from './names.js';
import { isAliasKind, parseInterfaceName } from './names.js';
import type { Path } from './problems.js';

/** Reads an interface name field; records the naming rule it breaks, if any. */
export function readInterfaceName(
  r: DocumentReader,
  text: string,
  path: Path,
): InterfaceName | undefined {
  const parsed = parseInterfaceName(text);
  if (!parsed.ok) {
    r.problems.error('name.invalid', path, parsed.reason, parsed.hint);
    return undefined;
  }
  return parsed.value;
}

const FIELDS_BY_KIND: Record<InterfaceKind, readonly string[]> = {
  physical: ['name', 'mac', 'mtu'],
  bond: ['name', 'members', 'mode', 'mtu'],
  failover: ['name', 'members', 'primary', 'mtu'],
  vlan: ['name', 'mtu'],
  alias: ['name', 'on', 'mtu', 'routingPolicy'],
};

const KIND_WORDS: Record<InterfaceKind, string> = {
  physical: 'a physical interface (eth#)',
  bond: 'a bond (bond#)',
  failover: 'a failover interface (fail#)',
  vlan: 'a VLAN interface',
  alias: 'an alias',
};

function kindOf(n: InterfaceName): InterfaceKind {
  if (n.vlanTags.length > 0) {
    return 'vlan';
  }
  switch (n.baseKind) {
    case 'eth':
      return 'physical';
    case 'bond':
      return 'bond';
    case 'fail':
      return 'failover';
    case 'data':
    case 'mgmt':
    case 'san':
      return 'alias';
  }
}

export function decodeInterface(
  r: DocumentReader,
  raw: unknown,
  path: Path,
): Interface | undefined {
  const obj = r.object(raw, path, 'an interface');
  if (!obj) {
    return undefined;
  }
  const nameText = r.string(obj, 'name', path, true);
  const n = nameText === undefined ? undefined : readInterfaceName(r, nameText, [...path, 'name']);
  if (!n) {
    return undefined;
  }
  const kind = kindOf(n);
  // A VLAN of an mgmt#/san# alias carries filer addresses too, so it may name a policy.
  const allowed =
    kind === 'vlan' && (n.baseKind === 'mgmt' || n.baseKind === 'san')
      ? [...FIELDS_BY_KIND.vlan, 'routingPolicy']
      : FIELDS_BY_KIND[kind];
  // A field of another kind of interface gets its own message; the rest are unknown fields.
  const otherKinds = Object.keys(obj).filter(
    (key) => !allowed.includes(key) && Object.values(FIELDS_BY_KIND).some((f) => f.includes(key)),
  );
  for (const key of otherKinds) {
    r.problems.error(
      'interface.kind',
      [...path, key],
      `${n.name} is ${KIND_WORDS[kind]}, which takes no "${key}"`,
      fieldHint(key, n),
    );
  }
  r.keys(obj, [...allowed, ...otherKinds], path, 'an interface');
  // Only the fields this kind takes are read; the input is never modified.
  const fields = Object.fromEntries(Object.entries(obj).filter(([key]) => allowed.includes(key)));

  const mtu = r.integer(fields, 'mtu', path, MIN_MTU, MAX_MTU);
  const members =
    fields.members === undefined
      ? []
      : r.strings(fields.members, [...path, 'members'], `${n.name}'s members`);
  const memberNames = members.flatMap(
    (m, i) => readInterfaceName(r, m, [...path, 'members', i])?.name ?? [],
  );
  const routingPolicy = r.string(fields, 'routingPolicy', path, false);
  if (routingPolicy !== undefined && n.baseKind === 'data') {
    r.problems.error(
      'interface.kind',
      [...path, 'routingPolicy'],
      `${n.name} is a data alias; its routes belong to the vsvrs on it`,
      'set routingPolicy on the vsvrs instead',
    );
  }
  const lowerText = r.string(fields, 'on', path, kind === 'alias');
  const lower =
    lowerText === undefined ? undefined : readInterfaceName(r, lowerText, [...path, 'on'])?.name;
  const primaryText = r.string(fields, 'primary', path, false);
  const primary =
    primaryText === undefined
      ? undefined
      : readInterfaceName(r, primaryText, [...path, 'primary'])?.name;
  const macText = r.string(fields, 'mac', path, false);
  const mac =
    macText === undefined ? undefined : readMac(r, macText, [...path, 'mac'], `${n.name}'s MAC`);
  const modeText = r.string(fields, 'mode', path, false);
  let bondMode: BondMode | undefined;
  if (modeText !== undefined) {
    bondMode = BOND_MODES.find((m) => m === modeText.toLowerCase());
    if (!bondMode) {
      r.problems.error(
        'interface.kind',
        [...path, 'mode'],
        `"${modeText}" is not a bonding mode`,
        `use one of ${BOND_MODES.join(', ')}; for active-backup use a failover interface (fail#)`,
      );
    }
  }
  return {
    name: n.name,
    baseKind: n.baseKind,
    kind,
    vlanTags: n.vlanTags,
    ...(n.parent !== undefined ? { parent: n.parent, tag: n.tag } : {}),
    members: memberNames,
    ...(kind === 'bond' ? { bondMode: bondMode ?? '802.3ad' } : {}),
    ...(primary !== undefined ? { primary } : {}),
    ...(lower !== undefined ? { lower } : {}),
    ...(mac !== undefined ? { mac } : {}),
    ...(mtu !== undefined ? { mtu } : {}),
    ...(routingPolicy !== undefined && n.baseKind !== 'data' ? { routingPolicy } : {}),
    at: path,
  };
}

function fieldHint(key: string, n: InterfaceName): string {
  switch (key) {
    case 'members':
      return 'only bond# and fail# interfaces have members';
    case 'on':
      return isAliasKind(n.baseKind)
        ? 'a VLAN of an alias takes its lower interface from its name'
        : 'only aliases (data#, mgmt#, san#) are built "on" another interface';
    case 'mac':
      return 'only physical interfaces (eth#) carry a MAC in the document';
    case 'mode':
      return 'only bonds take a mode; a failover interface is always active-backup';
    case 'primary':
      return 'only failover interfaces (fail#) have a primary member';
    case 'routingPolicy':
      return 'routing policies attach to mgmt#/san# aliases and to vsvrs';
    default:
      return `remove "${key}"`;
  }
}

export function readMac(
  r: DocumentReader,
  text: string,
  path: Path,
  what: string,
): string | undefined {
  const mac = normalizeMac(text);
  if (!mac) {
    r.problems.error(
      'mac.invalid',
      path,
      `${what} "${text}" is not a MAC address`,
      'write six hex pairs: 00:07:34:04:12:0e',
    );
    return undefined;
  }
  if (isMulticastMac(mac) || isZeroMac(mac)) {
    r.problems.error(
      'mac.invalid',
      path,
      `${what} ${mac} is ${isZeroMac(mac) ? 'all zeros' : 'a multicast address'}`,
      'use a unicast MAC (the low bit of the first octet clear)',
    );
    return undefined;
  }
  return mac;
}

export function readCidr(r: DocumentReader, text: string, path: Path): Cidr | undefined {
  const c = parseCidr(text);
  if (!c.ok) {
    r.problems.error(
      'address.invalid',
      path,
      c.reason,
      'write an address with its prefix length, e.g. 192.0.2.10/24 or 2001:db8::10/64',
    );
    return undefined;
  }
  return c.value;
}

/** A subnet (site, route destination): host bits must be clear, so the intent is unambiguous. */
export function readSubnet(r: DocumentReader, text: string, path: Path): Cidr | undefined {
  const c = readCidr(r, text, path);
  if (c && networkOf(c) !== c.value) {
    const net = formatValue(c.family, networkOf(c));
    r.problems.error(
      'address.invalid',
      path,
      `${text} is not a subnet: it has host bits set`,
      `write ${net}/${c.prefix}`,
    );
    return undefined;
  }
  return c;
}

export function readMode(r: DocumentReader, obj: Record<string, unknown>, path: Path): AddressMode {
  const mode = r.string(obj, 'mode', path, false);
  if (mode === undefined || mode === 'static' || mode === 'dhcp') {
    return mode ?? 'static';
  }
  r.problems.error(
    'document.shape',
    [...path, 'mode'],
    `address mode "${mode}" is neither static nor dhcp`,
    'write mode: static or mode: dhcp',
  );
  return 'static';
}

export function decodeRoute(r: DocumentReader, raw: unknown, path: Path): Route | undefined {
  const obj = r.object(raw, path, 'a route');
  if (!obj) {
    return undefined;
  }
  r.keys(obj, ['to', 'via', 'alias', 'metric'], path, 'a route');
  const toText = r.string(obj, 'to', path, true);
  const viaText = r.string(obj, 'via', path, false);
  const aliasText = r.string(obj, 'alias', path, false);
  const metric = r.integer(obj, 'metric', path, 0, 4294967295);
  let via: Cidr | undefined;
  if (viaText !== undefined) {
    const ip = parseIp(viaText);
    if (!ip.ok) {
      r.problems.error(
        'routing.invalid',
        [...path, 'via'],
        `gateway ${ip.reason}`,
        'write the gateway address without a prefix length',
      );
      return undefined;
    }
    via = { ...ip.value, prefix: ip.value.family === 4 ? 32 : 128 };
  }
  const alias =
    aliasText === undefined ? undefined : readInterfaceName(r, aliasText, [...path, 'alias'])?.name;
  if (toText === undefined) {
    return undefined;
  }
  let to: Cidr | undefined;
  if (toText.toLowerCase() === 'default') {
    if (!via) {
      r.problems.error(
        'routing.invalid',
        path,
        'a default route needs a gateway',
        'add via: <gateway address>, or write to: 0.0.0.0/0 or ::/0 with an alias',
      );
      return undefined;
    }
    to =
      via.family === 4
        ? { family: 4, ip: '0.0.0.0', prefix: 0, value: 0n }
        : { family: 6, ip: '::', prefix: 0, value: 0n };
  } else {
    to = readSubnet(r, toText, [...path, 'to']);
  }
  if (!to) {
    return undefined;
  }
  if (via && via.family !== to.family) {
    r.problems.error(
      'routing.invalid',
      [...path, 'via'],
      `gateway ${via.ip} is IPv${via.family} but destination ${toText} is IPv${to.family}`,
      'use a gateway of the same family',
    );
    return undefined;
  }
  if (!via && alias === undefined) {
    r.problems.error(
      'routing.invalid',
      path,
      `route to ${toText} has neither a gateway nor an alias`,
      'add via: <gateway> or alias: <data#/mgmt#/san#>',
    );
    return undefined;
  }
  return {
    to,
    ...(via ? { via } : {}),
    ...(alias !== undefined ? { alias } : {}),
    ...(metric !== undefined ? { metric } : {}),
    at: path,
  };
}
