/**
 * The peer to beat (LAB.md "Failover figures"): keepalived VRRP v3 moving a virtual address
 * between two filers on one bridge, measured by the same probe in the same kind of lab as
 * vsnet. A fault is a dead filer: keepalived SIGKILLed and the filer's cable pulled at the
 * switch, at a random point of the advert cycle. Every keepalived runs inside a filer namespace
 * with its own configuration and pid files, and is ended by its pids.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabDescription } from '../../../deploy/lab/src/lab-description.js';
import { Lab } from '../../../deploy/lab/src/lab.js';
import { ipBatch, ipJson } from '../../../deploy/lab/src/run.js';
import { cutCables, plugCables, sleep } from './cables.js';
import type { Probe, Responder } from './probe.js';
import { monotonicMs, startProbe, startResponder } from './probe.js';
import type { Trial } from './trials.js';
import { waitSteady } from './trials.js';

const FILERS = ['filer1', 'filer2'] as const;
type Filer = (typeof FILERS)[number];
const SUBNET = '198.18.60';
const VIRTUAL_ADDRESS = `${SUBNET}.10`;
const PORT = 7710;
const START_TIMEOUT_MS = 10_000;

/** Two filers and a client on one segment; filerN at .N, the client at .100. */
function vrrpLabDescription(prefix: string): LabDescription {
  return {
    prefix,
    segments: ['lan'],
    filers: FILERS.map((name) => ({ name, ports: [{ eth: 'eth0', segment: 'lan' }] })),
    clients: [{ name: 'client', segment: 'lan', addresses: [`${SUBNET}.100/24`] }],
  };
}

/**
 * keepalived's configuration: both start BACKUP with `nopreempt`, so a filer that comes back
 * stays standby and the next fault hits wherever the address is now. Sub-second adverts need
 * VRRP v3. GARP settings are keepalived's defaults, as in LAB.md.
 */
export function keepalivedConfig(filer: string, priority: number, advertS: number): string {
  return `global_defs {
  router_id ${filer}
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  nopreempt
  interface eth0
  virtual_router_id 51
  priority ${priority}
  advert_int ${advertS}
  virtual_ipaddress { ${VIRTUAL_ADDRESS}/24 dev eth0 }
}
`;
}

/** Installs keepalived when it is missing (the benchmark only; no test needs it). */
export function ensureKeepalived(log: (line: string) => void): void {
  if (spawnSync('keepalived', ['--version']).status === 0) {
    return;
  }
  log('keepalived is not installed: apt-get install -y --no-install-recommends keepalived');
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'keepalived'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0 || spawnSync('keepalived', ['--version']).status !== 0) {
    throw new Error(
      `could not install keepalived (${r.stderr || r.error?.message}); install it yourself: apt-get install keepalived`,
    );
  }
}

/** One keepalived (a parent and its VRRP child), started inside a filer namespace. */
class Keepalived {
  private readonly child: ChildProcess;
  private output = '';
  private vrrpPid: number | undefined;
  private readonly exited: Promise<void>;
  private alive = true;

  constructor(
    readonly filer: Filer,
    namespace: string,
    dir: string,
    advertS: number,
    run: number,
  ) {
    const conf = join(dir, `${filer}.conf`);
    writeFileSync(conf, keepalivedConfig(filer, filer === 'filer1' ? 101 : 100, advertS));
    // -n: no daemon (we hold the parent's pid); -l -G: log to our pipe, not syslog; -P: VRRP
    // only; -R: a dead VRRP child is not respawned.
    this.child = spawn(
      'ip',
      [
        ...['netns', 'exec', namespace, 'keepalived', '-n', '-l', '-G', '-P', '-R', '-f', conf],
        // Fresh pid files each start: keepalived refuses to start over one whose pid (a
        // killed child not reaped yet) still exists.
        ...['-p', join(dir, `${filer}-${run}.pid`), '-r', join(dir, `${filer}-${run}-vrrp.pid`)],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const append = (d: string): void => {
      this.output += d;
      const m = /Starting VRRP child process, pid=(\d+)/.exec(this.output);
      this.vrrpPid ??= m ? Number(m[1]) : undefined;
    };
    this.child.stdout?.setEncoding('utf8').on('data', append);
    this.child.stderr?.setEncoding('utf8').on('data', append);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', () => {
        this.alive = false;
        resolve();
      }),
    );
  }

  /** Waits until the instance has entered a VRRP state (BACKUP or MASTER). */
  async started(): Promise<void> {
    const deadline = performance.now() + START_TIMEOUT_MS;
    while (!/Entering (BACKUP|MASTER) STATE/.test(this.output) || this.vrrpPid === undefined) {
      if (!this.alive || performance.now() > deadline) {
        throw new Error(`keepalived on ${this.filer} did not start:\n${this.output}`);
      }
      await sleep(10);
    }
  }

  /** How many VRRP state changes it has logged so far. */
  transitions(): number {
    return (this.output.match(/Entering \w+ STATE/g) ?? []).length;
  }

  /**
   * SIGKILL to the VRRP child, then to the parent, by pid: a crash, nothing released. The child
   * goes first: it takes its parent's death as a SIGTERM and would release the address.
   */
  kill(): Promise<void> {
    for (const pid of [this.vrrpPid, this.child.pid]) {
      try {
        if (pid !== undefined) {
          process.kill(pid, 'SIGKILL');
        }
      } catch {
        // already gone
      }
    }
    return this.exited;
  }
}

export interface VrrpBench {
  /** Runs `trials` filer losses at `advertS` (keepalived restarted with that interval). */
  run(advertS: number, trials: number, onTrial: (t: Trial, i: number) => void): Promise<Trial[]>;
  /** Stops every process and removes the lab and the files; safe to call twice. */
  teardown(): Promise<void>;
}

