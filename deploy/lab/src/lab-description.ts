import { contains, parseCidr, parseIp } from '@vsnet/model';

/** A filer's port and the L2 segment (switch bridge) its cable is plugged into. */
export interface LabPort {
  /** `eth0`, `eth1`, …: the name the port has inside the filer's namespace. */
  readonly eth: string;
  readonly segment: string;
}

export interface LabFiler {
  /** The filer's name as in the cluster document (`filer1`). */
  readonly name: string;
  readonly ports: readonly LabPort[];
}

export interface LabRoute {
  /** A subnet or `default`. */
  readonly to: string;
  readonly via: string;
}

/** A client machine: one namespace with `eth0` on one segment. */
export interface LabClient {
  readonly name: string;
  readonly segment: string;
  /** `198.18.x.y/len` and `2001:db8:…/len` only (LAB.md: no other address in a lab). */
  readonly addresses: readonly string[];
  readonly routes?: readonly LabRoute[];
}

/** What to build: an N-filer lab on this machine. */
export interface LabDescription {
  /** Starts every namespace name (`<prefix>-sw`, `<prefix>-filer1`, …); letters and digits. */
  readonly prefix: string;
  /** L2 segments; each is one bridge in the switch namespace. */
  readonly segments: readonly string[];
  readonly filers: readonly LabFiler[];
  readonly clients: readonly LabClient[];
}

/** The only address ranges a lab may use (LAB.md "Addresses"). */
export const LAB_RANGES = ['198.18.0.0/15', '2001:db8::/32'] as const;

export const PREFIX = /^[a-z][a-z0-9]{0,11}$/;
const NODE_NAME = /^[a-z][a-z0-9_]{0,30}$/i;
const SEGMENT = /^[a-z][a-z0-9]{0,11}$/;
const ETH = /^eth(0|[1-9]\d?)$/;

/** Throws a RangeError naming the first thing a lab cannot be built from. */
export function checkLabDescription(d: LabDescription): void {
  const fail = (why: string): never => {
    throw new RangeError(`lab ${d.prefix}: ${why}`);
  };
  if (!PREFIX.test(d.prefix)) {
    // No '-' in a prefix: `<prefix>-` must never be the start of another lab's prefix.
    fail('the prefix must be 1–12 lower-case letters and digits, starting with a letter');
  }
  const segments = new Set(d.segments);
  for (const s of d.segments) {
    if (!SEGMENT.test(s)) {
      fail(`segment "${s}" must be 1–12 lower-case letters and digits`);
    }
  }
  if (segments.size !== d.segments.length) {
    fail('a segment is listed twice');
  }
  const names = new Set<string>(['sw']);
  for (const n of [...d.filers.map((f) => f.name), ...d.clients.map((c) => c.name)]) {
    if (!NODE_NAME.test(n)) {
      fail(`"${n}" is not a usable filer or client name (letters, digits, _)`);
    }
    if (names.has(n.toLowerCase())) {
      fail(`"${n}" is used twice (or is the switch's name, "sw")`);
    }
    names.add(n.toLowerCase());
  }
  for (const f of d.filers) {
    const eths = new Set<string>();
    for (const p of f.ports) {
      if (!ETH.test(p.eth) || eths.has(p.eth)) {
        fail(`filer ${f.name}: port "${p.eth}" is not a new eth0..eth99`);
      }
      eths.add(p.eth);
      if (!segments.has(p.segment)) {
        fail(`filer ${f.name}: ${p.eth} is on unknown segment "${p.segment}"`);
      }
    }
  }
  for (const c of d.clients) {
    if (!segments.has(c.segment)) {
      fail(`client ${c.name} is on unknown segment "${c.segment}"`);
    }
    for (const a of c.addresses) {
      checkLabAddress(a, true);
    }
    for (const r of c.routes ?? []) {
      checkLabAddress(r.via, false);
      if (r.to !== 'default') {
        checkLabAddress(r.to, true);
      }
    }
  }
}

/** Throws unless `text` lies in 198.18.0.0/15 or 2001:db8::/32. */
export function checkLabAddress(text: string, withPrefix: boolean): void {
  const parsed = withPrefix ? parseCidr(text) : parseIp(text);
  if (!parsed.ok) {
    throw new RangeError(`lab address ${text}: ${parsed.reason}`);
  }
  const inRange = LAB_RANGES.some((r) => {
    const range = parseCidr(r);
    return (
      range.ok &&
      contains(range.value, parsed.value) &&
      // A wider prefix would put a connected route outside the range.
      (!('prefix' in parsed.value) || parsed.value.prefix >= range.value.prefix)
    );
  });
  if (!inRange) {
    throw new RangeError(`lab address ${text} is outside ${LAB_RANGES.join(' and ')}`);
  }
}
