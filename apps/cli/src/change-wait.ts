import * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { CliError, EXIT_CHANGE_FAILED, EXIT_WAIT_TIMEOUT } from './cli-io.js';
import type { CliIo, CliStream } from './cli-io.js';
import { onlineVerb, parseDuration, plural } from './online.js';
import { paletteFor } from './output.js';
import type { Palette } from './output.js';
import { isServiceError, withServer } from './server-client.js';
import type { ServerCall, ServerOptions } from './server-client.js';
import type { ChangeRecord__Output, FilerProgress__Output } from './wire-types.js';

// `--wait` on the verbs that change the cluster: a mutation answers as soon as the change is
// committed (ARCHITECTURE.md §3); the kernels catch up afterwards. Waiting follows the change
// the mutation produced with ChangeService/WatchChange until every filer it affected has
// applied it, one of them failed, or --wait-timeout passed.

export const DEFAULT_WAIT_TIMEOUT_MS = 60_000;

/** How long to pause before watching again after the service went away or ended early. */
const REWATCH_DELAY_MS = 250;

/** Progress lines longer than this are cut, so redrawing in place never miscounts wrapped lines. */
const PROGRESS_WIDTH = 78;

/** What `--wait` and `--wait-timeout` parse to. */
export interface WaitOptions {
  readonly wait?: boolean;
  /** Milliseconds; commander always sets it (default 60 s). */
  readonly waitTimeout?: number;
}

/** `60s`, `5m`, or a bare number of seconds, in milliseconds. */
export function parseWaitTimeout(value: string): number {
  const ms = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) * 1000 : parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw new InvalidArgumentError('expected a duration like 60s, 5m or 1h');
  }
  return ms;
}

/** Adds `--wait` and `--wait-timeout` to a verb that changes the cluster. */
export function withWaitOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--wait',
        'wait until every filer the change affects has applied it (exit 8: failed, 9: timed out)',
      ),
    )
    .addOption(
      new Option('--wait-timeout <duration>', 'how long --wait waits (60s, 5m)')
        .default(DEFAULT_WAIT_TIMEOUT_MS, '60s')
        .argParser(parseWaitTimeout),
    );
}

/** {@link onlineVerb} for a verb that changes the cluster: it also takes `--wait`. */
export function mutatingVerb(
  command: Command,
  formats: readonly [string, ...string[]],
  examples: readonly string[],
): Command {
  return withWaitOptions(onlineVerb(command, formats, examples));
}

/** `FILER_PROGRESS_STATE_PENDING` / `CHANGE_STATE_APPLIED` → `pending` / `applied`. */
export function stateName(state: string): string {
  return state.replace(/^(FILER_PROGRESS_STATE_|CHANGE_STATE_)/, '').toLowerCase();
}

/** A state in the colour a person reads it by. */
export function stateColour(name: string, palette: Palette): string {
  switch (name) {
    case 'applied':
      return palette.green(name);
    case 'pending':
      return palette.yellow(name);
    case 'failed':
    case 'unreachable':
      return palette.red(name);
    default:
      return name;
  }
}

/** The agent's own words on one line. */
export function errorText(error: string): string {
  return error.trim().replace(/\s*\n\s*/g, '; ');
}

/** `filer2 failed: RTNETLINK answers: File exists`, as the progress shows a filer. */
export function filerLine(f: FilerProgress__Output, palette: Palette): string {
  const state = stateName(f.state);
  const error = f.error !== '' && state !== 'applied' ? `: ${errorText(f.error)}` : '';
  return `${f.filer} ${stateColour(state, palette)}${error}`;
}

function appliedCount(change: ChangeRecord__Output): string {
  const done = change.filers.filter((f) => stateName(f.state) === 'applied').length;
  return `${done} of ${plural(change.filers.length, 'filer')} applied`;
}

/** The one line a finished, applied change gets. */
export function appliedLine(change: ChangeRecord__Output): string {
  return change.filers.length === 0
    ? `generation ${change.generation} applied (it changed no filer's spec)`
    : `generation ${change.generation} applied on ${change.filers.map((f) => f.filer).join(', ')}`;
}

/** Exit 8: the first line names the filers, then each one's error on a line of its own. */
export function failedError(change: ChangeRecord__Output): CliError {
  const failed = change.filers.filter((f) => stateName(f.state) === 'failed');
  const lines = failed.map((f) => `\n  ${f.filer}: ${errorText(f.error) || '(no error text)'}`);
  return new CliError(
    `vsnet: generation ${change.generation} failed on ${failed.map((f) => f.filer).join(', ') || 'a filer'}; ` +
      `the control service keeps retrying (vsnet change show ${change.generation} shows its progress)${lines.join('')}`,
    EXIT_CHANGE_FAILED,
  );
}

/** Exit 9: what had not applied yet when the wait ran out. */
export function timeoutError(
  generation: string,
  timeoutMs: number,
  last: ChangeRecord__Output | undefined,
): CliError {
  const behind = (last?.filers ?? [])
    .filter((f) => stateName(f.state) !== 'applied')
    .map((f) => `${f.filer} ${stateName(f.state)}`);
  const why = behind.length > 0 ? ` (${behind.join(', ')})` : '';
  return new CliError(
    `vsnet: generation ${generation} was not applied within ${timeoutMs / 1000} s${why}; ` +
      `vsnet change show ${generation} shows its progress, or raise --wait-timeout`,
    EXIT_WAIT_TIMEOUT,
  );
}

