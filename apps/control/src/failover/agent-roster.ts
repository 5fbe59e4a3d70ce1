import { Inject, Injectable, Logger } from '@nestjs/common';
import type { TakeoverResponse__Output } from '@vsnet/contracts';
import { PipelineStore } from '@vsnet/store';
import { CONTROL_CONFIG } from '../config/config.module.js';
import type { ControlConfig } from '../config/control-config.js';
import { AgentClients } from '../pipeline/agent-client.js';
import { ReconcileQueue } from '../pipeline/reconcile-queue.js';
import { TakeoverGate } from '../pipeline/takeover-gate.js';
import type { TakeoverPort } from './failover-ports.js';
import { TAKEOVER_DEADLINE_MS, errorText } from './failover-ports.js';
import type { HeartbeatTarget } from './heartbeat-protocol.js';

/** How long one Agent.Lead may take: a lost filer's agent must not hold the others up. */
export const LEAD_DEADLINE_MS = 1_000;
/** How long a new leader waits for the Leads before it starts pinging anyway. */
export const LEAD_WAIT_MS = 300;

interface Agent {
  readonly filer: string;
  readonly address: string;
  readonly host: string;
  readonly port: number;
  heartbeatPort: number;
  desiredGeneration: string;
  led: boolean;
  leading: Promise<void> | undefined;
  lastError: string;
}

interface Run {
  readonly epoch: string;
  readonly key: Uint8Array;
  readonly agents: Map<string, Agent>;
  /** Every filer of the cluster (filer_state, retiring ones aside), as spelled there. */
  filers: string[];
}

/**
 * The agents this leader introduces itself to (Agent.Lead: epoch, heartbeat key, timing) and
 * pings: every filer whose agent joined (filer_state.agent_address), read when a leadership
 * starts and on every {@link refresh}, so an agent that joins later, or moves, is led too. A
 * Lead that failed is tried again at the next refresh; an agent answering NO_KEY is led again
 * at once. An agent that says it is fenced, or runs a generation older than its filer's
 * desired one, gets a reconcile. Also the failover's way to an agent's Takeover.
 */
@Injectable()
export class AgentRoster implements TakeoverPort {
  private readonly logger = new Logger('Heartbeats');
  private run: Run | undefined;
  private changed: () => void = () => undefined;

  constructor(
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
    private readonly store: PipelineStore,
    private readonly agents: AgentClients,
    private readonly queue: ReconcileQueue,
    private readonly gate: TakeoverGate,
  ) {}

