import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { createConnection } from 'mysql2/promise';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { CreateJoinTokenResponse__Output } from '../../libs/contracts/src/generated/vsnet/v1/CreateJoinTokenResponse.js';
import type { JoinFilerResponse__Output } from '../../libs/contracts/src/generated/vsnet/v1/JoinFilerResponse.js';
import { startControl } from './support/control-service.js';
import type { CallResult, RunningControl } from './support/control-service.js';
import { applyAsAdmin, labCluster } from './support/documents.js';

// FilerService CreateJoinToken and JoinFiler over gRPC against a control service on the lab
// cluster: a join registers a new filer (one generation, one audit row) and records where its
// agent listens; a refusal writes nothing but, once the token's secret matched, spends the token.

const FILER4_ETHS = [
  { name: 'eth0', mac: '00:00:5e:00:53:40' },
  { name: 'eth1', mac: '00:00:5e:00:53:41', mtu: 9000 },
];
/** filer1 as lab-cluster.yaml stores it. */
const FILER1_ETHS = [0, 1, 2, 3, 4].map((n) => ({ name: `eth${n}`, mac: `00:00:5e:00:53:1${n}` }));

let r: RunningControl;
let sql: Connection;

/** What a refusal must leave as it was: audit rows, the generation, the tokens used. */
async function writes(): Promise<{ audit: number; generation: string; used: number }> {
  const [[audit], [cluster], [used]] = await Promise.all([
    sql.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM audit'),
    sql.query<RowDataPacket[]>('SELECT generation FROM cluster WHERE id = 1'),
    sql.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM join_tokens WHERE used_at IS NOT NULL'),
  ]);
  return {
    audit: Number(audit[0]?.n),
    generation: String(cluster[0]?.generation),
    used: Number(used[0]?.n),
  };
}

async function lastAudit(): Promise<Record<string, unknown>> {
  const [rows] = await sql.query<RowDataPacket[]>(
    'SELECT principal, rpc, target, after_summary, CAST(generation AS CHAR) AS generation FROM audit ORDER BY id DESC LIMIT 1',
  );
  return { ...rows[0] };
}

async function agentAddressOf(filer: string): Promise<string | null | undefined> {
  const [rows] = await sql.query<RowDataPacket[]>(
    'SELECT agent_address FROM filer_state WHERE filer = ?',
    [filer],
  );
  return rows[0]?.agent_address as string | null | undefined;
}

async function joinToken(filer = '', ttlSeconds = 0): Promise<string> {
  const { res, err } = await r.call<CreateJoinTokenResponse__Output>(
    'FilerService',
    'CreateJoinToken',
    { filer, ttlSeconds },
    r.adminToken,
  );
  if (res === undefined) {
    throw new Error(`CreateJoinToken failed: ${err?.details ?? 'no answer'}`);
  }
  return res.joinToken;
}

/** JoinFiler as an agent calls it: no bearer token. */
function join(request: object): Promise<CallResult<JoinFilerResponse__Output>> {
  return r.call<JoinFilerResponse__Output>('FilerService', 'JoinFiler', request);
}

function codeOf(result: CallResult<unknown>): { status: string; message: string } {
  return {
    status: status[result.err?.code ?? status.OK],
    message: result.err?.details ?? '',
  };
}

/**
 * Calls `work`, expects `code`, and that nothing was written but the token's spending when
 * `spends` (a refusal after the token's secret matched).
 */
async function refused(
  work: () => Promise<CallResult<unknown>>,
  code: keyof typeof status,
  spends = false,
): Promise<CallResult<unknown>> {
  const before = await writes();
  const result = await work();
  expect(codeOf(result)).toMatchObject({ status: code });
  expect(await writes()).toEqual({ ...before, used: before.used + (spends ? 1 : 0) });
  return result;
}

async function filerState(filer: string): Promise<Record<string, unknown>> {
  const [rows] = await sql.query<RowDataPacket[]>(
    `SELECT agent_address, state, CAST(observed_generation AS CHAR) AS observed,
            CAST(desired_generation AS CHAR) AS desired
       FROM filer_state WHERE filer = ?`,
    [filer],
  );
  return { ...rows[0] };
}

beforeAll(async () => {
  r = await startControl('join');
  await applyAsAdmin(r, labCluster());
  sql = await createConnection(r.db.url);
}, 60_000);

afterAll(async () => {
  await sql?.end();
  await r?.stop();
});

