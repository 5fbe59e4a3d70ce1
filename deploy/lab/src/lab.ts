import type { AgentProcess, AgentStartOptions } from './agent-process.js';
import { spawnAgent } from './agent-process.js';
import type { LabDescription } from './lab-description.js';
import { checkLabDescription, PREFIX } from './lab-description.js';
import { ipBatch, ipJson, run } from './run.js';

/** Namespaces a lab with `prefix` may own: its own and the vsvr namespaces its agents made. */
export async function labNamespaces(prefix: string): Promise<string[]> {
  // A prefix with '-' (or one of another shape) could match another lab's namespaces.
  if (!PREFIX.test(prefix)) {
    throw new RangeError(
      `lab prefix "${prefix}" is not 1–12 lower-case letters and digits starting with a letter; use one like vlab`,
    );
  }
  const all = await ipJson<{ name: string }>(['netns', 'list']);
  return all.map((n) => n.name).filter((n) => n.startsWith(`${prefix}-`));
}

export interface StaleReport {
  /** Namespaces deleted. */
  readonly removed: readonly string[];
  /**
   * Processes that were still running inside them. They are NOT killed (only whoever started
   * them should end them); while one runs, its namespace lives on unnamed. Stop them by pid.
   */
  readonly strayPids: readonly number[];
}

/**
 * Removes what a crashed run with this prefix left behind: every namespace named
 * `<prefix>-…`, the lab's own and the vsvr namespaces its agents created (`<prefix>-<filer>-…`).
 * Interfaces go with their namespace.
 */
export async function removeStale(prefix: string): Promise<StaleReport> {
  const stale = await labNamespaces(prefix);
  if (stale.length === 0) {
    return { removed: [], strayPids: [] };
  }
  const pids = await Promise.all(
    stale.map(async (ns) => {
      const r = await run('ip', ['netns', 'pids', ns], { allowFailure: true });
      return r.stdout.split(/\s+/).filter(Boolean).map(Number);
    }),
  );
  await ipBatch(
    stale.map((ns) => `netns del ${ns}`),
    { force: true },
  );
  const left = await labNamespaces(prefix);
  if (left.length > 0) {
    throw new Error(`could not remove namespaces ${left.join(', ')}`);
  }
  return { removed: stale, strayPids: pids.flat() };
}

/**
 * An N-filer lab on this machine (LAB.md): a switch namespace with one bridge per L2 segment,
 * a namespace per filer whose `eth#` ports are veth ends cabled to the segments' bridges,
 * and client namespaces with addresses on their segment. Built with one `ip -batch` for the
 * root namespace and one `ip -n NS -batch -` per namespace.
 */
export class Lab {
  private readonly agents = new Set<AgentProcess>();
  private tornDown = false;

  private constructor(
    readonly description: LabDescription,
    /** Wall time of the build, for people (LAB.md: ~50 ms for four namespaces). */
    readonly buildMs: number,
  ) {}

  /** Builds the lab. Refuses when namespaces of the prefix exist: see `removeStale`. */
  static async build(description: LabDescription): Promise<Lab> {
    checkLabDescription(description);
    const existing = await labNamespaces(description.prefix);
    if (existing.length > 0) {
      throw new Error(
        `lab ${description.prefix} already exists (${existing.join(', ')}); remove it first (removeStale / "down")`,
      );
    }
    const started = performance.now();
    try {
      await buildTopology(description);
    } catch (err) {
      await ipBatch(
        (await labNamespaces(description.prefix)).map((ns) => `netns del ${ns}`),
        { force: true },
      );
      throw err;
    }
    return new Lab(description, performance.now() - started);
  }

  get prefix(): string {
    return this.description.prefix;
  }

  get switchNamespace(): string {
    return switchNamespace(this.prefix);
  }

  filerNamespace(filer: string): string {
    return `${this.prefix}-${this.filer(filer).name}`;
  }

  clientNamespace(client: string): string {
    if (!this.description.clients.some((c) => c.name === client)) {
      throw new RangeError(`lab ${this.prefix} has no client ${client}`);
    }
    return `${this.prefix}-${client}`;
  }

  /** Prefix of the vsvr namespaces the filer's agent creates, so filers never collide. */
  vsvrNamespacePrefix(filer: string): string {
    return `${this.filerNamespace(filer)}-`;
  }

  /** Starts the real node agent of `filer` with the Linux driver, driving the filer's namespace. */
  async startAgent(
    filer: string,
    options: Omit<AgentStartOptions, 'filer' | 'filerNamespace' | 'namespacePrefix'>,
  ): Promise<AgentProcess> {
    const agent = await spawnAgent({
      ...options,
      filer: this.filer(filer).name,
      filerNamespace: this.filerNamespace(filer),
      namespacePrefix: this.vsvrNamespacePrefix(filer),
    });
    this.agents.add(agent);
    void agent.exited.then(() => this.agents.delete(agent));
    return agent;
  }

  /** Stops every agent this lab started (by pid: SIGTERM, then SIGKILL if it lingers). */
  async stopAgents(): Promise<void> {
    await Promise.all([...this.agents].map((a) => a.stop()));
  }