  /** A leadership starts: reads the agents and leads them, waiting at most {@link LEAD_WAIT_MS}. */
  async begin(epoch: string, key: Uint8Array): Promise<void> {
    this.run = { epoch, key, agents: new Map(), filers: [] };
    const leads = await this.read();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(leads),
      new Promise((resolve) => {
        timer = setTimeout(resolve, LEAD_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  end(): void {
    this.run = undefined;
  }

  /** Calls `listener` whenever {@link targets} changed. */
  onTargets(listener: () => void): void {
    this.changed = listener;
  }

  /** The filers of the cluster as last read. */
  filers(): readonly string[] {
    return this.run?.filers ?? [];
  }

  /** What the heartbeat worker pings. */
  targets(): HeartbeatTarget[] {
    return [...(this.run?.agents.values() ?? [])].map((a) => ({
      filer: a.filer,
      host: a.host,
      heartbeatPort: a.heartbeatPort,
      probePort: a.port,
    }));
  }

  /** Reads the agents again; leads the new ones and those whose Lead failed (not waiting). */
  async refresh(): Promise<void> {
    const leads = await this.read();
    void Promise.all(leads);
  }

  /** {@link refresh}, resolving with the Leads it started (they never reject). */
  private async read(): Promise<Promise<void>[]> {
    const run = this.run;
    if (run === undefined) {
      return [];
    }
    const states = (await this.store.filerStates()).filter((s) => s.state !== 'retiring');
    if (this.run !== run) {
      return [];
    }
    run.filers = states.map((s) => s.filer);
    const seen = new Set<string>();
    let changed = false;
    for (const s of states) {
      const parsed = s.agentAddress === null ? undefined : hostPort(s.agentAddress);
      const key = s.filer.toLowerCase();
      const before = run.agents.get(key);
      if (parsed === undefined) {
        continue;
      }
      seen.add(key);
      if (before === undefined || before.address !== s.agentAddress) {
        changed = true;
        this.agents.track(s.filer, s.agentAddress!);
        run.agents.set(key, {
          filer: s.filer,
          address: s.agentAddress!,
          ...parsed,
          heartbeatPort: parsed.port,
          desiredGeneration: s.desiredGeneration,
          led: false,
          leading: undefined,
          lastError: before?.lastError ?? '',
        });
      } else {
        before.desiredGeneration = s.desiredGeneration;
      }
    }
    for (const key of run.agents.keys()) {
      if (!seen.has(key)) {
        changed = true;
        run.agents.delete(key);
      }
    }
    if (changed) {
      this.changed();
    }
    return [...run.agents.values()].filter((a) => !a.led).map((a) => this.lead(a.filer));
  }

  /** Agent.Lead on `filer`'s agent (once at a time). */
  lead(filer: string): Promise<void> {
    const run = this.run;
    const agent = run?.agents.get(filer.toLowerCase());
    if (run === undefined || agent === undefined) {
      return Promise.resolve();
    }
    agent.leading ??= this.leadOnce(run, agent).finally(() => {
      agent.leading = undefined;
    });
    return agent.leading;
  }

  /**
   * `filer`'s agent stopped answering: it may come back restarted, without the key, so it is
   * led again at the next refresh (a NO_KEY answer does the same sooner).
   */
  unled(filer: string): void {
    const agent = this.run?.agents.get(filer.toLowerCase());
    if (agent !== undefined) {
      agent.led = false;
    }
  }

  async takeover(
    filer: string,
    change: { readonly activate?: readonly string[]; readonly deactivate?: readonly string[] },
    epoch: string,
  ): Promise<TakeoverResponse__Output> {
    const agent = this.run?.agents.get(filer.toLowerCase());
    if (agent === undefined) {
      throw new Error(`no agent has joined as filer ${filer}`);
    }
    // Before it is sent: a spec compiled from the old placement must not undo it meanwhile.
    this.gate.took(filer, change);
    return this.agents.takeover(
      agent.address,
      { epoch, activate: [...(change.activate ?? [])], deactivate: [...(change.deactivate ?? [])] },
      TAKEOVER_DEADLINE_MS,
    );
  }

  /** Brings `filer` up to date (a reconcile job); never throws. */
  reconcile(filer: string): Promise<void> {
    return this.queue.enqueue([filer]);
  }

  private async leadOnce(run: Run, agent: Agent): Promise<void> {
    const { pipeline, failover } = this.config;
    try {
      const answer = await this.agents.lead(
        agent.address,
        {
          epoch: run.epoch,
          heartbeatKey: Buffer.from(run.key),
          leaseMs: pipeline.leaderLeaseMs,
          fenceAfterMs: failover.fenceAfterMs,
          heartbeatIntervalMs: failover.heartbeatIntervalMs,
        },
        LEAD_DEADLINE_MS,
      );
      if (this.run !== run) {
        return;
      }
      agent.led = true;
      agent.lastError = '';
      if (answer.heartbeatPort !== 0 && answer.heartbeatPort !== agent.heartbeatPort) {
        agent.heartbeatPort = answer.heartbeatPort;
        this.changed();
      }
      const behind = BigInt(answer.generation) < BigInt(agent.desiredGeneration);
      if (answer.fenced || behind) {
        await this.reconcile(agent.filer);
      }
    } catch (err) {
      const message = errorText(err);
      if (message !== agent.lastError) {
        this.logger.warn(
          `Agent.Lead of filer ${agent.filer} failed (tried again shortly): ${message}`,
        );
      }
      agent.lastError = message;
    }
  }
}

/** `host:port` or `[v6]:port`; `undefined` when it is neither. */
export function hostPort(address: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address);
  const port = Number(m?.[3]);
  const host = m?.[1] ?? m?.[2];
  return host === undefined || !(port >= 1 && port <= 65_535) ? undefined : { host, port };
}