describe('FilerService/CreateJoinToken', () => {
  it('mints a vsj_ secret valid an hour, stores only its hash, audits it, keeps the generation', async () => {
    const before = await writes();
    const started = Date.now();
    const { res } = await r.call<CreateJoinTokenResponse__Output>(
      'FilerService',
      'CreateJoinToken',
      { filer: 'filer9' },
      r.adminToken,
    );
    expect(res?.joinToken).toMatch(/^vsj_[1-9]\d*_[A-Za-z0-9_-]{43}$/);
    expect(Number(res?.expiresUnixMs)).toBeGreaterThanOrEqual(started + 3_600_000 - 1_000);
    expect(Number(res?.expiresUnixMs)).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(res?.generation).toBe(before.generation);
    expect(await writes()).toEqual({ ...before, audit: before.audit + 1 });
    expect(await lastAudit()).toMatchObject({
      principal: 'admin',
      rpc: '/vsnet.v1.FilerService/CreateJoinToken',
      generation: null,
    });
    const secret = res?.joinToken ?? '';
    const [rows] = await sql.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM join_tokens WHERE token_hash = UNHEX(SHA2(?, 256)) AND filer = ?',
      [secret, 'filer9'],
    );
    expect(Number(rows[0]?.n)).toBe(1);
  });

  it.each([
    ['a lifetime above 7 days', { ttlSeconds: 7 * 24 * 3600 + 1 }, 'ttlSeconds'],
    ['a name that is not a filer name', { filer: 'bad name!' }, 'filer'],
  ])('refuses %s with INVALID_ARGUMENT', async (_what, request, field) => {
    const result = await refused(
      () => r.call('FilerService', 'CreateJoinToken', request, r.adminToken),
      'INVALID_ARGUMENT',
    );
    expect(result.details?.violations.map((v) => v.field)).toEqual([field]);
  });
});

