import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import fc from 'fast-check';
import type { Connection } from 'mysql2/promise';
import { createConnection } from 'mysql2/promise';
import {
  CLUSTER_API_MUTATIONS,
  CLUSTER_API_SERVICES,
  clusterApiMethodPath,
  loadClusterApiPackageDefinition,
} from '../../libs/contracts/src/cluster-api.js';
import type { ClusterApiServiceName } from '../../libs/contracts/src/cluster-api.js';
import { startControl } from './support/control-service.js';
import type { RunningControl } from './support/control-service.js';
import { applyAsAdmin, labCluster } from './support/documents.js';

// Fuzz: 10,000 generated and mutated requests to every vsnet.v1 RPC of a running control
// service with the lab cluster applied. Requests are built from each RPC's own message
// descriptor, with values drawn from the lab cluster's names and addresses (so many get deep into
// validation, and some succeed) and from hostile strings and numbers. Every answer must be OK or
// a deliberate refusal (never INTERNAL, UNKNOWN, UNIMPLEMENTED or a dead server), and after every
// refusal the database must be exactly as before it (CHECKSUM TABLE over every table).

const RUNS = 10_000;
/** The fuzzer's own admin token is never the target of RevokeToken (that would end the run). */
const FUZZ_PRINCIPAL = 'fuzzer';

interface FieldDescriptor {
  name: string;
  label: string;
  type: string;
  typeName?: string;
  oneofIndex?: number;
  proto3Optional?: boolean;
}
interface MessageDescriptor {
  field: FieldDescriptor[];
}
interface TypeEntry {
  format: string;
  type: MessageDescriptor & { value?: { name: string }[] };
}
interface MethodEntry {
  requestType: TypeEntry;
  responseStream: boolean;
}

const definition = loadClusterApiPackageDefinition() as unknown as Record<
  string,
  TypeEntry | Record<string, MethodEntry>
>;

function typeEntry(typeName: string): TypeEntry {
  // Names are fully qualified (`.vsnet.v1.X`) or, for this package's own types, bare (`X`).
  const name = typeName.replace(/^\./, '');
  const entry = (definition[name] ?? definition[`vsnet.v1.${name}`]) as TypeEntry | undefined;
  if (entry === undefined) {
    throw new Error(`no type ${typeName} in the package definition`);
  }
  return entry;
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Values a lab-cluster request would use: names, aliases, addresses, MACs, roles. */
const MEANINGFUL = [
  'sales',
  'legacy',
  'eng',
  'archive',
  'vs_mgmt',
  'Sales',
  'newvsvr',
  'filer1',
  'filer2',
  'filer3',
  'filer4',
  'eth0',
  'eth1',
  'eth5',
  'bond0',
  'bond1',
  'bond7',
  'fail0',
  'bond0.20',
  'bond0.30',
  'data0',
  'data0.5',
  'data1',
  'data2',
  'data3',
  'mgmt0',
  'mgmt1',
  'san0',
  'san1',
  '198.51.100.77/24',
  '198.51.100.21/24',
  '198.51.100.77',
  '2001:db8:1:100::77/64',
  '192.0.2.200/25',
  '203.0.113.0/24',
  '198.51.100.1',
  'default',
  '00:00:5e:00:53:99',
  '00:00:5e:00:53:10',
  '00:00:5e:00:53:01',
  'mgmt',
  'cluster-default',
  'group-a',
  'group-b',
  'hq',
  'branch',
  'static',
  'dhcp',
  '802.3ad',
  'active-backup',
  'ROLE_READ_ONLY',
  'admin',
  FUZZ_PRINCIPAL,
  'AddAddress',
  'vsvr sales',
  'vsvr *',
  '1',
  '2',
  '0',
  'vsnet/v1',
  'Cluster',
  '198.51.100.40:7401',
];

const HOSTILE = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a'.repeat(300),
    '../../etc',
    "'; DROP TABLE audit; --",
    '%s%n',
    '\u202e',
    '🙂',
    'data-1',
    'eth99999',
    '999.1.1.1/24',
    '::/0',
    '0.0.0.0/0',
    '1/33',
    'ff:ff:ff:ff:ff:ff',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

const STRING = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...MEANINGFUL) },
  { weight: 3, arbitrary: HOSTILE },
);

const NUMBER = fc.oneof(
  fc.constantFrom(0, 1, 2, 5, 20, 99, 100, 1000, 1001, 4094, 4095, 9000, 65535, 4294967295),
  fc.nat({ max: 4294967295 }),
);

/** A message of `descriptor` with each field present or not, values as above; depth-limited. */
function messageArb(
  descriptor: MessageDescriptor,
  depth: number,
): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of descriptor.field) {
    const one = fieldValueArb(field, depth);
    if (one === undefined) {
      continue;
    }
    parts[camel(field.name)] =
      field.label === 'LABEL_REPEATED' ? fc.array(one, { maxLength: depth > 1 ? 1 : 4 }) : one;
  }
  return fc.record(parts, { requiredKeys: [] });
}

