/**
 * Interface naming (§5.2.2). Users never choose names: an interface is `eth#`, `bond#`, `fail#`,
 * an alias `data#`/`mgmt#`/`san#`, or a VLAN `<parent>.<tag>` on any of those. Names are
 * case-insensitive and stored lower case, and must fit Linux's 15-byte limit.
 */

export const BASE_KINDS = ['eth', 'bond', 'fail', 'data', 'mgmt', 'san'] as const;
export type BaseKind = (typeof BASE_KINDS)[number];
export type AliasKind = 'data' | 'mgmt' | 'san';

/** Linux's IFNAMSIZ is 16 including the terminating NUL. */
export const MAX_INTERFACE_NAME_BYTES = 15;
/** mgmt#/san# tables are 1000000 + instance·10000 + tag (mgmt) and 2000000 + … (san). */
export const MAX_FILER_ALIAS_INSTANCE = 99;
export const MIN_VLAN_TAG = 1;
export const MAX_VLAN_TAG = 4094;

export interface InterfaceName {
  /** The stored form: lower case. */
  readonly name: string;
  /** What the bottom of the name is: `data0.5` has base kind `data`. */
  readonly baseKind: BaseKind;
  readonly instance: number;
  /** `bond0.10.20` → [10, 20]; empty for a name without VLANs. */
  readonly vlanTags: readonly number[];
  /** For a VLAN, the interface it is stacked on (`bond0.10.20` → `bond0.10`). */
  readonly parent?: string;
  readonly tag?: number;
}

export type NameResult =
  { ok: true; value: InterfaceName } | { ok: false; reason: string; hint: string };

const NAME_RULE = 'eth#, bond#, fail#, data#, mgmt# or san#, with .<tag> (1-4094) for a VLAN';

export function isAliasKind(kind: BaseKind): kind is AliasKind {
  return kind === 'data' || kind === 'mgmt' || kind === 'san';
}

function fail(reason: string, hint: string): NameResult {
  return { ok: false, reason, hint };
}

/** Parses and normalizes an interface name, or says exactly what is wrong with it. */
export function parseInterfaceName(text: string): NameResult {
  // The same few names (data0, mgmt0, …) are parsed for every address of a cluster.
  const cached = NAME_CACHE.get(text);
  if (cached) {
    return cached;
  }
  const result = parseUncached(text);
  if (NAME_CACHE.size >= NAME_CACHE_LIMIT) {
    NAME_CACHE.clear();
  }
  NAME_CACHE.set(text, result);
  return result;
}

const NAME_CACHE_LIMIT = 4096;
const NAME_CACHE = new Map<string, NameResult>();

function parseUncached(text: string): NameResult {
  const name = text.trim().toLowerCase();
  if (name === '') {
    return fail('the interface name is empty', `name the interface ${NAME_RULE}`);
  }
  if (!/^[a-z0-9.]+$/.test(name)) {
    return fail(
      `"${text}" contains characters other than letters, digits and dots`,
      `use ${NAME_RULE}`,
    );
  }
  const [base = '', ...tagParts] = name.split('.');
  const m = /^([a-z]+)(\d*)$/.exec(base);
  const kind = m?.[1] ?? '';
  if (!m || !(BASE_KINDS as readonly string[]).includes(kind)) {
    return fail(`"${text}" is not a vsnet interface name`, `interfaces are named ${NAME_RULE}`);
  }
  const digits = m[2] ?? '';
  if (digits === '') {
    return fail(`"${text}" has no instance number`, `add one, e.g. ${kind}0`);
  }
  if (digits.length > 1 && digits.startsWith('0')) {
    return fail(
      `"${text}" has a leading zero in its instance number`,
      `write ${kind}${Number(digits)}`,
    );
  }
  if ((kind === 'mgmt' || kind === 'san') && Number(digits) > MAX_FILER_ALIAS_INSTANCE) {
    return fail(
      `"${text}" is above ${kind}${MAX_FILER_ALIAS_INSTANCE}: each mgmt#/san# alias has its own routing table, numbered by instance`,
      `use ${kind}0 to ${kind}${MAX_FILER_ALIAS_INSTANCE}`,
    );
  }
  const vlanTags: number[] = [];
  for (const part of tagParts) {
    if (!/^\d+$/.test(part)) {
      return fail(
        `"${text}" has a VLAN tag "${part}" that is not a number`,
        `VLAN tags are ${MIN_VLAN_TAG}-${MAX_VLAN_TAG}`,
      );
    }
    if (part.length > 1 && part.startsWith('0')) {
      return fail(`"${text}" has a leading zero in VLAN tag "${part}"`, `write .${Number(part)}`);
    }
    const tag = Number(part);
    if (tag < MIN_VLAN_TAG || tag > MAX_VLAN_TAG) {
      return fail(
        `"${text}" has VLAN tag ${tag}, outside ${MIN_VLAN_TAG}-${MAX_VLAN_TAG}`,
        tag === 0
          ? 'tag 0 means untagged: use the parent interface itself'
          : `use a tag from ${MIN_VLAN_TAG} to ${MAX_VLAN_TAG}`,
      );
    }
    vlanTags.push(tag);
  }
  // Names are ASCII here (checked above), so characters are bytes.
  if (name.length > MAX_INTERFACE_NAME_BYTES) {
    return fail(
      `"${text}" is ${name.length} bytes; Linux allows ${MAX_INTERFACE_NAME_BYTES}`,
      'use a lower instance number or fewer stacked VLANs',
    );
  }
  const value: InterfaceName = {
    name,
    baseKind: kind as BaseKind,
    instance: Number(digits),
    vlanTags,
    ...(vlanTags.length > 0
      ? { parent: name.slice(0, name.lastIndexOf('.')), tag: vlanTags[vlanTags.length - 1] }
      : {}),
  };
  return { ok: true, value };
}

/**
 * The lowest instance of `kind` that no filer of the cluster uses (§6: "the next unused in the
 * cluster data# interface"). `usedNames` are interface names from every filer.
 */
export function nextFreeInstance(kind: BaseKind, usedNames: Iterable<string>): number {
  const used = new Set<number>();
  for (const n of usedNames) {
    const parsed = parseInterfaceName(n);
    if (parsed.ok && parsed.value.baseKind === kind) {
      used.add(parsed.value.instance);
    }
  }
  let i = 0;
  while (used.has(i)) {
    i++;
  }
  return i;
}

/** Vsvr, filer, site and policy names appear inside DHCP identifiers, so ':' and spaces are out. */
export const OBJECT_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

export function objectNameProblem(
  what: string,
  name: string,
): { reason: string; hint: string } | undefined {
  if (OBJECT_NAME_PATTERN.test(name)) {
    return undefined;
  }
  return {
    reason: `${what} name "${name}" is not allowed`,
    hint: 'start with a letter, then up to 62 letters, digits, "_" or "-"',
  };
}

/** §5.3: `vs_mgmt` is the cluster's management vsvr; no other vsvr may use it as a prefix. */
export const MGMT_VSVR = 'vs_mgmt';

export function reservedVsvrNameProblem(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower === MGMT_VSVR && name !== MGMT_VSVR) {
    return `"${name}" is the management vsvr's reserved name written in another case; write ${MGMT_VSVR}`;
  }
  if (lower !== MGMT_VSVR && lower.startsWith(MGMT_VSVR)) {
    return `"${name}" begins with "${MGMT_VSVR}", which is reserved for the cluster's management vsvr`;
  }
  return undefined;
}
