import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { CliError } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { emit, formatTime, nowOf, onlineVerb, parseDuration, READ_FORMATS } from './online.js';
import type { OnlineOptions } from './online.js';
import type { Palette } from './output.js';
import { unary, withServer } from './server-client.js';
import { renderTable } from './table.js';
import type { AuditEntry__Output, ListAuditResponse__Output } from './wire-types.js';

/** The server's most entries per page, so the most `--limit` may ask for. */
export const MAX_AUDIT_LIMIT = 1000;
const DEFAULT_AUDIT_LIMIT = 50;

interface AuditOptions extends OnlineOptions {
  readonly principal?: string;
  readonly rpc?: string;
  readonly target?: string;
  readonly since?: string;
  readonly limit: number;
}

/**
 * `--since`: a duration back from now (`90s`, `30m`, `1h`, `7d`, `2w`) or an ISO 8601 time
 * (`2025-06-01`, `2025-06-01T10:00:00Z`), as milliseconds since the epoch.
 */
export function parseSince(value: string, now: number): number {
  const duration = parseDuration(value);
  if (duration !== undefined) {
    return Math.max(0, now - duration);
  }
  const time = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new CliError(
      `vsnet audit: --since ${value}: expected a duration like 1h, 30m or 7d, or a time like 2025-06-01T10:00:00Z`,
    );
  }
  return time;
}

/** `vsnet audit`: who changed what, newest first (AuditService/ListAudit). */
export function registerAuditCommand(program: Command, io: CliIo): void {
  onlineVerb(
    program
      .command('audit')
      .description(
        'list the audit trail, newest first: who changed what, and the generation it made',
      )
      .addOption(new Option('--principal <name>', 'only the changes of this principal'))
      .addOption(
        new Option(
          '--rpc <name>',
          'only this call (AddAddress, or /vsnet.v1.VsvrService/AddAddress)',
        ),
      )
      .addOption(
        new Option(
          '--target <target>',
          "only this target ('vsvr sales'; a trailing * matches a prefix)",
        ),
      )
      .addOption(
        new Option(
          '--since <when>',
          'only entries since then: a duration back (1h, 7d) or an ISO time',
        ),
      )
      .addOption(
        new Option('--limit <n>', `at most this many entries (1–${MAX_AUDIT_LIMIT})`)
          .default(DEFAULT_AUDIT_LIMIT)
          .argParser((value: string) => {
            const n = Number(value);
            if (!Number.isInteger(n) || n < 1 || n > MAX_AUDIT_LIMIT) {
              throw new InvalidArgumentError(
                `expected a whole number from 1 to ${MAX_AUDIT_LIMIT}`,
              );
            }
            return n;
          }),
      ),
    READ_FORMATS,
    [
      'vsnet audit --since 1h',
      'vsnet audit --principal ops --rpc AddAddress --limit 10',
      "vsnet audit --target 'vsvr sales'",
    ],
  ).action(async (options: AuditOptions) => {
    const since = options.since !== undefined ? parseSince(options.since, nowOf(io)) : undefined;
    const res = await withServer(options, io, (call) =>
      unary<ListAuditResponse__Output>(call, (m, o, cb) =>
        call.client('AuditService').listAudit(
          {
            filter: {
              principal: options.principal ?? '',
              rpc: options.rpc ?? '',
              target: options.target ?? '',
              ...(since !== undefined ? { sinceUnixMs: since } : {}),
            },
            pageSize: options.limit,
          },
          m,
          o,
          cb,
        ),
      ),
    );
    const entries = res.entries.slice(0, options.limit);
    emit(io, options.output, { entries }, (palette) => renderAudit(entries, palette));
  });
}

/** `/vsnet.v1.VsvrService/AddAddress` → `AddAddress`. */
export function rpcShortName(rpc: string): string {
  return rpc.slice(rpc.lastIndexOf('/') + 1);
}

/** TIME, PRINCIPAL, RPC, TARGET, GEN, CHANGE (before → after). */
export function renderAudit(entries: readonly AuditEntry__Output[], palette: Palette): string {
  if (entries.length === 0) {
    return 'no audit entries';
  }
  return renderTable(
    [
      { header: 'TIME', style: palette.dim },
      { header: 'PRINCIPAL' },
      { header: 'RPC', style: palette.cyan },
      { header: 'TARGET' },
      { header: 'GEN', align: 'right' },
      { header: 'CHANGE' },
    ],
    entries.map((e) => [
      formatTime(e.timeUnixMs),
      e.principal,
      rpcShortName(e.rpc),
      e.target,
      e.generation === '0' ? '' : e.generation,
      `${e.before === '' ? '(none)' : e.before} → ${e.after === '' ? '(none)' : e.after}`,
    ]),
    palette,
  );
}