/**
 * Redraws the filers' progress in place on a terminal; elsewhere it stays silent, so a log
 * or a pipe gets only the final line.
 */
class Progress {
  private drawn = 0;
  private readonly palette: Palette;

  constructor(
    private readonly stream: CliStream,
    env: CliIo['env'],
  ) {
    this.palette = paletteFor(stream, env);
  }

  get live(): boolean {
    return this.stream.isTTY === true;
  }

  show(change: ChangeRecord__Output, footer?: string): void {
    if (!this.live) {
      return;
    }
    const lines = [
      ...change.filers.map((f) => `  ${filerLine(f, this.palette)}`),
      ...(footer !== undefined ? [footer] : []),
    ].map((l) => cut(l));
    // Cursor up over what was drawn, then clear to the end of the screen.
    const back = this.drawn > 0 ? `\x1b[${this.drawn}A\r\x1b[J` : '';
    const text = lines.length > 0 ? `${lines.join('\n')}\n` : '';
    if (back !== '' || text !== '') {
      this.stream.write(`${back}${text}`);
    }
    this.drawn = lines.length;
  }
}

/** Cuts a line to the progress width, counting only visible characters. */
function cut(line: string): string {
  // eslint-disable-next-line no-control-regex
  const visible = line.replace(/\x1b\[[0-9;]*m/g, '');
  if (visible.length <= PROGRESS_WIDTH) {
    return line;
  }
  return `${visible.slice(0, PROGRESS_WIDTH - 1)}…`;
}

type WatchEnd =
  | { readonly kind: 'ended'; readonly last: ChangeRecord__Output | undefined }
  | {
      readonly kind: 'error';
      readonly error: unknown;
      readonly last: ChangeRecord__Output | undefined;
    };

/** One WatchChange stream to its end; every message goes to `onChange`. */
function watchOnce(
  call: ServerCall,
  generation: string,
  deadline: number,
  onChange: (change: ChangeRecord__Output) => void,
): Promise<WatchEnd> {
  return new Promise((resolve) => {
    let last: ChangeRecord__Output | undefined;
    const stream = call
      .client('ChangeService')
      .watchChange({ generation }, call.metadata(), { deadline });
    stream.on('data', (res: { change: ChangeRecord__Output | null }) => {
      if (res.change !== null) {
        last = res.change;
        onChange(res.change);
      }
    });
    stream.on('error', (error: unknown) => resolve({ kind: 'error', error, last }));
    stream.on('end', () => resolve({ kind: 'ended', last }));
  });
}

function settled(change: ChangeRecord__Output | undefined): boolean {
  const state = change === undefined ? '' : stateName(change.state);
  return state === 'applied' || state === 'failed';
}

/**
 * Follows the change of `generation` until it is applied (resolves with it), failed (exit 8)
 * or the wait runs out (exit 9). A stream that ends early or a service that goes away for a
 * moment (a restart) is watched again while time remains.
 */
export async function followChange(
  call: ServerCall,
  generation: string,
  timeoutMs: number,
  onChange: (change: ChangeRecord__Output) => void,
): Promise<ChangeRecord__Output> {
  const deadline = Date.now() + timeoutMs;
  let last: ChangeRecord__Output | undefined;
  for (;;) {
    const end = await watchOnce(call, generation, deadline, onChange);
    last = end.last ?? last;
    if (settled(last) && last !== undefined) {
      if (stateName(last.state) === 'failed') {
        throw failedError(last);
      }
      return last;
    }
    if (end.kind === 'error') {
      const code = isServiceError(end.error) ? end.error.code : undefined;
      if (code === grpc.status.DEADLINE_EXCEEDED) {
        throw timeoutError(generation, timeoutMs, last);
      }
      if (code !== grpc.status.UNAVAILABLE) {
        throw end.error;
      }
    }
    if (Date.now() + REWATCH_DELAY_MS >= deadline) {
      throw timeoutError(generation, timeoutMs, last);
    }
    await new Promise((resolve) => setTimeout(resolve, REWATCH_DELAY_MS));
  }
}

/**
 * After a mutation answered with `generation`: nothing without `--wait`; with it, follow the
 * change. Progress and the final line go to standard output for `-o text`, to standard
 * error for `-o json|yaml` so what a program parses stays one document.
 */
export async function waitForChange(
  io: CliIo,
  options: ServerOptions & WaitOptions & { readonly output?: string },
  generation: string,
): Promise<void> {
  if (options.wait !== true) {
    return;
  }
  const machine = options.output === 'json' || options.output === 'yaml';
  const stream = machine ? io.stderr : io.stdout;
  const progress = new Progress(stream, io.env);
  const applied = await withServer(options, io, (call) =>
    followChange(call, generation, options.waitTimeout ?? DEFAULT_WAIT_TIMEOUT_MS, (change) => {
      if (!settled(change)) {
        progress.show(change, `waiting for generation ${generation}: ${appliedCount(change)}`);
      } else {
        progress.show(change);
      }
    }),
  );
  stream.write(`${appliedLine(applied)}\n`);
}
