import { BOND_MODES, DEFAULT_MTU } from '@vsnet/model';
import type { AliasSpec, BondMode, ClusterAnalysis, LinkSpec } from '@vsnet/model';

/**
 * The vsnet vendor options (§5.2.6.2): the interface definitions a filer downloads over DHCPv4
 * before it has any alias, carried as sub-options of option 43 (vendor-encapsulated-options)
 * in the private option space `vsnet`. docs/dhcp-vendor-options.md is the reference; the
 * constants here and that document must agree.
 */
export const VSNET_VENDOR_CLASS = 'vsnet';
export const VSNET_OPTION_SPACE = 'vsnet';
export const VENDOR_ENCAPSULATED_OPTIONS = 43;
export const VSNET_ENCODING_VERSION = 1;
/** A DHCPv4 option holds at most 255 bytes, and Kea 2.2 does not split longer ones (RFC 3396). */
export const MAX_OPTION_BYTES = 255;

export const VSNET_SUBOPTIONS = {
  version: { code: 1, isc: 'unsigned integer 8' },
  cluster: { code: 2, isc: 'text' },
  filer: { code: 3, isc: 'text' },
  stack: { code: 4, isc: 'string' },
} as const;

/** Record kinds of the `stack` sub-option (low four bits of a record's first byte). */
const KIND = { physical: 1, bond: 2, failover: 3, vlan: 4, mgmt: 5, data: 6, san: 7 } as const;
/** The record carries its MTU (a varint at its end); absent means 1500. */
const FLAG_MTU = 0x80;
/** physical: a 6-byte MAC follows; failover: a primary follows; alias: a VLAN of an alias. */
const FLAG_EXTRA = 0x40;

/** Everything below and at the alias level of one filer: links parents first, then aliases. */
export interface InterfaceStack {
  readonly links: readonly LinkSpec[];
  readonly aliases: readonly AliasSpec[];
}

/** What the vendor options of one filer say. */
export interface InterfaceDefinitions {
  readonly version: number;
  readonly cluster: string;
  readonly filer: string;
  readonly stack: InterfaceStack;
}

/** A payload that is not a vsnet encoding this decoder understands. */
export class VendorOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VendorOptionError';
  }
}

/**
 * The interface stack of a filer as the node spec compiler sees it (links and aliases of
 * `compileNodeSpec`, parents before children), read from the analysis without compiling the
 * rest of the spec: a cluster of a thousand filers is encoded in milliseconds.
 */
export function interfaceStackOf(analysis: ClusterAnalysis, filer: string): InterfaceStack {
  const index = analysis.filers.get(filer.toLowerCase());
  if (index === undefined) {
    throw new RangeError(`filer ${filer} is not part of the cluster`);
  }
  const links: LinkSpec[] = [];
  const aliases: AliasSpec[] = [];
  for (const n of index.order) {
    const i = index.byName.get(n);
    if (i === undefined) {
      continue;
    }
    const mtu = index.mtu.get(n) ?? 0;
    switch (i.kind) {
      case 'physical':
        links.push({
          name: n,
          kind: 'physical',
          mtu,
          ...(i.mac !== undefined ? { mac: i.mac } : {}),
        });
        break;
      case 'bond':
        links.push({
          name: n,
          kind: 'bond',
          mtu,
          members: i.members,
          mode: i.bondMode ?? '802.3ad',
        });
        break;
      case 'failover':
        links.push({
          name: n,
          kind: 'failover',
          mtu,
          members: i.members,
          mode: 'active-backup',
          ...(i.primary !== undefined ? { primary: i.primary } : {}),
        });
        break;
      case 'vlan':
      case 'alias':
        if (i.baseKind === 'data' || i.baseKind === 'mgmt' || i.baseKind === 'san') {
          aliases.push({
            name: n,
            kind: i.baseKind,
            lower: i.lower ?? i.parent ?? '',
            mtu,
            ...(i.tag !== undefined ? { tag: i.tag } : {}),
          });
        } else {
          links.push({ name: n, kind: 'vlan', mtu, parent: i.parent ?? '', tag: i.tag ?? 0 });
        }
        break;
    }
  }
  return { links, aliases };
}

