import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { errorText, stateColour, stateName } from './change-wait.js';
import type { CliIo } from './cli-io.js';
import {
  emit,
  formatTime,
  onlineVerb,
  parseDuration,
  READ_FORMATS,
  WRITE_FORMATS,
} from './online.js';
import type { OnlineOptions } from './online.js';
import type { Palette } from './output.js';
import { unary, withServer } from './server-client.js';
import { renderTable } from './table.js';
import type {
  CreateJoinTokenResponse__Output,
  FilerStatus__Output,
  ListFilerStatusResponse__Output,
} from './wire-types.js';

// The filers' agents: the join token an agent registers with, and what each agent last
// reported applied (the other half of `vsnet changes`).

/** The longest join token the wire can say (uint32 seconds). */
const MAX_TTL_SECONDS = 0xffff_ffff;

interface JoinTokenOptions extends OnlineOptions {
  readonly filer?: string;
  /** Seconds. */
  readonly ttl: number;
}

/** `--ttl`: `1h`, `30m`, `2d` (or bare seconds) in whole seconds. */
export function parseTtl(value: string): number {
  const ms = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : parseDuration(value);
  const seconds = ms === undefined ? 0 : Math.ceil(ms / 1000);
  if (seconds <= 0 || seconds > MAX_TTL_SECONDS) {
    throw new InvalidArgumentError('expected a duration like 1h, 30m or 2d');
  }
  return seconds;
}

/** Adds `vsnet filer join-token` and `vsnet filer status` to the `filer` group. */
export function registerFilerAgentCommands(filer: Command, io: CliIo): void {
  onlineVerb(
    filer
      .command('join-token')
      .description(
        "mint a one-use token a filer's agent joins the cluster with (printed only this once)",
      )
      .addOption(
        new Option(
          '--filer <name>',
          'the only filer name it may join as; needed to re-join a filer the cluster has (default: any new filer)',
        ),
      )
      .addOption(
        new Option('--ttl <duration>', 'how long it stays valid (30m, 1h, 2d)')
          .default(3600, '1h')
          .argParser(parseTtl),
      ),
    WRITE_FORMATS,
    [
      'vsnet filer join-token --filer filer4 --ttl 30m',
      'VSNET_AGENT_JOIN_TOKEN=$(vsnet filer join-token -o json | jq -r .joinToken) vsnet-agent',
    ],
  ).action(async (options: JoinTokenOptions) => {
    let server = '';
    const res = await withServer(options, io, (call) => {
      server = call.server;
      return unary<CreateJoinTokenResponse__Output>(call, (m, o, cb) =>
        call
          .client('FilerService')
          .createJoinToken({ filer: options.filer ?? '', ttlSeconds: options.ttl }, m, o, cb),
      );
    });
    emit(io, options.output, res, () => {
      const who = options.filer !== undefined ? `filer ${options.filer}` : 'any filer name';
      return (
        `join token for ${who}, valid until ${formatTime(res.expiresUnixMs)}; shown only this once:\n` +
        `${res.joinToken}\n` +
        `start the filer's agent with VSNET_AGENT_JOIN_TOKEN set to it and VSNET_CONTROL_SERVER=${server}`
      );
    });
  });

  onlineVerb(
    filer
      .command('status')
      .description(
        "each filer's agent: the generation its spec last changed in, the one it applied, and its error",
      ),
    READ_FORMATS,
    ['vsnet filer status', 'vsnet filer status -o json'],
  ).action(async (options: OnlineOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<ListFilerStatusResponse__Output>(call, (m, o, cb) =>
        call.client('ChangeService').listFilerStatus({}, m, o, cb),
      ),
    );
    emit(io, options.output, res, (palette) => renderFilerStatus(res, palette));
  });
}

/** FILER, DESIRED, OBSERVED, STATE, AGENT, ERROR; then the cluster's generation. */
export function renderFilerStatus(res: ListFilerStatusResponse__Output, palette: Palette): string {
  const footer = `cluster generation ${res.generation}`;
  if (res.filers.length === 0) {
    return `no filers\n${footer}`;
  }
  const table = renderTable(
    [
      { header: 'FILER', style: palette.cyan },
      { header: 'DESIRED', align: 'right' },
      { header: 'OBSERVED', align: 'right' },
      { header: 'STATE', style: (s) => stateColour(s, palette) },
      { header: 'AGENT' },
      { header: 'ERROR', optional: true },
    ],
    res.filers.map((f: FilerStatus__Output) => [
      f.filer,
      f.desiredGeneration,
      f.observedGeneration === '0' ? '' : f.observedGeneration,
      stateName(f.state),
      f.agentAddress === '' ? '(not joined)' : f.agentAddress,
      errorText(f.error),
    ]),
    palette,
  ).trimEnd();
  return `${table}\n${footer}`;
}