describe('FilerService/JoinFiler', () => {
  it('registers a new filer with one generation and one audit row, and records its agent', async () => {
    const token = await joinToken('filer4');
    const before = await writes();
    const result = await join({
      joinToken: token,
      name: 'filer4',
      interfaces: FILER4_ETHS,
      agentAddress: '198.51.100.40:7401',
    });
    expect(codeOf(result)).toMatchObject({ status: 'OK' });
    const generation = String(BigInt(before.generation) + 1n);
    expect(result.res).toMatchObject({ registered: true, generation });
    expect(result.res?.filer?.name).toBe('filer4');
    expect(await writes()).toEqual({
      audit: before.audit + 1,
      generation,
      used: before.used + 1,
    });
    expect(await lastAudit()).toMatchObject({
      principal: expect.stringMatching(/^join-token \d+$/),
      rpc: '/vsnet.v1.FilerService/JoinFiler',
      target: 'filer filer4',
      after_summary:
        'filer4: eth0 00:00:5e:00:53:40, eth1 00:00:5e:00:53:41; agent at 198.51.100.40:7401',
      generation,
    });
    expect(await agentAddressOf('filer4')).toBe('198.51.100.40:7401');
    const got = await r.call<{ filer: { interfaces: { name: string; mac: string }[] } }>(
      'FilerService',
      'GetFiler',
      { name: 'filer4' },
      r.adminToken,
    );
    expect(got.res?.filer.interfaces.map((i) => [i.name, i.mac])).toEqual([
      ['eth0', '00:00:5e:00:53:40'],
      ['eth1', '00:00:5e:00:53:41'],
    ]);
  });

  it('refuses a token that was used already with UNAUTHENTICATED', async () => {
    const token = await joinToken('filer5');
    const request = {
      joinToken: token,
      name: 'filer5',
      interfaces: [{ name: 'eth0', mac: '00:00:5e:00:53:50' }],
      agentAddress: '198.51.100.50:7401',
    };
    expect(codeOf(await join(request))).toMatchObject({ status: 'OK' });
    const again = await refused(() => join(request), 'UNAUTHENTICATED');
    expect(again.err?.details).toMatch(/used by filer filer5/);
  });

  it('refuses a token minted for another filer with UNAUTHENTICATED, and spends it', async () => {
    const token = await joinToken('filer6');
    const request = {
      joinToken: token,
      name: 'filer7',
      interfaces: [{ name: 'eth0', mac: '00:00:5e:00:53:70' }],
      agentAddress: '198.51.100.70:7401',
    };
    const other = await refused(() => join(request), 'UNAUTHENTICATED', true);
    expect(other.err?.details).toMatch(/minted for filer filer6, not "filer7"/);
    const spent = await refused(() => join({ ...request, name: 'filer6' }), 'UNAUTHENTICATED');
    expect(spent.err?.details).toMatch(/spent at .* by a join that was refused/);
  });

  it('refuses an expired token with UNAUTHENTICATED', async () => {
    const token = await joinToken('filer8');
    const id = /^vsj_(\d+)_/.exec(token)?.[1];
    await sql.query('UPDATE join_tokens SET expires_at = NOW(3) - INTERVAL 1 SECOND WHERE id = ?', [
      id,
    ]);
    const expired = await refused(
      () =>
        join({
          joinToken: token,
          name: 'filer8',
          interfaces: [{ name: 'eth0', mac: '00:00:5e:00:53:80' }],
          agentAddress: '198.51.100.80:7401',
        }),
      'UNAUTHENTICATED',
    );
    expect(expired.err?.details).toMatch(/expired/);
  });

  it.each([
    ['an unknown token', `vsj_999999_${'A'.repeat(43)}`],
    ['a bearer token', 'admin'],
    ['no token', ''],
  ])('refuses %s with UNAUTHENTICATED, before looking at the request', async (_what, secret) => {
    // The interfaces are wrong too: a caller without a valid token learns nothing from them.
    await refused(
      () =>
        join({
          joinToken: secret === 'admin' ? r.adminToken : secret,
          name: 'filer1',
          interfaces: [{ name: 'eth0', mac: '00:00:5e:00:53:99' }],
          agentAddress: '198.51.100.10:7401',
        }),
      'UNAUTHENTICATED',
    );
  });

  it('refuses interfaces that differ from the stored filer with FAILED_PRECONDITION without quoting the stored MAC, and spends the token', async () => {
    const token = await joinToken('filer1');
    const interfaces = FILER1_ETHS.map((i) =>
      i.name === 'eth2' ? { ...i, mac: '00:00:5e:00:53:99' } : i,
    );
    const request = {
      joinToken: token,
      name: 'filer1',
      interfaces,
      agentAddress: '198.51.100.11:7401',
    };
    const differs = await refused(() => join(request), 'FAILED_PRECONDITION', true);
    expect(differs.details?.violations.map((v) => v.field)).toEqual(['interfaces[2].mac']);
    expect(JSON.stringify([differs.err?.details, differs.details])).not.toContain(
      '00:00:5e:00:53:12',
    );
    expect((await agentAddressOf('filer1')) ?? null).toBeNull();
    // The refusal spent the token: the stored interfaces cannot be probed with it.
    const again = await refused(
      () => join({ ...request, interfaces: FILER1_ETHS }),
      'UNAUTHENTICATED',
    );
    expect(again.err?.details).toMatch(/by a join that was refused/);
  });

  it('re-joins a stored filer with a token minted for it: no new generation, one audit row, observed reset', async () => {
    const token = await joinToken('filer1');
    // What an earlier agent reported applied must not count for the new one.
    await sql.query(
      "UPDATE filer_state SET observed_generation = desired_generation, observed_hash = desired_hash, state = 'applied' WHERE filer = 'filer1'",
    );
    const before = await writes();
    const rejoined = await join({
      joinToken: token,
      name: 'filer1',
      interfaces: FILER1_ETHS,
      agentAddress: '198.51.100.11:7401',
    });
    expect(codeOf(rejoined)).toMatchObject({ status: 'OK' });
    expect(rejoined.res).toMatchObject({ registered: false, generation: before.generation });
    expect(await writes()).toEqual({ ...before, audit: before.audit + 1, used: before.used + 1 });
    expect(await lastAudit()).toMatchObject({
      rpc: '/vsnet.v1.FilerService/JoinFiler',
      target: 'filer filer1',
      generation: null,
    });
    expect(await filerState('filer1')).toMatchObject({
      agent_address: '198.51.100.11:7401',
      observed: '0',
    });
  });

  it('refuses a token for any filer on a stored filer with ALREADY_EXISTS, keeps its agent address, and spends the token', async () => {
    // H1: an any-filer token, the victim's real MACs, the attacker's address.
    const token = await joinToken();
    const stateBefore = await filerState('filer1');
    const takeover = await refused(
      () =>
        join({
          joinToken: token,
          name: 'filer1',
          interfaces: FILER1_ETHS,
          agentAddress: '203.0.113.66:7401',
        }),
      'ALREADY_EXISTS',
      true,
    );
    expect(takeover.details?.violations.map((v) => v.field)).toEqual(['name']);
    expect(takeover.err?.details).toMatch(
      /a token minted for it \(vsnet filer join-token --filer filer1\)/,
    );
    expect(await filerState('filer1')).toEqual(stateBefore);
    expect(await agentAddressOf('filer1')).toBe('198.51.100.11:7401');
  });

  it('refuses a MAC another filer has with ALREADY_EXISTS without naming that filer, and the spent token cannot probe again', async () => {
    const token = await joinToken();
    const request = {
      joinToken: token,
      name: 'filer10',
      interfaces: [{ name: 'eth0', mac: '00:00:5e:00:53:10' }],
      agentAddress: '198.51.100.100:7401',
    };
    const probe = await refused(() => join(request), 'ALREADY_EXISTS', true);
    expect(probe.details?.violations.map((v) => v.field)).toEqual(['interfaces[0].mac']);
    expect(JSON.stringify([probe.err?.details, probe.details])).not.toMatch(/filer1|eth0 /);
    // A second probe with another MAC gets no further than the token.
    const second = await refused(
      () => join({ ...request, interfaces: [{ name: 'eth0', mac: '00:00:5e:00:53:11' }] }),
      'UNAUTHENTICATED',
    );
    expect(second.err?.details).toMatch(/by a join that was refused/);
  });

  it('refuses a bad agent address with INVALID_ARGUMENT and spends the token', async () => {
    const token = await joinToken();
    const address = await refused(
      () =>
        join({
          joinToken: token,
          name: 'filer10',
          interfaces: [{ name: 'eth0', mac: '00:00:5e:00:53:a0' }],
          agentAddress: '198.51.100.100',
        }),
      'INVALID_ARGUMENT',
      true,
    );
    expect(address.details?.violations.map((v) => v.field)).toEqual(['agentAddress']);
  });
});