class Writer {
  readonly bytes: number[] = [];
  u8(n: number): void {
    this.bytes.push(n & 0xff);
  }
  /** Unsigned LEB128: instance numbers, tags, MTUs and references cost one byte when small. */
  varint(n: number): void {
    let v = n;
    while (v >= 0x80) {
      this.bytes.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.bytes.push(v);
  }
  text(s: string): void {
    for (const b of new TextEncoder().encode(s)) {
      this.bytes.push(b);
    }
  }
}

function instanceOf(name: string): number {
  const m = /^[a-z]+(\d+)$/.exec(name);
  if (m === null) {
    throw new RangeError(`${name} is not a numbered interface name`);
  }
  return Number(m[1]);
}

function encodeStack(stack: InterfaceStack): number[] {
  const w = new Writer();
  const refs = new Map<string, number>();
  const ref = (name: string, of: string): number => {
    const r = refs.get(name);
    if (r === undefined) {
      throw new RangeError(`${of} refers to ${name}, which is not defined before it`);
    }
    return r;
  };
  const mtuFlag = (mtu: number): number => (mtu !== DEFAULT_MTU ? FLAG_MTU : 0);
  const tail = (mtu: number): void => {
    if (mtu !== DEFAULT_MTU) {
      w.varint(mtu);
    }
  };
  for (const l of stack.links) {
    switch (l.kind) {
      case 'physical':
        w.u8(KIND.physical | mtuFlag(l.mtu) | (l.mac !== undefined ? FLAG_EXTRA : 0));
        w.varint(instanceOf(l.name));
        if (l.mac !== undefined) {
          for (const part of l.mac.split(':')) {
            w.u8(parseInt(part, 16));
          }
        }
        break;
      case 'bond':
        w.u8(KIND.bond | mtuFlag(l.mtu));
        w.varint(instanceOf(l.name));
        w.u8(BOND_MODES.indexOf(l.mode as BondMode));
        w.varint(l.members?.length ?? 0);
        for (const m of l.members ?? []) {
          w.varint(ref(m, l.name));
        }
        break;
      case 'failover':
        w.u8(KIND.failover | mtuFlag(l.mtu) | (l.primary !== undefined ? FLAG_EXTRA : 0));
        w.varint(instanceOf(l.name));
        w.varint(l.members?.length ?? 0);
        for (const m of l.members ?? []) {
          w.varint(ref(m, l.name));
        }
        if (l.primary !== undefined) {
          w.varint(ref(l.primary, l.name));
        }
        break;
      case 'vlan':
        w.u8(KIND.vlan | mtuFlag(l.mtu));
        w.varint(ref(l.parent ?? '', l.name));
        w.varint(l.tag ?? 0);
        break;
    }
    tail(l.mtu);
    refs.set(l.name, refs.size);
  }
  for (const a of stack.aliases) {
    const tagged = a.tag !== undefined;
    w.u8(KIND[a.kind] | mtuFlag(a.mtu) | (tagged ? FLAG_EXTRA : 0));
    if (tagged) {
      w.varint(ref(a.lower, a.name));
      w.varint(a.tag);
    } else {
      w.varint(instanceOf(a.name));
      w.varint(ref(a.lower, a.name));
    }
    tail(a.mtu);
    refs.set(a.name, refs.size);
  }
  return w.bytes;
}

/**
 * The payload of option 43 for one filer: the `vsnet` sub-options, each `code, length, data`.
 * Throws a RangeError naming the filer when it does not fit one DHCPv4 option.
 */
export function encodeInterfaceDefinitions(defs: InterfaceDefinitions): Uint8Array {
  const out = new Writer();
  const sub = (code: number, data: readonly number[]): void => {
    if (data.length > MAX_OPTION_BYTES) {
      throw new RangeError(
        `the interface definitions of filer ${defs.filer} need ${data.length} bytes in one sub-option, more than the ${MAX_OPTION_BYTES} DHCP allows; give the filer fewer interfaces`,
      );
    }
    out.u8(code);
    out.u8(data.length);
    out.bytes.push(...data);
  };
  const text = (s: string): number[] => {
    const w = new Writer();
    w.text(s);
    return w.bytes;
  };
  sub(VSNET_SUBOPTIONS.version.code, [defs.version]);
  sub(VSNET_SUBOPTIONS.cluster.code, text(defs.cluster));
  sub(VSNET_SUBOPTIONS.filer.code, text(defs.filer));
  sub(VSNET_SUBOPTIONS.stack.code, encodeStack(defs.stack));
  if (out.bytes.length > MAX_OPTION_BYTES) {
    throw new RangeError(
      `the interface definitions of filer ${defs.filer} need ${out.bytes.length} bytes, more than the ${MAX_OPTION_BYTES} one DHCPv4 option can carry; give the filer fewer interfaces`,
    );
  }
  return Uint8Array.from(out.bytes);
}

/** Bytes as lower-case hex, `sep` between octets (Kea: none; ISC: `:`). */
export function toHex(bytes: Uint8Array, sep = ''): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(sep);
}