  /** Stops the agents, then deletes every namespace of the lab, vsvr namespaces included. */
  async teardown(): Promise<StaleReport> {
    await this.stopAgents();
    if (this.tornDown) {
      return { removed: [], strayPids: [] };
    }
    this.tornDown = true;
    return removeStale(this.prefix);
  }

  private filer(name: string): { name: string } {
    const f = this.description.filers.find((x) => x.name === name);
    if (!f) {
      throw new RangeError(`lab ${this.prefix} has no filer ${name}`);
    }
    return f;
  }
}

function switchNamespace(prefix: string): string {
  return `${prefix}-sw`;
}

/** The bridge of a segment, in the switch namespace. */
export function bridgeOf(segment: string): string {
  return `br-${segment}`;
}

async function buildTopology(d: LabDescription): Promise<void> {
  const sw = switchNamespace(d.prefix);
  const root: string[] = [`netns add ${sw}`];
  const switchLines: string[] = ['link set lo up'];
  const perNamespace: { ns: string; lines: string[] }[] = [];
  for (const s of d.segments) {
    // No STP and no forward delay: a port forwards the moment it is up. No multicast
    // snooping: with no querier, IPv6 neighbour discovery must simply be flooded.
    switchLines.push(
      `link add ${bridgeOf(s)} type bridge stp_state 0 forward_delay 0 mcast_snooping 0`,
      `link set ${bridgeOf(s)} up`,
    );
  }
  d.filers.forEach((f, i) => {
    const ns = `${d.prefix}-${f.name}`;
    root.push(`netns add ${ns}`);
    const lines = ['link set lo up'];
    for (const p of f.ports) {
      const port = `f${i + 1}-${p.eth}`;
      // Created directly in their namespaces: nothing of the lab ever sits in the root one.
      root.push(`link add ${p.eth} netns ${ns} type veth peer name ${port} netns ${sw}`);
      // The switch takes jumbo frames, like the filers' data ports may.
      switchLines.push(`link set ${port} mtu 9000 master ${bridgeOf(p.segment)} up`);
      lines.push(`link set ${p.eth} up`);
    }
    perNamespace.push({ ns, lines });
  });
  d.clients.forEach((c, i) => {
    const ns = `${d.prefix}-${c.name}`;
    const port = `c${i + 1}-eth0`;
    root.push(
      `netns add ${ns}`,
      `link add eth0 netns ${ns} type veth peer name ${port} netns ${sw}`,
    );
    switchLines.push(`link set ${port} master ${bridgeOf(c.segment)} up`);
    perNamespace.push({
      ns,
      lines: [
        'link set lo up',
        // nodad: the address is usable at once instead of after ~1 s of duplicate detection.
        ...c.addresses.map((a) => `addr add ${a} dev eth0${a.includes(':') ? ' nodad' : ''}`),
        'link set eth0 up',
        ...(c.routes ?? []).map((r) => `route add ${r.to} via ${r.via} dev eth0`),
      ],
    });
  });
  await ipBatch(root);
  await Promise.all([
    ipBatch(switchLines, { namespace: sw }),
    ...perNamespace.map((p) => ipBatch(p.lines, { namespace: p.ns })),
  ]);
  await waitForCables(
    sw,
    root.filter((l) => l.startsWith('link add')).length,
    perNamespace.map((p) => p.ns),
  );
}

interface IpLinkState {
  readonly ifname: string;
  readonly operstate?: string;
  readonly linkinfo?: {
    readonly info_kind?: string;
    readonly info_slave_kind?: string;
    readonly info_slave_data?: { readonly state?: string };
  };
}

const CABLES_READY_TIMEOUT_MS = 5_000;

/**
 * A veth's carrier reaches each end through the kernel's link watch, up to a second after
 * `link set up`; until then the end is DOWN and a bridge port `disabled`, and frames are
 * dropped. The lab is built when every cable is plugged in: every veth end is UP and every
 * bridge port forwards.
 */
async function waitForCables(sw: string, cables: number, nodes: readonly string[]): Promise<void> {
  const deadline = performance.now() + CABLES_READY_TIMEOUT_MS;
  for (;;) {
    const all = await Promise.all(
      [sw, ...nodes].map(async (ns) =>
        (await ipJson<IpLinkState>(['-d', '-n', ns, 'link', 'show'])).map((l) => ({ ns, ...l })),
      ),
    );
    const ends = all.flat().filter((l) => l.linkinfo?.info_kind === 'veth');
    const waiting = ends.filter(
      (l) =>
        l.operstate !== 'UP' ||
        (l.linkinfo?.info_slave_kind === 'bridge' &&
          l.linkinfo.info_slave_data?.state !== 'forwarding'),
    );
    if (ends.length === 2 * cables && waiting.length === 0) {
      return;
    }
    if (performance.now() > deadline) {
      throw new Error(
        `cables not up after ${CABLES_READY_TIMEOUT_MS} ms: ${waiting.map((l) => `${l.ns}/${l.ifname}`).join(', ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
