import type { NodeSpec, VsvrSpec } from '@vsnet/model';

/**
 * What failover changed about which vsvrs run here, beside the spec the leader applied
 * (decision 0006). Immutable: every change makes a new one, so the reconciler moves the kernel
 * towards it and keeps it only once that worked.
 *
 * - `withheld`: vsvrs kept down whatever the spec says until the leader's next Apply: all of
 *   them once the agent fenced, and at start-up those the cache says active but the kernel
 *   does not run (a rebooted filer must not resurrect an address that failed over).
 * - `overrides`: the active flags Agent.Takeover set, with the generation applied when it
 *   did. They hold until an Apply of a newer generation, whose spec carries the placement the
 *   leader committed after the takeover; a re-sent older spec does not undo them.
 * - `fenced`: the agent withdrew everything for want of a leader; an Apply, or a Takeover that
 *   activates a vsvr, ends it.
 */
export class FailoverState {
  static readonly NONE = new FailoverState(false, new Set(), undefined);

  private constructor(
    readonly fenced: boolean,
    readonly withheld: ReadonlySet<string>,
    readonly overrides: TakeoverOverrides | undefined,
  ) {}

  static fromRecord(record: FailoverRecord | undefined): FailoverState {
    if (record === undefined) {
      return FailoverState.NONE;
    }
    return new FailoverState(
      record.fenced,
      new Set(record.withheld),
      record.overrides === undefined
        ? undefined
        : {
            generation: record.overrides.generation,
            active: new Map(Object.entries(record.overrides.active)),
          },
    );
  }

  toRecord(): FailoverRecord {
    return {
      fenced: this.fenced,
      withheld: [...this.withheld].sort(),
      ...(this.overrides === undefined
        ? {}
        : {
            overrides: {
              generation: this.overrides.generation,
              active: Object.fromEntries([...this.overrides.active].sort()),
            },
          }),
    };
  }

  /** Whether both say the same about every vsvr. */
  sameAs(other: FailoverState): boolean {
    return (
      JSON.stringify(failoverRecordToJson(this.toRecord())) ===
      JSON.stringify(failoverRecordToJson(other.toRecord()))
    );
  }

  /** Whether `vsvr` runs here: withheld, else as the takeover overrides say, else the spec. */
  isActive(vsvr: VsvrSpec): boolean {
    return !this.withheld.has(vsvr.name) && (this.overrides?.active.get(vsvr.name) ?? vsvr.active);
  }

  /**
   * `spec` as the kernel must hold it: each vsvr's `active` as {@link isActive} says, and the
   * internal DHCP server only while the vsvr it runs in (vs_mgmt) is active here.
   */
  effective(spec: NodeSpec): NodeSpec {
    if (this === FailoverState.NONE) {
      return spec;
    }
    const vsvrs = spec.vsvrs.map((v) =>
      this.isActive(v) === v.active ? v : { ...v, active: !v.active },
    );
    const dhcpHost =
      spec.dhcpServer && vsvrs.find((v) => v.namespace === spec.dhcpServer?.namespace);
    const { dhcpServer, ...rest } = spec;
    return dhcpServer !== undefined && dhcpHost?.active === true
      ? { ...rest, vsvrs, dhcpServer }
      : { ...rest, vsvrs };
  }

  /** Names of the vsvrs active here, sorted. */
  activeVsvrs(spec: NodeSpec | undefined): string[] {
    return (spec?.vsvrs ?? [])
      .filter((v) => this.isActive(v))
      .map((v) => v.name)
      .sort();
  }

  /** After the leader's Apply of `generation`: fence and withholding end; older overrides go. */
  afterApply(generation: bigint): FailoverState {
    const overrides =
      this.overrides !== undefined && generation <= this.overrides.generation
        ? this.overrides
        : undefined;
    return overrides === undefined && !this.fenced && this.withheld.size === 0
      ? FailoverState.NONE
      : new FailoverState(false, new Set(), overrides);
  }

  /** Every vsvr of `spec` withdrawn until the leader's next Apply. */
  fence(spec: NodeSpec | undefined): FailoverState {
    return new FailoverState(true, new Set(spec?.vsvrs.map((v) => v.name)), this.overrides);
  }

