/**
 * vsnet's side of the failover benchmark, on the failover lab of the lab tests
 * (test/lab/support/failover-lab.ts: three filers, two control replicas and the agents inside
 * the filers' namespaces). A fault is the loss of the filer holding vs_mgmt, with the leader
 * elsewhere: its cables cut at the switch and its agent SIGKILLed, at a random phase of the
 * heartbeat interval. The phases come from the failover the leader recorded.
 */
import { statSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type {
  FailoverProfile,
  FailoverRecord,
  FailoverStatus,
} from '../../lab/support/failover-lab.js';
import {
  FailoverLab,
  FILERS,
  healthOf,
  PROBE_PORT,
  REPLICA_FILER,
  VS_MGMT,
  VS_MGMT_ADDRESS,
} from '../../lab/support/failover-lab.js';
import { sleep } from './cables.js';
import type { Probe, Responder } from './probe.js';
import { monotonicMs, startResponder } from './probe.js';
import type { Phases, Trial } from './trials.js';
import { waitSteady } from './trials.js';

const RECOVERY_TIMEOUT_MS = 20_000;
const READY_TIMEOUT_MS = 60_000;
const MOVE_RETRIES = 5;

export interface VsnetBench {
  /** Every namespace of the lab starts with `<prefix>-`. */
  readonly prefix: string;
  run(trials: number, onTrial: (t: Trial, i: number) => void): Promise<Trial[]>;
  /** Ends every process and removes the lab, its database and files; safe to call twice. */
  teardown(): Promise<void>;
}

/** Starts the failover lab with the replicas on `profile`, the responders and the probe. */
export async function startVsnetBench(
  label: string,
  profile: FailoverProfile,
): Promise<VsnetBench> {
  const lab = await FailoverLab.start({ label, profile });
  const responders = new Map<string, Responder>();
  const teardown = async (): Promise<void> => {
    await Promise.all([...responders.values()].map((r) => r.stop()));
    responders.clear();
    await lab.teardown();
  };
  let probe: Probe;
  try {
    await ensureResponders(lab, responders);
    probe = await lab.startProbe();
  } catch (err) {
    await teardown();
    throw err;
  }
  return {
    prefix: lab.prefix,
    teardown,
    async run(trials, onTrial) {
      const results: Trial[] = [];
      const seen = { failoverId: 0n };
      for (let i = 0; i < trials; i++) {
        const trial = await oneTrial(lab, probe, responders, seen);
        results.push(trial);
        onTrial(trial, i);
      }
      return results;
    },
  };
}

async function oneTrial(
  lab: FailoverLab,
  probe: Probe,
  responders: Map<string, Responder>,
  /** The newest failover the trials have accounted for: any other filer loss was false. */
  seen: { failoverId: bigint },
): Promise<Trial> {
  const started = performance.now();
  const before = await ready(lab, probe, responders);
  let falseLosses = filerLossesAfter(before, seen.failoverId).length;
  const readyAt = performance.now();
  const { lost, moveRetries } = await holderAwayFromLeader(lab, probe, responders);
  const movedAt = performance.now();
  const interval = before.heartbeat?.intervalMs ?? 20;
  await sleep(Math.random() * interval);

  const markMs = probe.mark();
  await lab.cutFiler(lost);
  const cutMs = monotonicMs();
  await lab.killAgent(lost);
  // Nothing reaches the lost filer any more: a success now is another filer answering.
  await probe.waitForSuccess(cutMs, RECOVERY_TIMEOUT_MS);
  await sleep(300);
  await probe.settle();
  const outage = probe.outageSince(markMs);
  const { phases, failoverId, status } = await phasesOf(lab, lost, newestId(before));
  falseLosses += filerLossesAfter(status, newestId(before)).filter(
    (f) => BigInt(f.id) !== failoverId,
  ).length;
  seen.failoverId = newestId(status);

  const healStarted = performance.now();
  const fenced = await heal(lab, lost);
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  const note =
    `ready ${s(readyAt - started)}, move ${s(movedAt - readyAt)}, heal ${s(performance.now() - healStarted)}` +
    (moveRetries > 0
      ? `; the move off the leader's filer was refused ${moveRetries}× (target not up)`
      : '') +
    (fenced ? '' : `; ${lost}'s agent had not fenced itself when its cables went back`) +
    (falseLosses > 0 ? `; ${falseLosses} FALSE filer-loss failovers besides` : '');
  return { outageMs: outage.outageMs, failed: outage.failed, from: lost, phases, note };
}

/**
 * Waits until every filer is up for the leader (a healed filer is `recovering` for the
 * up-hold), has applied its spec, a responder runs in every vs_mgmt namespace, and the client
 * gets through steadily.
 */
async function ready(
  lab: FailoverLab,
  probe: Probe,
  responders: Map<string, Responder>,
): Promise<FailoverStatus> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let status = await lab.failoverStatus();
  while (FILERS.some((f) => healthOf(status, f) !== 'FILER_HEALTH_STATE_UP')) {
    if (Date.now() > deadline) {
      throw new Error(
        `not every filer is up after ${READY_TIMEOUT_MS} ms: ${FILERS.map((f) => `${f} ${healthOf(status, f)}`).join(', ')}`,
      );
    }
    await sleep(100);
    status = await lab.failoverStatus();
  }
  await lab.waitConverged(READY_TIMEOUT_MS);
  await ensureResponders(lab, responders);
  await waitSteady(probe, READY_TIMEOUT_MS);
  return status;
}

