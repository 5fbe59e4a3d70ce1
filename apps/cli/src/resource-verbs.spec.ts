import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from '@jest/globals';
import pc from 'picocolors';
import { errorModelGrpc } from '../../../libs/contracts/src/cluster-api.js';
import { parseSince, renderAudit } from './audit.command.js';
import { parseExpiry } from './auth.command.js';
import { runCli } from './cli.js';
import { parsePhysicalInterface } from './filer.command.js';
import { parseDuration, plain } from './online.js';
import { parseRoute, routeText } from './policy.command.js';
import { serverFailure } from './server-client.js';
import { memoryIo } from './testing/memory-io.js';
import { addedLine, parseAddressSelector, renderVsvrs } from './vsvr.command.js';
import type { AuditEntry__Output, VsvrView__Output } from './wire-types.js';

// The resource verbs without a server: their arguments, their rendering, and how the
// server's refusals become a line and an exit status. test/medium/cli-crud.test.ts runs
// them against a real control service.

const plainColours = pc.createColors(false);
const CALL = { server: '192.0.2.9:7400', timeoutSeconds: 10 };

/** A refusal as the server sends it: the status, and google.rpc.BadRequest in the trailer. */
function refusal(
  code: grpc.status,
  message: string,
  violations: { field: string; description: string }[] = [],
): grpc.ServiceError {
  const errors = errorModelGrpc();
  const metadata = new grpc.Metadata();
  if (violations.length > 0) {
    const badRequest = errors.BadRequest.serialize({ fieldViolations: violations });
    metadata.set(
      'grpc-status-details-bin',
      errors.Status.serialize({
        code,
        message,
        details: [{ type_url: 'type.googleapis.com/google.rpc.BadRequest', value: badRequest }],
      }),
    );
  }
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${message}`), {
    code,
    details: message,
    metadata,
  });
}

async function vsnet(args: string[]) {
  // Nothing listens on a documentation address's port 1: a verb that got as far as calling
  // would fail with exit 2 and "cannot reach", which the assertions below would show.
  const mem = memoryIo({ env: { VSNET_SERVER: '192.0.2.1:1' }, now: Date.UTC(2025, 5, 1) });
  const code = await runCli(args, mem.io);
  return { code, stdout: mem.stdout(), stderr: mem.stderr() };
}

describe('refusals of the control service', () => {
  it.each([
    [grpc.status.FAILED_PRECONDITION, 1],
    [grpc.status.INVALID_ARGUMENT, 3],
    [grpc.status.NOT_FOUND, 4],
    [grpc.status.ALREADY_EXISTS, 5],
    [grpc.status.UNAUTHENTICATED, 6],
    [grpc.status.PERMISSION_DENIED, 7],
  ])('status %i exits %i', (code, exit) => {
    expect(serverFailure(CALL, refusal(code, 'no')).exitCode).toBe(exit);
  });

  it('prints the message, then each field violation on a line of its own', () => {
    const failure = serverFailure(
      CALL,
      refusal(grpc.status.ALREADY_EXISTS, 'vsvrs[1].addresses[0].address: taken (and 1 more)', [
        { field: 'vsvrs[1].addresses[0].address', description: '198.51.100.7 is used twice' },
        { field: 'vsvrs[1].addresses[0].instance', description: 'data0#0 is taken' },
      ]),
    );
    expect(failure.message).toBe(
      'vsnet: 192.0.2.9:7400: vsvrs[1].addresses[0].address: taken (and 1 more)\n' +
        '  vsvrs[1].addresses[0].address: 198.51.100.7 is used twice\n' +
        '  vsvrs[1].addresses[0].instance: data0#0 is taken',
    );
  });

  it('does not repeat a lone violation the message already says', () => {
    const failure = serverFailure(
      CALL,
      refusal(grpc.status.INVALID_ARGUMENT, 'instance: set a number or next_free', [
        { field: 'instance', description: 'set a number or next_free' },
      ]),
    );
    expect(failure.message).toBe('vsnet: 192.0.2.9:7400: instance: set a number or next_free');
  });

  it('says how to give a token when there is none, and how to check it when it may not', () => {
    const missing = serverFailure(CALL, refusal(grpc.status.UNAUTHENTICATED, 'no token'));
    expect(missing.message).toBe(
      'vsnet: 192.0.2.9:7400 refused the call: no token; set VSNET_TOKEN (or token: in ~/.config/vsnet/config.yaml) to your token',
    );
    const denied = serverFailure(CALL, refusal(grpc.status.PERMISSION_DENIED, 'ro may not'));
    expect(denied.message).toMatch(/ro may not; use a token whose role allows it \(vsnet whoami/);
  });
});

describe('arguments of the resource verbs', () => {
  it('reads --iface NAME=MAC[,mtu=N]', () => {
    expect(parsePhysicalInterface('eth0=00:00:5e:00:53:10')).toEqual({
      name: 'eth0',
      mac: '00:00:5e:00:53:10',
    });
    expect(parsePhysicalInterface('eth1=00:00:5e:00:53:11,mtu=9000')).toEqual({
      name: 'eth1',
      mac: '00:00:5e:00:53:11',
      mtu: 9000,
    });
    expect(() => parsePhysicalInterface('eth0')).toThrow(/expected NAME=MAC/);
  });

  it('reads routes as ip route writes them, and writes them back the same', () => {
    const route = parseRoute('203.0.113.0/24 via 198.51.100.1 alias data0 metric 10');
    expect(route).toEqual({
      to: '203.0.113.0/24',
      via: '198.51.100.1',
      alias: 'data0',
      metric: 10,
    });
    expect(routeText(route)).toBe('203.0.113.0/24 via 198.51.100.1 alias data0 metric 10');
    expect(parseRoute('default')).toEqual({ to: 'default' });
    for (const bad of [
      '',
      'default via',
      'default gw 192.0.2.1',
      'x via a via b',
      'x metric ten',
    ]) {
      expect(() => parseRoute(bad)).toThrow();
    }
  });

  it('names an address by address or ALIAS#N', () => {
    expect(parseAddressSelector('198.51.100.7/24')).toEqual({ address: '198.51.100.7/24' });
    expect(parseAddressSelector('data0.5#2')).toEqual({
      aliasInstance: { alias: 'data0.5', instance: 2 },
    });
  });

  it('reads durations and times for --since and --expires', () => {
    const now = Date.UTC(2025, 5, 1, 12);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('1y')).toBeUndefined();
    expect(parseSince('1h', now)).toBe(now - 3_600_000);
    expect(parseSince('2025-05-01T00:00:00Z', now)).toBe(Date.UTC(2025, 4, 1));
    expect(() => parseSince('yesterday', now)).toThrow(/--since yesterday: expected a duration/);
    expect(parseExpiry('30d', now)).toBe(now + 30 * 86_400_000);
    expect(parseExpiry('never', now)).toBe(0);
    expect(() => parseExpiry('soon', now)).toThrow(/--expires soon/);
  });

  it.each([
    [['vsvr', 'set-group', 'sales'], /give either the filers .* or --any/],
    [['vsvr', 'set-group', 'sales', 'filer1', '--any'], /give either the filers .* or --any/],
    [['iface', 'create', 'alias', 'filer1', 'lan', '--on', 'eth0'], /expected data, mgmt or san/],
    [['iface', 'create', 'vlan', 'filer1', 'eth0', 'five'], /tag must be a whole number/],
    [['filer', 'register', 'f1', '--iface', 'eth0'], /expected NAME=MAC/],
    [['filer', 'register', 'f1'], /required option '--iface <name=mac>' not specified/],
    [['audit', '--limit', '0'], /expected a whole number from 1 to 1000/],
    [['audit', '--since', 'later'], /--since later: expected a duration/],
    [
      ['principal', 'create', 'x', '--role', 'admin'],
      /expected cluster-network, vsvr-network or read-only/,
    ],
    [['policy', 'create', 'p', '--route', 'default gw 192.0.2.1'], /expected 'TO \[via GATEWAY\]/],
    [['policy', 'set-default'], /give either a policy or --none/],
    [
      ['vsvr', 'address', 'add', 'sales', 'data0', '198.51.100.7/24', '--instance', '-1'],
      /error: /,
    ],
    [['cluster', 'show', '-o', 'xml'], /argument 'xml' is invalid/],
  ])('refuses %j before calling the server, exit 2', async (argv, message) => {
    const ran = await vsnet(argv);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toMatch(message);
    expect(ran.stderr).not.toMatch(/cannot reach/);
    expect(ran.code).toBe(2);
  });

  it.each([
    [['vsvr', 'address', 'add', '--help'], 'vsnet vsvr address add sales data0 198.51.100.7/24'],
    [['audit', '--help'], 'vsnet audit --since 1h'],
    [['token', 'create', '--help'], 'vsnet token create ops --description'],
  ])('%j says what it does, an example, and the exit statuses', async (argv, text) => {
    const ran = await vsnet(argv);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain(text);
    expect(ran.stdout).toMatch(/\nExamples?:\n/);
    expect(ran.stdout).toContain('4  what the command names does not exist (NOT_FOUND)');
  });
});

describe('rendering of the resource verbs', () => {
  it('says what AddAddress did in one line', () => {
    expect(
      addedLine({
        vsvr: 'sales',
        address: { alias: 'data0', address: '198.51.100.7/24', instance: 1 },
        identifier: '00:00:5e:00:53:01:data0:sales:1',
        generation: '12',
      }),
    ).toBe(
      'added 198.51.100.7/24 to sales as data0#1 (identifier 00:00:5e:00:53:01:data0:sales:1); generation 12',
    );
  });

  it('lists vsvrs aligned, one address per line, without an empty POLICY column', () => {
    const view = (name: string, runs: string[], addresses: string[]): VsvrView__Output => ({
      vsvr: { name, failoverGroup: null, routes: [], addresses: [] },
      placement: {
        explicitGroup: false,
        candidates: runs,
        runsOn: runs,
        excluded: [],
        activeFiler: '',
      },
      addresses: addresses.map((a, i) => ({
        address: { alias: 'data0', address: a, instance: i },
        identifier: '',
      })),
    });
    expect(
      renderVsvrs(
        [view('sales', ['filer1'], ['198.51.100.7/24', '2001:db8::7/64']), view('x', [], [])],
        plainColours,
      ),
    ).toBe(
      [
        'NAME   RUNS ON    FAILOVER GROUP  ADDRESSES',
        'sales  filer1     any filer       data0#0 198.51.100.7/24',
        '                                  data0#1 2001:db8::7/64',
        'x      (nowhere)  any filer',
        '',
      ].join('\n'),
    );
  });

  it('prints audit entries with the short RPC name and before → after', () => {
    const entry: AuditEntry__Output = {
      id: '7',
      timeUnixMs: String(Date.UTC(2025, 5, 1, 10, 0, 0, 123)),
      principal: 'ops',
      rpc: '/vsnet.v1.VsvrService/AddAddress',
      target: 'vsvr sales',
      before: '1 address',
      after: '2 addresses',
      peer: 'ipv4:192.0.2.7:5',
      generation: '12',
    };
    const creation = {
      ...entry,
      before: '',
      rpc: '/vsnet.v1.AuthService/CreateToken',
      generation: '0',
    };
    expect(renderAudit([entry, creation], plainColours)).toBe(
      [
        'TIME                  PRINCIPAL  RPC          TARGET      GEN  CHANGE',
        '2025-06-01T10:00:00Z  ops        AddAddress   vsvr sales   12  1 address → 2 addresses',
        '2025-06-01T10:00:00Z  ops        CreateToken  vsvr sales       (none) → 2 addresses',
        '',
      ].join('\n'),
    );
  });

  it('gives programs plain JSON: no oneof markers, generations and times as numbers', () => {
    expect(
      plain({
        generation: '12',
        token: { id: '5', createdUnixMs: '1700000000000', _x: 'x' },
        routes: [{ to: 'default', via: '192.0.2.1', _via: 'via', _metric: undefined }],
      }),
    ).toEqual({
      generation: 12,
      token: { id: '5', createdUnixMs: 1_700_000_000_000 },
      routes: [{ to: 'default', via: '192.0.2.1' }],
    });
  });
});