  /**
   * A takeover at applied generation `generation`: `activate` run here from now on, and
   * `deactivate` not. Activating ends a fence for those vsvrs only: the others stay withheld.
   */
  takeover(
    activate: readonly string[],
    deactivate: readonly string[],
    generation: bigint,
  ): FailoverState {
    const active = new Map(
      this.overrides !== undefined && this.overrides.generation === generation
        ? this.overrides.active
        : [],
    );
    deactivate.forEach((name) => active.set(name, false));
    activate.forEach((name) => active.set(name, true));
    const withheld = new Set([...this.withheld].filter((name) => !activate.includes(name)));
    return new FailoverState(
      this.fenced && activate.length === 0,
      withheld,
      active.size === 0 ? undefined : { generation, active },
    );
  }

  /**
   * At start-up: run exactly the vsvrs `running` says the kernel runs. One the kernel runs is
   * adopted as it is (an agent crash moves nothing), even one a takeover brought up that the
   * crash kept from being recorded; one it does not run stays down until the leader says so.
   */
  adopt(spec: NodeSpec, running: ReadonlySet<string>, generation: bigint): FailoverState {
    const active = new Map(this.overrides?.generation === generation ? this.overrides.active : []);
    const withheld = new Set<string>();
    for (const v of spec.vsvrs) {
      const wanted = active.get(v.name) ?? v.active;
      if (running.has(v.name)) {
        if (!wanted) {
          active.set(v.name, true);
        }
      } else if (wanted) {
        withheld.add(v.name);
      }
    }
    const overrides = active.size === 0 ? undefined : { generation, active };
    const fenced = this.fenced && running.size === 0;
    return !fenced && withheld.size === 0 && overrides === undefined
      ? FailoverState.NONE
      : new FailoverState(fenced, withheld, overrides);
  }
}

export interface TakeoverOverrides {
  /** The generation the agent had applied when the takeover came. */
  readonly generation: bigint;
  readonly active: ReadonlyMap<string, boolean>;
}

/** The JSON of a {@link FailoverState} in the agent's state record (fencing-store.ts). */
export interface FailoverRecord {
  readonly fenced: boolean;
  readonly withheld: readonly string[];
  readonly overrides?: { readonly generation: bigint; readonly active: Record<string, boolean> };
}

/** The JSON form of a {@link FailoverRecord} (bigints as decimal strings). */
export function failoverRecordToJson(f: FailoverRecord): Record<string, unknown> {
  return {
    fenced: f.fenced,
    withheld: f.withheld,
    ...(f.overrides === undefined
      ? {}
      : {
          overrides: { generation: f.overrides.generation.toString(), active: f.overrides.active },
        }),
  };
}

/** A {@link FailoverRecord} from its JSON form; throws `invalid(why)` when it is not one. */
export function failoverRecordFromJson(
  data: unknown,
  invalid: (why: string) => Error,
): FailoverRecord {
  const bad = (): Error => invalid('its failover part is not fenced, withheld and overrides');
  if (
    typeof data !== 'object' ||
    data === null ||
    !('fenced' in data) ||
    !('withheld' in data) ||
    typeof data.fenced !== 'boolean' ||
    !Array.isArray(data.withheld) ||
    !data.withheld.every((w) => typeof w === 'string')
  ) {
    throw bad();
  }
  const withheld: string[] = data.withheld;
  if (!('overrides' in data)) {
    return { fenced: data.fenced, withheld };
  }
  const o = data.overrides;
  if (
    typeof o !== 'object' ||
    o === null ||
    !('generation' in o) ||
    !('active' in o) ||
    typeof o.generation !== 'string' ||
    !/^\d+$/.test(o.generation) ||
    typeof o.active !== 'object' ||
    o.active === null ||
    !Object.values(o.active).every((a) => typeof a === 'boolean')
  ) {
    throw bad();
  }
  return {
    fenced: data.fenced,
    withheld,
    overrides: { generation: BigInt(o.generation), active: o.active as Record<string, boolean> },
  };
}