function fieldValueArb(field: FieldDescriptor, depth: number): fc.Arbitrary<unknown> | undefined {
  switch (field.type) {
    case 'TYPE_STRING':
      return STRING;
    case 'TYPE_BOOL':
      return fc.boolean();
    case 'TYPE_UINT32':
    case 'TYPE_INT32':
      return NUMBER;
    case 'TYPE_UINT64':
    case 'TYPE_INT64':
      // Besides the extremes: year 10000 in ms (beyond a DATETIME) and the last ms a Date holds.
      return fc.oneof(
        NUMBER.map(String),
        fc.constantFrom('18446744073709551615', '8640000000000000', '253402300800000', '1', '0'),
      );
    case 'TYPE_ENUM':
      return fc.constantFrom(
        ...(typeEntry(field.typeName ?? '').type.value ?? []).map((v) => v.name),
      );
    case 'TYPE_MESSAGE': {
      if (
        depth >= 3 ||
        field.typeName === undefined ||
        field.typeName.startsWith('.google.protobuf')
      ) {
        return undefined;
      }
      return messageArb(typeEntry(field.typeName).type, depth + 1);
    }
    default:
      return undefined;
  }
}

/**
 * Every unary RPC with an arbitrary request of its type. The one server stream (WatchChange)
 * is left to its own tests: this caller speaks unary only.
 */
const rpcs = Object.entries(CLUSTER_API_SERVICES).flatMap(([service, methods]) =>
  methods.flatMap((method) => {
    const entry = (definition[`vsnet.v1.${service}`] as Record<string, MethodEntry>)[method];
    if (entry === undefined) {
      throw new Error(`no method ${service}/${method}`);
    }
    if (entry.responseStream) {
      return [];
    }
    return {
      service: service as ClusterApiServiceName,
      method,
      request: messageArb(entry.requestType.type, 0),
    };
  }),
);

/**
 * Join tokens minted before the run (beforeAll), for any filer and for lab filer names: without
 * them no JoinFiler call gets past the token check. Read when a request is generated.
 */
const joinTokens: string[] = [];

/** JoinFiler's request, half the time with a minted join token and a dialable agent address. */
function withJoinToken(request: fc.Arbitrary<Record<string, unknown>>) {
  return fc
    .tuple(request, fc.boolean(), fc.nat(), fc.boolean())
    .map(([req, minted, k, dialable]) =>
      minted && joinTokens.length > 0
        ? {
            ...req,
            joinToken: joinTokens[k % joinTokens.length],
            ...(dialable ? { agentAddress: '198.51.100.40:7401' } : {}),
          }
        : req,
    );
}

const REQUEST = fc.oneof(
  ...rpcs.map((rpc) =>
    (rpc.method === 'JoinFiler' ? withJoinToken(rpc.request) : rpc.request).map((request) => ({
      service: rpc.service,
      method: rpc.method,
      request,
    })),
  ),
);

let r: RunningControl;
let db: Connection;
let token: string;
let tables: string[];

/**
 * The pipeline's runtime tables change on their own while the service runs (the leader renews
 * its lease; the worker records what agents report; the leader writes the filers' health and
 * its failovers as its heartbeats to the agents of fuzzed joins find them), so of those only
 * what a request writes is compared: the desired generation and hash of each filer.
 */
const RUNTIME_TABLES = new Set(['filer_state', 'leader_lease', 'filer_health', 'failover_event']);

/**
 * Every table's CHECKSUM: equal before and after means the table's rows are byte-for-byte equal.
 * `except` leaves a table out (a JoinFiler refusal spends its join token, checked on its own).
 */
