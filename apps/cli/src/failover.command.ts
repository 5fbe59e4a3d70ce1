import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { mutatingVerb, waitForChange } from './change-wait.js';
import type { CliIo } from './cli-io.js';
import type { OnlineOptions } from './online.js';
import {
  emit,
  formatTime,
  onlineVerb,
  parseCount,
  READ_FORMATS,
  renderFields,
  verbGroup,
  WRITE_FORMATS,
} from './online.js';
import type { Palette } from './output.js';
import { unary, withServer } from './server-client.js';
import { renderTable } from './table.js';
import type {
  Failover__Output,
  FilerHealth__Output,
  GetFailoverStatusResponse__Output,
  HeartbeatSettings__Output,
  Leader__Output,
  MoveVsvrResponse__Output,
  VsvrPlacement__Output,
} from './wire-types.js';

// `vsnet failover status` and `vsnet vsvr move` (FailoverService, decision 0006): who leads,
// which filers are up, where every vsvr runs, and the last failovers with the time each phase
// took: detected → target chosen → plumbed → announced → committed.

const DEFAULT_RECENT = 10;
/** FailoverService's most recent failovers in one answer. */
const MAX_RECENT = 100;

interface StatusOptions extends OnlineOptions {
  readonly recent: number;
}

interface MoveOptions extends OnlineOptions {
  readonly to: string;
  readonly expectedGeneration?: number;
}

/** `vsnet failover status`. */
export function registerFailoverCommands(program: Command, io: CliIo): void {
  const failover = verbGroup(
    program,
    'failover',
    'who leads the control service, which filers are up, where each vsvr runs, the last failovers',
  );
  onlineVerb(
    failover
      .command('status')
      .description(
        'show the leader, heartbeat settings, every filer and vsvr, and the recent failovers with the time of each phase',
      )
      .addOption(
        new Option('--recent <n>', `how many recent failovers to show (0–${MAX_RECENT})`)
          .default(DEFAULT_RECENT)
          .argParser((value: string) => {
            const n = Number(value);
            if (!/^\d+$/.test(value) || n > MAX_RECENT) {
              throw new InvalidArgumentError(`expected a whole number from 0 to ${MAX_RECENT}`);
            }
            return n;
          }),
      )
      .addOption(new Option('--json', 'print JSON (the same as -o json)')),
    READ_FORMATS,
    ['vsnet failover status', 'vsnet failover status --recent 50 --json'],
  ).action(async (options: StatusOptions & { json?: boolean }) => {
    // `recent: 0` on the wire means the default: zero asked for is simply not shown.
    const res = await withServer(options, io, (call) =>
      unary<GetFailoverStatusResponse__Output>(call, (m, o, cb) =>
        call.client('FailoverService').getFailoverStatus({ recent: options.recent }, m, o, cb),
      ),
    );
    const shown = { ...res, recent: res.recent.slice(0, options.recent) };
    emit(io, options.json === true ? 'json' : options.output, shown, (palette) =>
      renderFailoverStatus(shown, palette),
    );
  });
}

/** `vsnet vsvr move`, registered in the `vsvr` group. */
export function registerVsvrMoveCommand(vsvr: Command, io: CliIo): void {
  mutatingVerb(
    vsvr
      .command('move')
      .description(
        'move a vsvr to another filer of its failover group: withdrawn where it runs, plumbed and announced there, then committed',
      )
      .argument('<name>', 'the vsvr')
      .requiredOption('--to <filer>', 'the filer to run it on (its home filer sends it back)')
      .addOption(
        new Option(
          '--expected-generation <g>',
          'refuse unless the cluster is still at this generation',
        ).argParser(parseCount('--expected-generation')),
      ),
    WRITE_FORMATS,
    ['vsnet vsvr move sales --to filer2', 'vsnet vsvr move sales --to filer1 --wait'],
  ).action(async (name: string, options: MoveOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<MoveVsvrResponse__Output>(call, (m, o, cb) =>
        call.client('FailoverService').moveVsvr(
          {
            vsvr: name,
            filer: options.to,
            ...(options.expectedGeneration !== undefined
              ? { expectedGeneration: options.expectedGeneration }
              : {}),
          },
          m,
          o,
          cb,
        ),
      ),
    );
    emit(io, options.output, res, (palette) => renderMove(res, name, options.to, palette));
    await waitForChange(io, options, res.generation);
  });
}

/** `FILER_HEALTH_STATE_AGENT_DOWN` → `agent-down`, `PLACEMENT_REASON_HOME` → `home`. */
export function enumName(value: string): string {
  return value
    .replace(/^(FILER_HEALTH_STATE|PLACEMENT_REASON|FAILOVER_KIND)_/, '')
    .toLowerCase()
    .replace(/_/g, '-');
}

function healthColour(state: string, palette: Palette): string {
  switch (state) {
    case 'up':
      return palette.green(state);
    case 'recovering':
    case 'agent-down':
    case 'unknown':
      return palette.yellow(state);
    default:
      return palette.red(state);
  }
}

/** A phase's time after detection, `-` when it was not reached. */
export function phaseMs(ms: number): string {
  return ms > 0 ? ms.toFixed(1) : '-';
}

function leaderText(leader: Leader__Output | null): string {
  if (leader === null || leader.holder === '') {
    return 'none (no control replica holds the lease)';
  }
  const at = leader.endpoint === '' ? '' : ` at ${leader.endpoint}`;
  return `${leader.holder} (epoch ${leader.epoch})${at}, lease until ${formatTime(leader.expiresUnixMs)}`;
}