/**
 * The filer to lose: the one holding vs_mgmt, after moving vs_mgmt off the leader's filer
 * when it is there (losing the leader too is another scenario). The move needs its target
 * `up`: a busy machine can have the leader see it `agent-down` for a moment (its heartbeats
 * late, its kernel answering), so a refused move waits for every filer up and tries again.
 */
async function holderAwayFromLeader(
  lab: FailoverLab,
  probe: Probe,
  responders: Map<string, Responder>,
): Promise<{ lost: string; moveRetries: number }> {
  let refused = 0;
  for (;;) {
    const holder = await lab.vsvrHolder();
    const leader = (await lab.leader()).replica;
    if (holder === undefined || leader === undefined) {
      throw new Error(`nobody holds ${VS_MGMT} (${holder}) or leads (${leader})`);
    }
    const leaderFiler = REPLICA_FILER[leader];
    if (holder !== leaderFiler) {
      return { lost: holder, moveRetries: refused };
    }
    const to = FILERS.find((f) => f !== holder && f !== leaderFiler) ?? 'filer3';
    const moved = await lab.rpc('FailoverService', 'moveVsvr', { vsvr: VS_MGMT, filer: to });
    if (!moved.ok) {
      if (moved.err.code !== grpc.status.FAILED_PRECONDITION || refused >= MOVE_RETRIES) {
        throw moved.err;
      }
      refused += 1;
      await ready(lab, probe, responders);
      continue;
    }
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while ((await lab.vsvrHolder()) !== to) {
      if (Date.now() > deadline) {
        throw new Error(`${VS_MGMT} did not move to ${to}`);
      }
      await sleep(50);
    }
    await lab.waitConverged(READY_TIMEOUT_MS);
    await waitSteady(probe, READY_TIMEOUT_MS);
  }
}

const newestId = (status: FailoverStatus): bigint =>
  status.recent.reduce((max, f) => (BigInt(f.id) > max ? BigInt(f.id) : max), 0n);

const filerLossesAfter = (status: FailoverStatus, id: bigint): FailoverRecord[] =>
  status.recent.filter((f) => BigInt(f.id) > id && f.kind === 'FAILOVER_KIND_FILER_LOST');

/** The phases of vs_mgmt's move in the failover the loss of `filer` caused, once committed. */
async function phasesOf(
  lab: FailoverLab,
  filer: string,
  after: bigint,
): Promise<{ phases: Phases; failoverId: bigint; status: FailoverStatus }> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const status = await lab.failoverStatus();
    const failover: FailoverRecord | undefined = status.recent.find(
      (f) => BigInt(f.id) > after && f.kind === 'FAILOVER_KIND_FILER_LOST' && f.filer === filer,
    );
    const move = failover?.moves.find((m) => m.vsvr === VS_MGMT);
    if (failover !== undefined && move !== undefined && Number(move.committedMs) > 0) {
      if (move.error !== '') {
        throw new Error(`the failover of ${VS_MGMT} from ${filer} failed: ${move.error}`);
      }
      const phases = {
        detection: Number(failover.detectionMs),
        targetChosen: Number(move.targetChosenMs),
        plumbed: Number(move.plumbedMs),
        announced: Number(move.announcedMs),
        committed: Number(move.committedMs),
      };
      return { phases, failoverId: BigInt(failover.id), status };
    }
    if (Date.now() > deadline) {
      throw new Error(`no committed failover of ${filer} recorded after ${READY_TIMEOUT_MS} ms`);
    }
    await sleep(100);
  }
}

/**
 * Brings the lost filer back without a duplicate address: its kernel still holds vs_mgmt's
 * address (a cut filer is not fenced), so its agent restarts while the cables are still out
 * and withdraws the vsvr addresses once it has heard no leader for fence-after; only then
 * are the cables plugged back in and the leader's Apply says what runs there. False when the
 * agent had not withdrawn vs_mgmt's address a few seconds after fence-after (the cables go
 * back anyway; the leader's FENCE_NOW is then what withdraws it).
 */
async function heal(lab: FailoverLab, filer: string): Promise<boolean> {
  await lab.startAgent(filer, { join: false });
  const status = await lab.failoverStatus();
  const fenceAfterMs = status.heartbeat?.fenceAfterMs ?? 3_000;
  // The agent checks its silence on a timer: the fence comes a little after fence-after.
  const deadline = Date.now() + fenceAfterMs + 3_000;
  let fenced = true;
  while ((await lab.vsvrHolders(VS_MGMT, VS_MGMT_ADDRESS)).includes(filer)) {
    if (Date.now() > deadline) {
      fenced = false;
      break;
    }
    await sleep(100);
  }
  await lab.healFiler(filer);
  return fenced;
}

/**
 * A responder in every vs_mgmt namespace (the holder's and the pre-staged standbys'), so
 * whichever filer holds the address answers; started again where it died, or where its
 * namespace was made anew (it would answer in the old one).
 */
async function ensureResponders(
  lab: FailoverLab,
  responders: Map<string, Responder>,
): Promise<void> {
  for (const filer of FILERS) {
    const ns = lab.vsvrNamespace(filer, VS_MGMT);
    const nsInode = inode(`/run/netns/${ns}`);
    if (nsInode === undefined) {
      continue;
    }
    const r = responders.get(ns);
    if (r?.running === true && inode(`/proc/${r.pid}/ns/net`) === nsInode) {
      continue;
    }
    await r?.stop();
    responders.set(ns, await startResponder({ namespace: ns, port: PROBE_PORT }));
  }
}

function inode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}