async function fingerprint(except?: string): Promise<string> {
  const compared = tables.filter((t) => !RUNTIME_TABLES.has(t) && t !== except);
  const [sums] = await db.query(`CHECKSUM TABLE ${compared.map((t) => `\`${t}\``).join(', ')}`);
  const [desired] = await db.query(
    'SELECT filer, desired_generation, desired_hash FROM filer_state ORDER BY filer',
  );
  return JSON.stringify([sums, desired]);
}

beforeAll(async () => {
  r = await startControl('fuzz');
  await applyAsAdmin(r, labCluster());
  token = await r.principal(FUZZ_PRINCIPAL, 'cluster-network');
  db = await createConnection(r.db.url);
  const [rows] = await db.query(
    'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1',
  );
  tables = (rows as { name: string }[]).map((row) => row.name);
  for (const filer of ['', '', '', '', '', 'filer1', 'filer2', 'filer4', 'filer4', 'eth0']) {
    const { res, err } = await r.call<{ joinToken: string }>(
      'FilerService',
      'CreateJoinToken',
      { filer },
      token,
    );
    if (res === undefined) {
      throw new Error(`CreateJoinToken failed: ${err?.details ?? 'no answer'}`);
    }
    joinTokens.push(res.joinToken);
  }
}, 60_000);

/** Whether the join token behind `secret` is used or spent. */
async function spent(secret: string): Promise<boolean> {
  const [rows] = await db.query(
    'SELECT used_at IS NOT NULL AS spent FROM join_tokens WHERE id = ?',
    [/^vsj_(\d+)_/.exec(secret)?.[1]],
  );
  return Number((rows as { spent: number }[])[0]?.spent) === 1;
}

afterAll(async () => {
  await db?.end();
  await r?.stop();
});

describe('fuzzing every vsnet.v1 RPC', () => {
  it(`answers ${RUNS} requests with OK or a deliberate refusal, and a refusal writes nothing`, async () => {
    const counts = new Map<string, number>();
    let before = await fingerprint();
    /** JoinFiler answers to calls with a minted token, and its successes. */
    const joinCounts = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(REQUEST, fc.integer({ min: 0, max: 19 }), async (call, authCase) => {
        const fuzzTokenId = /^vsn_(\d+)_/.exec(token)?.[1];
        if (call.method === 'RevokeToken' && call.request['id'] === fuzzTokenId) {
          return;
        }
        // One call in twenty without a token, one with a forged one; the rest as cluster NETWORK.
        const auth =
          authCase === 0 ? undefined : authCase === 1 ? `vsn_1_${'A'.repeat(43)}` : token;
        const joinToken = call.request['joinToken'];
        const mintedJoin =
          call.method === 'JoinFiler' &&
          typeof joinToken === 'string' &&
          joinTokens.includes(joinToken);
        // A refused join with a minted token spends it: the other tables are compared apart.
        const beforeWithoutTokens = mintedJoin ? await fingerprint('join_tokens') : '';
        const { err } = await r.call(call.service, call.method, call.request, auth);
        const code = err === undefined ? 'OK' : (status[err.code] ?? String(err.code));
        counts.set(code, (counts.get(code) ?? 0) + 1);
        const where = `${clusterApiMethodPath(call.service, call.method)} ${JSON.stringify(call.request).slice(0, 300)}`;
        expect({ where, code }).toEqual({
          where,
          code: expect.not.stringMatching(
            /^(INTERNAL|UNKNOWN|UNIMPLEMENTED|UNAVAILABLE|DEADLINE_EXCEEDED|DATA_LOSS)$/,
          ),
        });
        const after = await fingerprint();
        if (err !== undefined && mintedJoin) {
          // A refused join with a minted token writes one thing: the token is spent.
          expect({ where, spent: await spent(String(joinToken)) }).toEqual({ where, spent: true });
          const others = await fingerprint('join_tokens');
          expect({ where, unchanged: others === beforeWithoutTokens }).toEqual({
            where,
            unchanged: true,
          });
          joinCounts.set(code, (joinCounts.get(code) ?? 0) + 1);
        } else if (err !== undefined) {
          expect({ where, unchanged: after === before }).toEqual({ where, unchanged: true });
        } else if (!CLUSTER_API_MUTATIONS.has(clusterApiMethodPath(call.service, call.method))) {
          // A read changes nothing either.
          expect({ where, unchanged: after === before }).toEqual({ where, unchanged: true });
        }
        if (mintedJoin && err === undefined) {
          joinCounts.set('OK', (joinCounts.get('OK') ?? 0) + 1);
        }
        before = after;
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    const summary = [...counts.entries()].sort((a, b) => b[1] - a[1]);
    process.stdout.write(
      `fuzz: ${RUNS} requests: ${summary.map(([c, n]) => `${c} ${n}`).join(', ')}\n`,
    );
    // The generator must reach both sides: accepted changes and refusals of each kind.
    expect(counts.get('OK') ?? 0).toBeGreaterThan(100);
    expect(counts.get('INVALID_ARGUMENT') ?? 0).toBeGreaterThan(100);
    expect(counts.get('UNAUTHENTICATED') ?? 0).toBeGreaterThan(100);
    // JoinFiler gets past its token check: some joins are refused by the cluster, not the token.
    process.stdout.write(
      `fuzz: JoinFiler with a minted token: ${[...joinCounts].map(([c, n]) => `${c} ${n}`).join(', ')}\n`,
    );
    const pastToken = [...joinCounts].filter(([c]) => c !== 'UNAUTHENTICATED');
    expect(pastToken.reduce((n, [, k]) => n + k, 0)).toBeGreaterThan(0);
  }, 900_000);
});