/** Builds the VRRP lab with namespaces `<prefix>-…`, a responder per filer and the probe. */
export async function startVrrpBench(prefix: string): Promise<VrrpBench> {
  const lab = await Lab.build(vrrpLabDescription(prefix));
  const dir = mkdtempSync(join(tmpdir(), 'vsnet-bench-keepalived-'));
  const daemons = new Map<Filer, Keepalived>();
  let starts = 0;
  const responders: Responder[] = [];
  let probe: Probe | undefined;
  const teardown = async (): Promise<void> => {
    await Promise.all([...daemons.values()].map((d) => d.kill()));
    daemons.clear();
    await Promise.all([probe?.stop(), ...responders.map((r) => r.stop())]);
    responders.length = 0;
    await lab.teardown();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(
      FILERS.map((f, i) =>
        ipBatch([`addr add ${SUBNET}.${i + 1}/24 dev eth0`], {
          namespace: lab.filerNamespace(f),
        }),
      ),
    );
    for (const f of FILERS) {
      responders.push(await startResponder({ namespace: lab.filerNamespace(f), port: PORT }));
    }
    probe = await startProbe({
      namespace: lab.clientNamespace('client'),
      address: VIRTUAL_ADDRESS,
      port: PORT,
    });
  } catch (err) {
    await teardown();
    throw err;
  }
  const theProbe = probe;

  const holders = async (): Promise<Filer[]> => {
    const held = await Promise.all(
      FILERS.map(async (f) => {
        const infos = await ipJson<{ addr_info: { local: string }[] }>([
          '-n',
          lab.filerNamespace(f),
          'address',
          'show',
          'dev',
          'eth0',
        ]);
        return infos.some((i) => i.addr_info.some((a) => a.local === VIRTUAL_ADDRESS));
      }),
    );
    return FILERS.filter((_, i) => held[i]);
  };

  let lastStartMs = 0;
  const startDaemon = async (filer: Filer, advertS: number): Promise<void> => {
    const d = new Keepalived(filer, lab.filerNamespace(filer), dir, advertS, ++starts);
    daemons.set(filer, d);
    await d.started();
    lastStartMs = performance.now();
  };

  const transitions = (): number =>
    [...daemons.values()].reduce((sum, d) => sum + d.transitions(), 0);

  /**
   * Waits until exactly one filer holds the address, the last keepalived started has run for
   * longer than VRRP's master-down interval (3 adverts and a skew: it has settled as backup),
   * and the client gets through. Returns the master and the VRRP state changes so far: a
   * trial whose fault comes after another change is spoiled.
   */
  const settled = async (advertS: number): Promise<{ master: Filer; quiet: number }> => {
    const masterDownMs = 3_700 * advertS + 100;
    const deadline = performance.now() + masterDownMs + 10_000;
    for (;;) {
      const held = await holders();
      const [one] = held;
      if (
        held.length === 1 &&
        one !== undefined &&
        performance.now() > lastStartMs + masterDownMs
      ) {
        const quiet = transitions();
        await waitSteady(theProbe, 10_000);
        return { master: one, quiet };
      }
      if (performance.now() > deadline) {
        throw new Error(`the virtual address is held by ${held.length} filers: ${held.join(', ')}`);
      }
      await sleep(Math.min(100, masterDownMs / 4));
    }
  };

  return {
    teardown,
    async run(advertS, trials, onTrial) {
      await Promise.all([...daemons.values()].map((d) => d.kill()));
      daemons.clear();
      // Whoever starts first becomes master after its master-down interval; the other
      // then hears its adverts and stays backup.
      await startDaemon('filer1', advertS);
      await startDaemon('filer2', advertS);
      const results: Trial[] = [];
      let spoiled = 0;
      let noted = 0;
      while (results.length < trials) {
        if (spoiled > trials) {
          throw new Error(
            `${spoiled} trials spoiled by VRRP state changes nobody caused: the machine is too busy for advert_int ${advertS}`,
          );
        }
        const { master, quiet } = await settled(advertS);
        await sleep(Math.random() * advertS * 1000);
        if (transitions() !== quiet) {
          spoiled += 1; // the address moved (or nearly) on its own: no fault on top of that
          continue;
        }
        const markMs = theProbe.mark();
        await daemons.get(master)?.kill();
        await cutCables(lab, master);
        const faultDoneMs = monotonicMs();
        await theProbe.waitForSuccess(faultDoneMs, 10_000 + 5_000 * advertS);
        await sleep(300);
        await theProbe.settle();
        const outage = theProbe.outageSince(markMs);
        // A crash leaves the address on the dead filer. Gone: it had lost mastership on its
        // own just before the kill, and the trial measured that, not the crash.
        const crashed = (await holders()).includes(master);
        if (crashed) {
          const trial: Trial = {
            outageMs: outage.outageMs,
            failed: outage.failed,
            from: master,
            ...(spoiled > noted
              ? {
                  note: `${spoiled - noted} trials before it spoiled by VRRP state changes nobody caused`,
                }
              : {}),
          };
          noted = spoiled;
          results.push(trial);
          onTrial(trial, results.length - 1);
          // The dead filer comes back without the address, then as a backup.
          await ipBatch([`addr del ${VIRTUAL_ADDRESS}/24 dev eth0`], {
            namespace: lab.filerNamespace(master),
          });
        } else {
          spoiled += 1;
        }
        await plugCables(lab, master);
        await startDaemon(master, advertS);
      }
      await settled(advertS);
      return results;
    },
  };
}
