import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { rpcShortName } from './audit.command.js';
import { filerLine, stateColour, stateName } from './change-wait.js';
import type { CliIo } from './cli-io.js';
import { emit, formatTime, onlineVerb, READ_FORMATS, renderFields, verbGroup } from './online.js';
import type { OnlineOptions } from './online.js';
import type { Palette } from './output.js';
import { unary, withServer } from './server-client.js';
import type { ServerCall } from './server-client.js';
import { renderTable } from './table.js';
import type {
  ChangeRecord__Output,
  GetChangeResponse__Output,
  ListChangesResponse__Output,
} from './wire-types.js';

/** The server's most changes per page, so the most `--limit` may ask for in one page. */
const MAX_PAGE = 1000;
const DEFAULT_CHANGES_LIMIT = 20;
const MAX_CHANGES_LIMIT = 10_000;

interface ChangesOptions extends OnlineOptions {
  readonly limit: number;
}

/** A positive generation as the wire takes it (a decimal string, as large as uint64). */
function parseGeneration(value: string): string {
  if (!/^[1-9]\d{0,19}$/.test(value)) {
    throw new InvalidArgumentError(
      'expected a generation, a whole number from 1 (vsnet changes lists them)',
    );
  }
  return value;
}

/** `vsnet changes` and `vsnet change show`: committed changes on their way to the kernels. */
export function registerChangeCommands(program: Command, io: CliIo): void {
  onlineVerb(
    program
      .command('changes')
      .description('list recent changes, newest first, with whether every filer has applied them')
      .addOption(
        new Option('--limit <n>', `at most this many changes (1–${MAX_CHANGES_LIMIT})`)
          .default(DEFAULT_CHANGES_LIMIT)
          .argParser((value: string) => {
            const n = Number(value);
            if (!Number.isInteger(n) || n < 1 || n > MAX_CHANGES_LIMIT) {
              throw new InvalidArgumentError(
                `expected a whole number from 1 to ${MAX_CHANGES_LIMIT}`,
              );
            }
            return n;
          }),
      ),
    READ_FORMATS,
    ['vsnet changes', 'vsnet changes --limit 100 -o json'],
  ).action(async (options: ChangesOptions) => {
    const changes = await withServer(options, io, (call) => listChanges(call, options.limit));
    emit(io, options.output, { changes }, (palette) => renderChanges(changes, palette));
  });

  const change = verbGroup(
    program,
    'change',
    'one committed change and its progress on each filer',
  );

  onlineVerb(
    change
      .command('show')
      .description('show one change: who made it, and each affected filer with its state and error')
      .argument('<generation>', 'the generation the change produced', parseGeneration),
    READ_FORMATS,
    ['vsnet change show 12'],
  ).action(async (generation: string, options: OnlineOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<GetChangeResponse__Output>(call, (m, o, cb) =>
        call.client('ChangeService').getChange({ generation }, m, o, cb),
      ),
    );
    emit(io, options.output, res, (palette) =>
      res.change === null ? `no change ${generation}` : renderChange(res.change, palette),
    );
  });
}

/** Pages of ListChanges until `limit` changes or the last page. */
async function listChanges(call: ServerCall, limit: number): Promise<ChangeRecord__Output[]> {
  const all: ChangeRecord__Output[] = [];
  let pageToken = '';
  do {
    const pageSize = Math.min(MAX_PAGE, limit - all.length);
    const res = await unary<ListChangesResponse__Output>(call, (m, o, cb) =>
      call.client('ChangeService').listChanges({ pageSize, pageToken }, m, o, cb),
    );
    all.push(...res.changes);
    pageToken = res.nextPageToken;
  } while (pageToken !== '' && all.length < limit);
  return all.slice(0, limit);
}

/** `filer1, filer2 pending`: the filers a change affected, with the state of those not applied. */
function filersCell(change: ChangeRecord__Output): string {
  if (change.filers.length === 0) {
    return '(none)';
  }
  return change.filers
    .map((f) => {
      const state = stateName(f.state);
      return state === 'applied' ? f.filer : `${f.filer} ${state}`;
    })
    .join(', ');
}

/** GEN, TIME, PRINCIPAL, RPC, TARGET, STATE, FILERS. */
export function renderChanges(changes: readonly ChangeRecord__Output[], palette: Palette): string {
  if (changes.length === 0) {
    return 'no changes';
  }
  return renderTable(
    [
      { header: 'GEN', align: 'right' },
      { header: 'TIME', style: palette.dim },
      { header: 'PRINCIPAL' },
      { header: 'RPC', style: palette.cyan },
      { header: 'TARGET' },
      { header: 'STATE', style: (s) => stateColour(s, palette) },
      { header: 'FILERS' },
    ],
    changes.map((c) => [
      c.generation,
      formatTime(c.timeUnixMs),
      c.principal,
      rpcShortName(c.rpc),
      c.target,
      stateName(c.state),
      filersCell(c),
    ]),
    palette,
  );
}

/** `vsnet change show`: the change's fields, then one line per affected filer. */
export function renderChange(change: ChangeRecord__Output, palette: Palette): string {
  const fields = renderFields(
    [
      ['generation', change.generation],
      ['time', formatTime(change.timeUnixMs)],
      ['principal', change.principal],
      ['rpc', change.rpc],
      ['target', change.target],
      ['state', stateColour(stateName(change.state), palette)],
    ],
    palette,
  );
  if (change.filers.length === 0) {
    return `${fields}\n${palette.bold('filers:')} none (it changed no filer's spec)`;
  }
  const failed = change.filers.filter((f) => f.error !== '' && stateName(f.state) !== 'applied');
  const table = renderTable(
    [
      { header: 'FILER', style: palette.cyan },
      { header: 'STATE', style: (s) => stateColour(s, palette) },
      { header: 'OBSERVED', align: 'right' },
    ],
    change.filers.map((f) => [f.filer, stateName(f.state), f.observedGeneration]),
    palette,
    { indent: 2 },
  ).trimEnd();
  const errors = failed.map((f) => `  ${filerLine(f, palette)}`);
  return [
    fields,
    `${palette.bold('filers:')}`,
    table,
    ...(errors.length > 0 ? [palette.bold('errors:'), ...errors] : []),
  ].join('\n');
}
