import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { CliError } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import {
  collectList,
  emit,
  formatTime,
  nowOf,
  onlineVerb,
  parseDuration,
  READ_FORMATS,
  renderFields,
  verbGroup,
  WRITE_FORMATS,
} from './online.js';
import type { OnlineOptions } from './online.js';
import type { Palette } from './output.js';
import { unary, withServer } from './server-client.js';
import type { ServerCall } from './server-client.js';
import { renderTable } from './table.js';
import type {
  CreatePrincipalResponse__Output,
  CreateTokenResponse__Output,
  ListPrincipalsResponse__Output,
  Principal__Output,
  RevokeTokenResponse__Output,
  Role,
  WhoAmIResponse__Output,
} from './wire-types.js';

const ROLES: Readonly<Record<string, Role>> = {
  'cluster-network': 'ROLE_CLUSTER_NETWORK',
  'vsvr-network': 'ROLE_VSVR_NETWORK',
  'read-only': 'ROLE_READ_ONLY',
};

/** `ROLE_VSVR_NETWORK` → `vsvr-network`, as `--role` takes it. */
export function roleName(role: string): string {
  return role
    .replace(/^ROLE_/, '')
    .toLowerCase()
    .replaceAll('_', '-');
}

interface PrincipalOptions extends OnlineOptions {
  readonly role: Role;
  readonly vsvr?: string[];
}

interface TokenOptions extends OnlineOptions {
  readonly description?: string;
  readonly expires?: string;
}

/**
 * `--expires`: a duration from now (`30d`, `12h`, `2w`), an ISO 8601 time, or `never`, as
 * milliseconds since the epoch (0: never).
 */
export function parseExpiry(value: string, now: number): number {
  if (value === 'never') {
    return 0;
  }
  const duration = parseDuration(value);
  if (duration !== undefined && duration > 0) {
    return now + duration;
  }
  const time = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new CliError(
      `vsnet token create: --expires ${value}: expected a duration like 30d or 12h, a time like 2026-01-01, or never`,
    );
  }
  return time;
}