function heartbeatText(h: HeartbeatSettings__Output | null): string | undefined {
  if (h === null) {
    return undefined;
  }
  return (
    `${h.profile}: a ping every ${h.intervalMs} ms, ${h.misses} missed and a silent kernel ` +
    `(probe ${h.kernelProbeTimeoutMs} ms) is down, up again after ${h.upHoldMs} ms; ` +
    `lease ${h.leaseMs} ms, fence after ${h.fenceAfterMs} ms`
  );
}

function filersTable(filers: readonly FilerHealth__Output[], palette: Palette): string {
  if (filers.length === 0) {
    return '  none';
  }
  return renderTable(
    [
      { header: 'FILER', style: palette.cyan },
      { header: 'STATE', style: (s) => healthColour(s, palette) },
      { header: 'SINCE', style: palette.dim },
      { header: 'FENCED' },
      { header: 'GEN', align: 'right' },
    ],
    filers.map((f) => [
      f.filer,
      enumName(f.state),
      formatTime(f.sinceUnixMs),
      f.fenced ? 'yes' : 'no',
      f.generation === '0' ? '' : f.generation,
    ]),
    palette,
    { indent: 2 },
  ).trimEnd();
}

function failbackText(v: VsvrPlacement__Output): string {
  return v.failback === 'auto' ? `auto after ${v.failbackHoldDownSeconds} s` : v.failback;
}

function vsvrsTable(vsvrs: readonly VsvrPlacement__Output[], palette: Palette): string {
  if (vsvrs.length === 0) {
    return '  none';
  }
  return renderTable(
    [
      { header: 'VSVR', style: palette.cyan },
      { header: 'RUNS ON' },
      { header: 'HOME' },
      { header: 'REASON', style: (s) => (s === 'home' ? s : palette.yellow(s)) },
      { header: 'SINCE', style: palette.dim },
      { header: 'FAILBACK' },
    ],
    vsvrs.map((v) => [
      v.vsvr,
      v.filer === '' ? '(nowhere)' : v.filer,
      v.home,
      enumName(v.reason),
      formatTime(v.sinceUnixMs),
      failbackText(v),
    ]),
    palette,
    { indent: 2 },
  ).trimEnd();
}

/**
 * One failover: a headline (what, when, by whom, the generation it committed), then per vsvr
 * the time of each phase in ms after detection.
 */
export function renderFailover(f: Failover__Output, palette: Palette, indent = 0): string {
  const kind = enumName(f.kind);
  const what =
    kind === 'filer-lost' ? `${f.filer} lost` : kind === 'move' ? 'moved' : 'reverted home';
  const detection =
    kind === 'filer-lost' && f.detectionMs > 0
      ? `, detected ${f.detectionMs.toFixed(1)} ms after its last answer`
      : '';
  const committed = f.generation === '0' ? 'nothing committed' : `generation ${f.generation}`;
  const pad = ' '.repeat(indent);
  const head = `${pad}${palette.bold(`#${f.id}`)} ${what} at ${formatTime(f.detectedUnixMs)} by ${f.principal} (epoch ${f.epoch})${detection}; ${committed}`;
  if (f.moves.length === 0) {
    return head;
  }
  const table = renderTable(
    [
      { header: 'VSVR', style: palette.cyan },
      { header: 'FROM' },
      { header: 'TO' },
      { header: 'CHOSEN', align: 'right' },
      { header: 'PLUMBED', align: 'right' },
      { header: 'ANNOUNCED', align: 'right' },
      { header: 'COMMITTED', align: 'right' },
      { header: 'ERROR', style: palette.red, optional: true },
    ],
    f.moves.map((m) => [
      m.vsvr,
      m.from,
      m.to === '' ? '(none)' : m.to,
      phaseMs(m.targetChosenMs),
      phaseMs(m.plumbedMs),
      phaseMs(m.announcedMs),
      phaseMs(m.committedMs),
      m.error,
    ]),
    palette,
    { indent: indent + 2 },
  ).trimEnd();
  return `${head}\n${table}`;
}

/** `vsnet failover status` for a person. */
export function renderFailoverStatus(
  res: GetFailoverStatusResponse__Output,
  palette: Palette,
): string {
  const fields = renderFields(
    [
      ['leader', leaderText(res.leader)],
      ['heartbeat', heartbeatText(res.heartbeat)],
      ['generation', res.generation],
    ],
    palette,
  );
  const recent =
    res.recent.length === 0
      ? [`${palette.bold('recent failovers:')} none`]
      : [
          `${palette.bold('recent failovers')} (ms after detection):`,
          ...res.recent.map((f) => renderFailover(f, palette, 2)),
        ];
  return [
    fields,
    palette.bold('filers:'),
    filersTable(res.filers, palette),
    palette.bold('vsvrs:'),
    vsvrsTable(res.vsvrs, palette),
    ...recent,
  ].join('\n');
}

/** What `vsnet vsvr move` prints: one line, then the timeline of the move. */
export function renderMove(
  res: MoveVsvrResponse__Output,
  vsvr: string,
  filer: string,
  palette: Palette,
): string {
  const move = res.failover?.moves.find((m) => m.vsvr.toLowerCase() === vsvr.toLowerCase());
  const line = `moved ${move?.vsvr ?? vsvr} from ${move?.from ?? '?'} to ${move?.to || filer}; generation ${res.generation}`;
  return res.failover === null ? line : `${line}\n${renderFailover(res.failover, palette)}`;
}
