import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, credentials as channelCredentials, Metadata, status } from '@grpc/grpc-js';
import type { CallOptions, ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import type { ClusterDocument } from '@vsnet/model';
import { AuthStore, storeDataSourceOptions } from '@vsnet/store';
import { createConnection } from 'mysql2/promise';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { schemaMigrations } from '../../migrations/index.js';
import {
  CLUSTER_API_MUTATIONS,
  clusterApiGrpc,
  clusterApiMethodPath,
  loadClusterApiPackageDefinition,
} from '../../libs/contracts/src/cluster-api.js';
import { MAX_WATCHES_PER_PRINCIPAL } from '../../apps/control/src/pipeline/change.grpc-controller.js';
import type { ClusterApiServiceName } from '../../libs/contracts/src/cluster-api.js';
import { clusterDocumentToWire } from '../../libs/contracts/src/cluster-api-document.js';
import { startControl } from './support/control-service.js';
import type { CallResult, RunningControl } from './support/control-service.js';
import { applyAsAdmin, labCluster } from './support/documents.js';

// Who may call what (docs/api.md, "Authentication and roles"), for every mutating RPC of
// vsnet.v1 and each kind of caller: what it answers, and that a refusal writes nothing (no audit
// row, same generation) while a call that passes writes exactly one audit row naming its caller.

/** Well formed (`vsn_<id>_<43 characters>`) but no such token exists. */
const UNKNOWN_TOKEN = `vsn_999999_${'A'.repeat(43)}`;
const SETUP_CALLER = { principal: 'test', rpc: 'test setup', peer: 'local' };

/** The scoped principals: NETWORK on one vsvr each. */
const SCOPED = { sales: 'scoped-sales', eng: 'scoped-eng' } as const;
type ScopedVsvr = keyof typeof SCOPED;

const CALLERS = [
  'no token',
  'unknown token',
  'read-only',
  'vsvr NETWORK on another vsvr',
  'vsvr NETWORK on this vsvr',
  'cluster NETWORK',
] as const;
type Caller = (typeof CALLERS)[number];

interface Fixture {
  readonly r: RunningControl;
  /** The store seen from the test, for tokens the API cannot make (expired ones, victims). */
  readonly auth: AuthStore;
  readonly sql: Connection;
  readonly tokens: Readonly<Record<'reader' | 'scoped-sales' | 'scoped-eng' | 'admin', string>>;
}

interface MutationCase {
  readonly service: ClusterApiServiceName;
  readonly method: string;
  /** Row label when one RPC has several cases (Apply, Apply as a dry run). */
  readonly label?: string;
  /** The vsvr the request changes: "this vsvr" for the scoped callers. Default sales. */
  readonly vsvr?: ScopedVsvr;
  /** docs/api.md: vsvr NETWORK on this vsvr may make the call. */
  readonly vsvrMay?: boolean;
  /** What a caller that may not gets; RevokeToken hides other principals' tokens. */
  readonly denied?: status;
  /**
   * What a caller that may gets, when not OK: MoveVsvr needs a filer that answers heartbeats,
   * and no agent runs here, so an authorized call gets as far as FAILED_PRECONDITION.
   */
  readonly permitted?: status;
  /** Audit rows and generation steps a call that passes writes (a dry run: none). */
  readonly writes?: { readonly audit: 0 | 1; readonly generation: 0 | 1 };
  /** A valid request that changes something, for the state `base()` (fresh for each row). */
  request(f: Fixture): object | Promise<object>;
}

/**
 * The lab cluster plus what some rows need: two spare ports on filer3 (bonds and failover
 * interfaces over them), an unused VLAN on filer1 (to delete) and an unused policy.
 */
function base(): ClusterDocument {
  const doc = labCluster();
  const filer1 = doc.filers.find((f) => f.name === 'filer1');
  const filer3 = doc.filers.find((f) => f.name === 'filer3');
  if (filer1 === undefined || filer3 === undefined) {
    throw new Error('lab-cluster.yaml no longer has filer1 and filer3');
  }
  filer3.interfaces.splice(
    1,
    0,
    { name: 'eth1', mac: '00:00:5e:00:53:31' },
    { name: 'eth2', mac: '00:00:5e:00:53:32' },
  );
  filer1.interfaces.push({ name: 'bond1.99' });
  doc.routingPolicies?.push({
    name: 'spare',
    routes: [{ to: '203.0.113.0/24', via: '198.51.100.254' }],
  });
  return doc;
}

let made = 0;

const MUTATIONS: readonly MutationCase[] = [
  {
    service: 'ClusterService',
    method: 'ChangeClusterMac',
    request: () => ({ mac: '00:00:5e:00:53:02' }),
  },
  {
    service: 'FilerService',
    method: 'RegisterFiler',
    request: () => ({ name: 'filer4', interfaces: [{ name: 'eth0', mac: '00:00:5e:00:53:40' }] }),
  },
  {
    service: 'FilerService',
    method: 'CreateJoinToken',
    writes: { audit: 1, generation: 0 },
    request: () => ({ filer: 'filer4', ttlSeconds: 600 }),
  },
  {
    service: 'InterfaceService',
    method: 'CreateBond',
    request: () => ({ filer: 'filer3', number: 5, members: ['eth1', 'eth2'] }),
  },
  {
    service: 'InterfaceService',
    method: 'CreateFailoverInterface',
    request: () => ({ filer: 'filer3', number: 5, members: ['eth1', 'eth2'], primary: 'eth1' }),
  },
  {
    service: 'InterfaceService',
    method: 'CreateVlan',
    request: () => ({ filer: 'filer1', parent: 'bond0', tag: 30 }),
  },
  {
    service: 'InterfaceService',
    method: 'CreateAlias',
    request: () => ({ filer: 'filer3', kind: 'ALIAS_KIND_DATA', number: 7, on: 'eth0' }),
  },
  {
    service: 'InterfaceService',
    method: 'DeleteInterface',
    request: () => ({ filer: 'filer1', name: 'bond1.99' }),
  },
  { service: 'VsvrService', method: 'CreateVsvr', request: () => ({ name: 'support' }) },
  { service: 'VsvrService', method: 'DeleteVsvr', request: () => ({ name: 'legacy' }) },
  {
    service: 'VsvrService',
    method: 'SetFailoverGroup',
    vsvrMay: true,
    request: () => ({ vsvr: 'sales', failoverGroup: { filers: ['filer1', 'filer2'] } }),
  },
  {
    service: 'VsvrService',
    method: 'AddAddress',
    vsvrMay: true,
    request: () => ({
      vsvr: 'sales',
      alias: 'data0',
      address: '198.51.100.22/24',
      nextFree: true,
    }),
  },
  {
    service: 'VsvrService',
    method: 'RemoveAddress',
    vsvrMay: true,
    request: () => ({ vsvr: 'sales', address: '198.51.100.21/24' }),
  },
  {
    service: 'RoutingService',
    method: 'CreateRoutingPolicy',
    request: () => ({
      policy: { name: 'group-c', routes: [{ to: '203.0.113.0/24', via: '198.51.100.253' }] },
    }),
  },
  {
    service: 'RoutingService',
    method: 'UpdateRoutingPolicy',
    request: () => ({
      policy: { name: 'spare', routes: [{ to: '203.0.113.0/24', via: '198.51.100.253' }] },
    }),
  },
  {
    service: 'RoutingService',
    method: 'DeleteRoutingPolicy',
    request: () => ({ name: 'spare' }),
  },
  {
    service: 'RoutingService',
    method: 'SetDefaultRoutingPolicy',
    request: () => ({ policy: 'spare' }),
  },
  {
    service: 'RoutingService',
    method: 'SetVsvrRoutingPolicy',
    vsvrMay: true,
    request: () => ({ vsvr: 'sales', policy: 'spare' }),
  },
  {
    service: 'RoutingService',
    method: 'SetAliasRoutingPolicy',
    // Clears filer1's mgmt0 policy (absent `policy`).
    request: () => ({ filer: 'filer1', alias: 'mgmt0' }),
  },
  {
    service: 'RoutingService',
    method: 'AddVsvrRoute',
    vsvrMay: true,
    request: () => ({ vsvr: 'sales', route: { to: '203.0.113.0/24', via: '198.51.100.254' } }),
  },
  {
    service: 'RoutingService',
    method: 'RemoveVsvrRoute',
    vsvr: 'eng',
    vsvrMay: true,
    request: () => ({ vsvr: 'eng', to: '203.0.113.0/24', via: '198.18.1.254' }),
  },
  {
    service: 'SiteService',
    method: 'CreateSite',
    request: () => ({ site: { name: 'lab2', subnets: ['2001:db8:3::/48'] } }),
  },
  {
    service: 'SiteService',
    method: 'UpdateSite',
    request: () => ({ site: { name: 'branch', subnets: ['203.0.113.0/24', '2001:db8:2::/48'] } }),
  },
  { service: 'SiteService', method: 'DeleteSite', request: () => ({ name: 'branch' }) },
  {
    service: 'ConfigService',
    method: 'Apply',
    request: () => ({ document: clusterDocumentToWire(withSite(base())), dryRun: false }),
  },
  {
    service: 'ConfigService',
    method: 'Apply',
    label: 'Apply (dry run)',
    writes: { audit: 0, generation: 0 },
    request: () => ({ document: clusterDocumentToWire(withSite(base())), dryRun: true }),
  },
  {
    service: 'AuthService',
    method: 'CreatePrincipal',
    writes: { audit: 1, generation: 0 },
    request: () => ({ name: `made-${++made}`, role: 'ROLE_READ_ONLY' }),
  },
  {
    service: 'AuthService',
    method: 'CreateToken',
    writes: { audit: 1, generation: 0 },
    request: () => ({ principal: 'victim', description: 'from the table' }),
  },
  {
    service: 'AuthService',
    method: 'RevokeToken',
    denied: status.NOT_FOUND,
    writes: { audit: 1, generation: 0 },
    request: async (f) => ({
      id: (await f.auth.createToken('victim', 'to revoke', null, SETUP_CALLER)).token.id,
    }),
  },
  {
    service: 'FailoverService',
    method: 'MoveVsvr',
    vsvrMay: true,
    permitted: status.FAILED_PRECONDITION,
    request: () => ({ vsvr: 'sales', filer: 'filer2' }),
  },
];

/**
 * The one mutating RPC outside the table: FilerService/JoinFiler takes no bearer token (its
 * access is JOIN_TOKEN, apps/control/src/auth/access.ts). An agent has no principal; the join
 * token in the request is its credential, so no role may call it without one and any caller
 * may with one. Its own test below, and test/medium/filer-join.test.ts, check that.
 */
const JOIN_FILER = clusterApiMethodPath('FilerService', 'JoinFiler');

/** InitCluster needs a cluster that does not exist yet: it runs before anything is applied. */
const INIT_CLUSTER: MutationCase = {
  service: 'ClusterService',
  method: 'InitCluster',
  request: () => ({ name: 'lab', mac: '00:00:5e:00:53:01' }),
};

function withSite(doc: ClusterDocument): ClusterDocument {
  doc.sites?.push({ name: 'lab2', subnets: ['2001:db8:3::/48'] });
  return doc;
}

function expected(c: MutationCase, caller: Caller): status {
  switch (caller) {
    case 'no token':
    case 'unknown token':
      return status.UNAUTHENTICATED;
    case 'read-only':
    case 'vsvr NETWORK on another vsvr':
      return c.denied ?? status.PERMISSION_DENIED;
    case 'vsvr NETWORK on this vsvr':
      return c.vsvrMay === true
        ? (c.permitted ?? status.OK)
        : (c.denied ?? status.PERMISSION_DENIED);
    case 'cluster NETWORK':
      return c.permitted ?? status.OK;
  }
}

/** The principal name and bearer secret (`undefined`: none sent) of `caller` for case `c`. */
function credentials(f: Fixture, c: MutationCase, caller: Caller): [string, string | undefined] {
  const vsvr = c.vsvr ?? 'sales';
  const other: ScopedVsvr = vsvr === 'sales' ? 'eng' : 'sales';
  switch (caller) {
    case 'no token':
      return ['', undefined];
    case 'unknown token':
      return ['', UNKNOWN_TOKEN];
    case 'read-only':
      return ['reader', f.tokens.reader];
    case 'vsvr NETWORK on another vsvr':
      return [SCOPED[other], f.tokens[SCOPED[other]]];
    case 'vsvr NETWORK on this vsvr':
      return [SCOPED[vsvr], f.tokens[SCOPED[vsvr]]];
    case 'cluster NETWORK':
      return ['admin', f.tokens.admin];
  }
}

async function auditCount(sql: Connection): Promise<number> {
  const [rows] = await sql.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM audit');
  return Number(rows[0]?.n);
}

async function lastAudit(sql: Connection): Promise<{ principal: string; rpc: string }> {
  const [rows] = await sql.query<RowDataPacket[]>(
    'SELECT principal, rpc FROM audit ORDER BY id DESC LIMIT 1',
  );
  return { principal: String(rows[0]?.principal), rpc: String(rows[0]?.rpc) };
}

async function generation(sql: Connection): Promise<bigint> {
  const [rows] = await sql.query<RowDataPacket[]>('SELECT generation FROM cluster WHERE id = 1');
  return BigInt(String(rows[0]?.generation ?? 0));
}

/** The status name and message of a call, so a failed expectation shows what the server said. */
function outcome(result: CallResult<unknown>): { status: string; message: string } {
  const code = result.err?.code ?? status.OK;
  return { status: status[code], message: result.err?.details ?? '' };
}

/** Calls the case's RPC as `caller` and checks the answer and what it wrote. */
async function check(f: Fixture, c: MutationCase, caller: Caller): Promise<void> {
  const request = await c.request(f);
  const [principal, token] = credentials(f, c, caller);
  const want = expected(c, caller);
  const [auditBefore, generationBefore] = [await auditCount(f.sql), await generation(f.sql)];
  const result = await f.r.call(c.service, c.method, request, token);
  expect(outcome(result)).toMatchObject({ status: status[want] });
  const writes = want === status.OK ? (c.writes ?? { audit: 1, generation: 1 }) : undefined;
  expect(await auditCount(f.sql)).toBe(auditBefore + (writes?.audit ?? 0));
  expect(await generation(f.sql)).toBe(generationBefore + BigInt(writes?.generation ?? 0));
  if (writes?.audit === 1) {
    expect(await lastAudit(f.sql)).toEqual({
      principal,
      rpc: clusterApiMethodPath(c.service, c.method),
    });
  }
}

/**
 * A principal with NETWORK on `vsvr`, written straight to the tables: the store only grants
 * vsvrs that exist, and InitCluster's rows run before any does.
 */
async function scopedPrincipal(f: Omit<Fixture, 'tokens'>, vsvr: ScopedVsvr): Promise<string> {
  const name = SCOPED[vsvr];
  await f.sql.query('INSERT INTO principals (name, created_at) VALUES (?, NOW(3))', [name]);
  await f.sql.query(
    `INSERT INTO principal_grants (principal_id, privilege, scope_kind, scope_name)
     SELECT id, 'network', 'vsvr', ? FROM principals WHERE name = ?`,
    [vsvr, name],
  );
  return (await f.auth.createToken(name, 'test', null, SETUP_CALLER)).secret;
}

function rowName(c: MutationCase): string {
  return c.label ?? `${c.service}/${c.method}`;
}

describe('authorization of every mutating RPC', () => {
  let f: Fixture;
  let dataSource: DataSource;

  beforeAll(async () => {
    const r = await startControl('authz');
    dataSource = new DataSource(
      storeDataSourceOptions({ url: r.db.url, migrations: schemaMigrations(r.config.dbEngine) }),
    );
    await dataSource.initialize();
    const sql = await createConnection(r.db.url);
    const auth = new AuthStore(dataSource);
    const partial = { r, auth, sql };
    const reader = await r.principal('reader', 'read-only');
    await r.principal('victim', 'read-only');
    f = {
      ...partial,
      tokens: {
        reader,
        'scoped-sales': await scopedPrincipal(partial, 'sales'),
        'scoped-eng': await scopedPrincipal(partial, 'eng'),
        admin: r.adminToken,
      },
    };
  }, 60_000);

  afterAll(async () => {
    await f.sql.end();
    await dataSource.destroy();
    await f.r.stop();
  });

  it('covers every mutating RPC of vsnet.v1', () => {
    const covered = [INIT_CLUSTER, ...MUTATIONS].map((c) =>
      clusterApiMethodPath(c.service, c.method),
    );
    covered.push(JOIN_FILER);
    expect([...new Set(covered)].sort()).toEqual([...CLUSTER_API_MUTATIONS].sort());
  });

  describe('before the cluster exists: ClusterService/InitCluster', () => {
    it.each(CALLERS)('%s', async (caller) => {
      await check(f, INIT_CLUSTER, caller);
    });
  });

  describe('on the lab cluster', () => {
    beforeAll(async () => {
      await applyAsAdmin(f.r, base());
    }, 30_000);

    describe.each(MUTATIONS.map((c) => [rowName(c), c] as const))('%s', (_name, c) => {
      it.each(CALLERS)('%s', async (caller) => {
        // Each row starts from the base: a row that passed before has changed it.
        await applyAsAdmin(f.r, base());
        await check(f, c, caller);
      });
    });

    describe('FilerService/JoinFiler, the exception: only the join token counts', () => {
      it.each(CALLERS)('%s, without a valid join token: UNAUTHENTICATED', async (caller) => {
        const [, token] = credentials(f, INIT_CLUSTER, caller);
        const request = {
          joinToken: `vsj_999999_${'A'.repeat(43)}`,
          name: 'filer4',
          interfaces: [{ name: 'eth0', mac: '00:00:5e:00:53:40' }],
          agentAddress: '198.51.100.40:7401',
        };
        const [auditBefore, generationBefore] = [await auditCount(f.sql), await generation(f.sql)];
        const result = await f.r.call('FilerService', 'JoinFiler', request, token);
        expect(outcome(result)).toMatchObject({ status: 'UNAUTHENTICATED' });
        expect(await auditCount(f.sql)).toBe(auditBefore);
        expect(await generation(f.sql)).toBe(generationBefore);
      });
    });

    it('refuses a revoked token with UNAUTHENTICATED', async () => {
      const { token, secret } = await f.auth.createToken(
        'reader',
        'soon revoked',
        null,
        SETUP_CALLER,
      );
      expect(outcome(await f.r.call('AuthService', 'WhoAmI', {}, secret))).toMatchObject({
        status: 'OK',
      });
      // A principal may revoke its own token; the revocation is audited under its name.
      const before = await auditCount(f.sql);
      const revoked = await f.r.call('AuthService', 'RevokeToken', { id: token.id }, secret);
      expect(outcome(revoked)).toMatchObject({ status: 'OK' });
      expect(await auditCount(f.sql)).toBe(before + 1);
      expect(await lastAudit(f.sql)).toEqual({
        principal: 'reader',
        rpc: '/vsnet.v1.AuthService/RevokeToken',
      });
      const after = await f.r.call('AuthService', 'WhoAmI', {}, secret);
      expect(outcome(after)).toMatchObject({ status: 'UNAUTHENTICATED' });
      expect(after.err?.details).toMatch(/revoked/);
    });

    it('refuses an expired token with UNAUTHENTICATED', async () => {
      const expiresAt = new Date(Date.now() + 1_000);
      const { secret } = await f.auth.createToken('reader', 'short-lived', expiresAt, SETUP_CALLER);
      expect(outcome(await f.r.call('AuthService', 'WhoAmI', {}, secret))).toMatchObject({
        status: 'OK',
      });
      await sleep(expiresAt.getTime() - Date.now() + 100);
      const later = await f.r.call('AuthService', 'WhoAmI', {}, secret);
      expect(outcome(later)).toMatchObject({ status: 'UNAUTHENTICATED' });
    });

    it('names the principal and what it lacks when it refuses with PERMISSION_DENIED', async () => {
      const reader = await f.r.call(
        'VsvrService',
        'CreateVsvr',
        { name: 'support' },
        f.tokens.reader,
      );
      expect(outcome(reader)).toMatchObject({ status: 'PERMISSION_DENIED' });
      expect(reader.err?.details).toContain('principal "reader"');
      expect(reader.err?.details).toContain('cluster NETWORK');
      const scoped = await f.r.call(
        'VsvrService',
        'AddAddress',
        { vsvr: 'sales', alias: 'data0', address: '198.51.100.22/24', nextFree: true },
        f.tokens['scoped-eng'],
      );
      expect(outcome(scoped)).toMatchObject({ status: 'PERMISSION_DENIED' });
      expect(scoped.err?.details).toContain('principal "scoped-eng"');
      expect(scoped.err?.details).toContain('NETWORK on vsvr "sales"');
    });

    describe('ChangeService/WatchChange, a stream any principal may open', () => {
      /** The newest change still pending: nothing applies it (no agent has joined). */
      async function pendingChange(): Promise<string> {
        await applyAsAdmin(f.r, base());
        const { res } = await f.r.call<{ changes: { generation: string; state: string }[] }>(
          'ChangeService',
          'ListChanges',
          {},
          f.tokens.admin,
        );
        const pending = res?.changes.find((c) => c.state === 'CHANGE_STATE_PENDING');
        if (pending === undefined) {
          throw new Error('no pending change to watch');
        }
        return pending.generation;
      }

      it(`refuses more than ${MAX_WATCHES_PER_PRINCIPAL} open streams of one principal with RESOURCE_EXHAUSTED`, async () => {
        const generation = await pendingChange();
        const open = Array.from({ length: MAX_WATCHES_PER_PRINCIPAL }, () =>
          watch(f.r.address, f.tokens.reader, generation),
        );
        try {
          // Each stream counts once its first message came.
          await Promise.all(open.map((w) => w.first));
          const over = watch(f.r.address, f.tokens.reader, generation);
          const refused = await over.ended;
          expect(refused?.code).toBe(status.RESOURCE_EXHAUSTED);
          expect(refused?.details).toContain('principal "reader"');
          expect(refused?.details).toContain(`${MAX_WATCHES_PER_PRINCIPAL} WatchChange streams`);
          // Another principal's streams are its own.
          const admin = watch(f.r.address, f.tokens.admin, generation);
          await admin.first;
          admin.cancel();
          // Ending one stream frees its place.
          open.pop()?.cancel();
          let again: Watch | undefined;
          for (let tries = 0; tries < 20 && again === undefined; tries++) {
            await sleep(100);
            const next = watch(f.r.address, f.tokens.reader, generation);
            const first = await Promise.race([
              next.first.then(() => true),
              next.ended.then(() => false),
            ]);
            if (first) {
              again = next;
            }
          }
          expect(again).toBeDefined();
          again?.cancel();
        } finally {
          open.forEach((w) => w.cancel());
        }
      });

      it('ends a stream whose database read fails with INTERNAL, not the database error', async () => {
        const generation = await pendingChange();
        const watching = watch(f.r.address, f.tokens.admin, generation);
        await watching.first;
        // A watch re-reads the filers' states at every wake-up (a change's targets never change).
        await f.sql.query('RENAME TABLE filer_state TO filer_state_away');
        try {
          const ended = await watching.ended;
          expect(ended?.code).toBe(status.INTERNAL);
          expect(ended?.details).toBe('internal error; the service logged the details');
        } finally {
          await f.sql.query('RENAME TABLE filer_state_away TO filer_state');
        }
        // Everything works again once the table is back.
        const after = watch(f.r.address, f.tokens.admin, generation);
        await after.first;
        after.cancel();
      });
    });
  });
});

/** An open WatchChange stream. */
interface Watch {
  /** Resolves at the first message. */
  readonly first: Promise<void>;
  /** Resolves when the stream ends: with its error, or `undefined` when it completed. */
  readonly ended: Promise<ServiceError | undefined>;
  cancel(): void;
}

function watch(address: string, token: string, generation: string): Watch {
  const api = clusterApiGrpc(loadClusterApiPackageDefinition()) as unknown as Record<
    string,
    typeof Client
  >;
  const client = new api.ChangeService!(address, channelCredentials.createInsecure());
  const md = new Metadata();
  md.set('authorization', `Bearer ${token}`);
  const stream = (
    client as unknown as {
      watchChange(req: object, md: Metadata, o: CallOptions): ClientReadableStream<unknown>;
    }
  ).watchChange({ generation }, md, { deadline: Date.now() + 20_000 });
  const first = new Promise<void>((resolve) => stream.once('data', () => resolve()));
  const ended = new Promise<ServiceError | undefined>((resolve) => {
    stream.on('error', (err: ServiceError) => {
      client.close();
      resolve(err.code === status.CANCELLED ? undefined : err);
    });
    stream.on('end', () => {
      client.close();
      resolve(undefined);
    });
  });
  return { first, ended, cancel: () => stream.cancel() };
}