/** `vsnet principal create|list`, `vsnet token create|revoke`, `vsnet whoami` (AuthService). */
export function registerAuthCommands(program: Command, io: CliIo): void {
  const principal = verbGroup(program, 'principal', 'principals (who may call) and their roles');

  onlineVerb(
    principal
      .command('create')
      .description('create a principal with a role; give it a token with vsnet token create')
      .argument('<name>', 'the principal name (lower case)')
      .addOption(
        new Option('--role <role>', 'cluster-network, vsvr-network or read-only')
          .argParser((value: string) => {
            const role = ROLES[value];
            if (role === undefined) {
              throw new InvalidArgumentError('expected cluster-network, vsvr-network or read-only');
            }
            return role;
          })
          .makeOptionMandatory(),
      )
      .addOption(
        new Option(
          '--vsvr <vsvrs>',
          'vsvr-network: a vsvr of its scope (repeat, or separate with commas)',
        ).argParser(collectList),
      ),
    WRITE_FORMATS,
    [
      'vsnet principal create sales-admin --role vsvr-network --vsvr sales',
      'vsnet principal create monitor --role read-only',
    ],
  ).action(async (name: string, options: PrincipalOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<CreatePrincipalResponse__Output>(call, (m, o, cb) =>
        call
          .client('AuthService')
          .createPrincipal({ name, role: options.role, vsvrs: options.vsvr ?? [] }, m, o, cb),
      ),
    );
    emit(io, options.output, res, () => {
      const p = res.principal;
      const scope = p !== null && p.vsvrs.length > 0 ? ` on ${p.vsvrs.join(', ')}` : '';
      return `created principal ${p?.name ?? name} (${roleName(String(p?.role ?? options.role))}${scope}); generation ${res.generation}`;
    });
  });

  onlineVerb(
    principal.command('list').description('list the principals with their roles'),
    READ_FORMATS,
    ['vsnet principal list'],
  ).action(async (options: OnlineOptions) => {
    const principals = await withServer(options, io, listPrincipals);
    emit(io, options.output, { principals }, (palette) => renderPrincipals(principals, palette));
  });

  const token = verbGroup(program, 'token', 'bearer tokens of principals');

  onlineVerb(
    token
      .command('create')
      .description(
        'create a bearer token for a principal and print its secret (shown only this once)',
      )
      .argument('<principal>', 'the principal')
      .addOption(new Option('--description <text>', 'what the token is for'))
      .addOption(
        new Option(
          '--expires <when>',
          'a duration from now (30d, 12h), an ISO time, or never (default)',
        ),
      ),
    WRITE_FORMATS,
    ["vsnet token create ops --description 'ansible' --expires 30d"],
  ).action(async (principalName: string, options: TokenOptions) => {
    const expires = options.expires !== undefined ? parseExpiry(options.expires, nowOf(io)) : 0;
    const res = await withServer(options, io, (call) =>
      unary<CreateTokenResponse__Output>(call, (m, o, cb) =>
        call.client('AuthService').createToken(
          {
            principal: principalName,
            description: options.description ?? '',
            expiresUnixMs: expires,
          },
          m,
          o,
          cb,
        ),
      ),
    );
    emit(io, options.output, res, () => {
      const t = res.token;
      const until =
        t !== null && t.expiresUnixMs !== '0'
          ? `expires ${formatTime(t.expiresUnixMs)}`
          : 'never expires';
      return (
        `created token ${t?.id ?? ''} for ${t?.principal ?? principalName} (${until}); generation ${res.generation}; ` +
        `its secret, shown only this once:\n${res.secret}`
      );
    });
  });

  onlineVerb(
    token.command('revoke').description('revoke a token at once').argument('<id>', 'the token id'),
    WRITE_FORMATS,
    ['vsnet token revoke 3f9a1c'],
  ).action(async (id: string, options: OnlineOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<RevokeTokenResponse__Output>(call, (m, o, cb) =>
        call.client('AuthService').revokeToken({ id }, m, o, cb),
      ),
    );
    emit(io, options.output, res, () => `revoked token ${id}; generation ${res.generation}`);
  });

  onlineVerb(
    program
      .command('whoami')
      .description('show the principal, role and token the calls are made with'),
    READ_FORMATS,
    ['vsnet whoami'],
  ).action(async (options: OnlineOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<WhoAmIResponse__Output>(call, (m, o, cb) =>
        call.client('AuthService').whoAmI({}, m, o, cb),
      ),
    );
    emit(io, options.output, res, (palette) => renderWhoAmI(res, palette));
  });
}

async function listPrincipals(call: ServerCall): Promise<Principal__Output[]> {
  const all: Principal__Output[] = [];
  let pageToken = '';
  do {
    const res = await unary<ListPrincipalsResponse__Output>(call, (m, o, cb) =>
      call.client('AuthService').listPrincipals({ pageToken }, m, o, cb),
    );
    all.push(...res.principals);
    pageToken = res.nextPageToken;
  } while (pageToken !== '');
  return all;
}

/** NAME, ROLE, VSVRS, CREATED. */
export function renderPrincipals(
  principals: readonly Principal__Output[],
  palette: Palette,
): string {
  if (principals.length === 0) {
    return 'no principals';
  }
  return renderTable(
    [
      { header: 'NAME', style: palette.cyan },
      { header: 'ROLE' },
      { header: 'VSVRS', optional: true },
      { header: 'CREATED', style: palette.dim },
    ],
    principals.map((p) => [
      p.name,
      roleName(p.role),
      p.vsvrs.join(', '),
      formatTime(p.createdUnixMs),
    ]),
    palette,
  );
}

/** `vsnet whoami` for a person. */
export function renderWhoAmI(res: WhoAmIResponse__Output, palette: Palette): string {
  const p = res.principal;
  return renderFields(
    [
      ['principal', p?.name],
      ['role', p !== null ? roleName(p.role) : undefined],
      ['vsvrs', p !== null && p.vsvrs.length > 0 ? p.vsvrs.join(', ') : undefined],
      ['token', res.tokenId !== '' ? res.tokenId : '(mTLS identity)'],
    ],
    palette,
  );
}