/** Reads hex as dhclient reports options (`01:02:ab`), as Kea writes it (`0102ab`), or with spaces. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) {
    throw new VendorOptionError(
      `"${text.slice(0, 40)}" is not hex octets; pass option 43 as dhclient reports it (01:02:…)`,
    );
  }
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

class Reader {
  private at = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}
  get done(): boolean {
    return this.at >= this.bytes.length;
  }
  u8(): number {
    const b = this.bytes[this.at];
    if (b === undefined) {
      throw new VendorOptionError(`the ${this.what} ends in the middle of a field`);
    }
    this.at++;
    return b;
  }
  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.u8();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        return value;
      }
      scale *= 128;
      if (scale > 2 ** 28) {
        throw new VendorOptionError(`the ${this.what} holds a number that is too long`);
      }
    }
  }
  take(n: number): Uint8Array {
    if (this.at + n > this.bytes.length) {
      throw new VendorOptionError(`the ${this.what} ends in the middle of a field`);
    }
    const part = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return part;
  }
}

function decodeStack(bytes: Uint8Array): InterfaceStack {
  const r = new Reader(bytes, 'stack sub-option');
  const names: string[] = [];
  const links: LinkSpec[] = [];
  const aliases: AliasSpec[] = [];
  const name = (index: number): string => {
    const n = names[index];
    if (n === undefined) {
      throw new VendorOptionError(
        `record ${names.length} of the stack refers to record ${index}, which does not precede it`,
      );
    }
    return n;
  };
  const refs = (): string[] => Array.from({ length: r.varint() }, () => name(r.varint()));
  while (!r.done) {
    const head = r.u8();
    const kind = head & 0x0f;
    const extra = (head & FLAG_EXTRA) !== 0;
    let entry: LinkSpec | AliasSpec;
    switch (kind) {
      case KIND.physical: {
        const n = `eth${r.varint()}`;
        const mac = extra ? toHex(r.take(6), ':') : undefined;
        entry = { name: n, kind: 'physical', mtu: 0, ...(mac !== undefined ? { mac } : {}) };
        break;
      }
      case KIND.bond: {
        const n = `bond${r.varint()}`;
        const mode = BOND_MODES[r.u8()];
        if (mode === undefined) {
          throw new VendorOptionError(`${n} has a bond mode this decoder does not know`);
        }
        entry = { name: n, kind: 'bond', mtu: 0, members: refs(), mode };
        break;
      }
      case KIND.failover: {
        const n = `fail${r.varint()}`;
        const members = refs();
        const primary = extra ? name(r.varint()) : undefined;
        entry = {
          name: n,
          kind: 'failover',
          mtu: 0,
          members,
          mode: 'active-backup',
          ...(primary !== undefined ? { primary } : {}),
        };
        break;
      }
      case KIND.vlan: {
        const parent = name(r.varint());
        const tag = r.varint();
        entry = { name: `${parent}.${tag}`, kind: 'vlan', mtu: 0, parent, tag };
        break;
      }
      case KIND.mgmt:
      case KIND.data:
      case KIND.san: {
        const aliasKind = kind === KIND.mgmt ? 'mgmt' : kind === KIND.data ? 'data' : 'san';
        if (extra) {
          const lower = name(r.varint());
          const tag = r.varint();
          entry = { name: `${lower}.${tag}`, kind: aliasKind, lower, mtu: 0, tag };
        } else {
          const instance = r.varint();
          entry = {
            name: `${aliasKind}${instance}`,
            kind: aliasKind,
            lower: name(r.varint()),
            mtu: 0,
          };
        }
        break;
      }
      default:
        throw new VendorOptionError(
          `record ${names.length} of the stack has kind ${kind}, which this decoder does not know; update the agent`,
        );
    }
    const mtu = (head & FLAG_MTU) !== 0 ? r.varint() : DEFAULT_MTU;
    names.push(entry.name);
    if ('lower' in entry) {
      aliases.push({ ...entry, mtu });
    } else {
      links.push({ ...entry, mtu });
    }
  }
  return { links, aliases };
}

/**
 * Decodes the payload of option 43 (the `vsnet` sub-options) back into the interface
 * definitions. Unknown sub-options are skipped, so a newer server can add some; a newer
 * encoding version is refused, since its stack may mean something else.
 */
export function decodeInterfaceDefinitions(payload: Uint8Array): InterfaceDefinitions {
  const r = new Reader(payload, 'vendor option payload');
  const found = new Map<number, Uint8Array>();
  while (!r.done) {
    const code = r.u8();
    if (code === 0) {
      continue; // pad
    }
    if (code === 255) {
      break; // end
    }
    const data = r.take(r.u8());
    // RFC 3396: repeated sub-options are one value, concatenated.
    const before = found.get(code);
    found.set(code, before === undefined ? data : Uint8Array.from([...before, ...data]));
  }
  const version = found.get(VSNET_SUBOPTIONS.version.code)?.[0];
  if (version === undefined) {
    throw new VendorOptionError(
      'the vendor options carry no vsnet version: they are not from vsnet',
    );
  }
  if (version !== VSNET_ENCODING_VERSION) {
    throw new VendorOptionError(
      `the vendor options use vsnet encoding version ${version}, this agent reads version ${VSNET_ENCODING_VERSION}; update the agent`,
    );
  }
  const text = (code: number): string =>
    new TextDecoder().decode(found.get(code) ?? new Uint8Array());
  return {
    version,
    cluster: text(VSNET_SUBOPTIONS.cluster.code),
    filer: text(VSNET_SUBOPTIONS.filer.code),
    stack: decodeStack(found.get(VSNET_SUBOPTIONS.stack.code) ?? new Uint8Array()),
  };
}
