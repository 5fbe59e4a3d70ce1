import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pc from 'picocolors';
import { parse } from 'yaml';
import type { ClusterDocument } from '@vsnet/model';
import { clusterApiGrpc } from '../../../libs/contracts/src/cluster-api.js';
import { clusterDocumentToWire } from '../../../libs/contracts/src/cluster-api-document.js';
import type { Failover } from '../../../libs/contracts/src/generated/vsnet/v1/Failover.js';
import type { GetFailoverStatusResponse } from '../../../libs/contracts/src/generated/vsnet/v1/GetFailoverStatusResponse.js';
import type { WatchChangeResponse } from '../../../libs/contracts/src/generated/vsnet/v1/WatchChangeResponse.js';
import { runCli } from './cli.js';
import { renderFailoverStatus, renderMove } from './failover.command.js';
import { TWO_FILERS } from './testing/documents.js';
import { memoryIo } from './testing/memory-io.js';
import type { GetFailoverStatusResponse__Output, MoveVsvrResponse__Output } from './wire-types.js';

// `vsnet failover status` and `vsnet vsvr move`: their rendering of fixed answers, and the verbs
// through runCli against a fake FailoverService on loopback (what they ask, what they print,
// how a refusal exits).

const plainColours = pc.createColors(false);
const TOKEN = 'vst_test_secret';
const T0 = Date.UTC(2025, 5, 1, 10, 0, 0);

const LOST: Failover = {
  id: 4,
  kind: 'FAILOVER_KIND_FILER_LOST',
  filer: 'filer1',
  epoch: 7,
  detectedUnixMs: T0 + 5000,
  detectionMs: 104.25,
  generation: 31,
  principal: 'vsnet-failover',
  moves: [
    {
      vsvr: 'vs_mgmt',
      from: 'filer1',
      to: 'filer2',
      targetChosenMs: 0.2,
      plumbedMs: 9.5,
      announcedMs: 11.25,
      committedMs: 40,
      error: '',
    },
    {
      vsvr: 'sales',
      from: 'filer1',
      to: '',
      targetChosenMs: 0.3,
      plumbedMs: 0,
      announcedMs: 0,
      committedMs: 0,
      error: 'no filer of its group is up',
    },
  ],
};

const MOVE: Failover = {
  id: 5,
  kind: 'FAILOVER_KIND_MOVE',
  filer: 'filer2',
  epoch: 7,
  detectedUnixMs: T0 + 60_000,
  detectionMs: 0,
  generation: 32,
  principal: 'admin',
  moves: [
    {
      vsvr: 'vs_mgmt',
      from: 'filer2',
      to: 'filer1',
      targetChosenMs: 0.1,
      plumbedMs: 12,
      announcedMs: 13.5,
      committedMs: 30.25,
      error: '',
    },
  ],
};

const STATUS: GetFailoverStatusResponse = {
  leader: { holder: 'ctl1/4242/ab12', epoch: 7, endpoint: '198.19.255.1:7400', expiresUnixMs: T0 },
  heartbeat: {
    profile: 'default',
    intervalMs: 20,
    misses: 5,
    kernelProbeTimeoutMs: 50,
    upHoldMs: 2000,
    leaseMs: 3000,
    fenceAfterMs: 6000,
  },
  generation: 31,
  filers: [
    {
      filer: 'filer1',
      state: 'FILER_HEALTH_STATE_DOWN',
      sinceUnixMs: T0 + 5000,
      generation: 30,
      fenced: false,
    },
    {
      filer: 'filer2',
      state: 'FILER_HEALTH_STATE_UP',
      sinceUnixMs: T0,
      generation: 31,
      fenced: false,
    },
    {
      filer: 'filer3',
      state: 'FILER_HEALTH_STATE_AGENT_DOWN',
      sinceUnixMs: T0,
      generation: 31,
      fenced: true,
    },
  ],
  vsvrs: [
    {
      vsvr: 'vs_mgmt',
      filer: 'filer2',
      home: 'filer1',
      reason: 'PLACEMENT_REASON_FAILOVER',
      sinceUnixMs: T0 + 5000,
      failback: 'auto',
      failbackHoldDownSeconds: 60,
    },
    {
      vsvr: 'sales',
      filer: 'filer1',
      home: 'filer1',
      reason: 'PLACEMENT_REASON_HOME',
      sinceUnixMs: 0,
      failback: 'manual',
      failbackHoldDownSeconds: 60,
    },
  ],
  recent: [LOST],
};

/** TWO_FILERS's VsvrA, failed over from Filer1 (written in another case: names ignore it). */
const VSVR_A_AWAY = {
  vsvr: 'vsvra',
  filer: 'FILER2',
  home: 'Filer1',
  reason: 'PLACEMENT_REASON_FAILOVER',
  sinceUnixMs: T0,
  failback: 'manual',
  failbackHoldDownSeconds: 60,
} as const;

/** The message as the CLI receives it: encoded and decoded by the real service definition. */
const api = clusterApiGrpc();
function received<T>(method: 'GetFailoverStatus' | 'MoveVsvr', message: object): T {
  const def = api.FailoverService.service[method];
  return def.responseDeserialize(def.responseSerialize(message)) as T;
}

describe('rendering failover status and moves', () => {
  it('shows the leader, heartbeat, filers, vsvrs and each failover with its phase timeline', () => {
    const res = received<GetFailoverStatusResponse__Output>('GetFailoverStatus', STATUS);
    expect(renderFailoverStatus(res, plainColours)).toBe(
      [
        'leader:      ctl1/4242/ab12 (epoch 7) at 198.19.255.1:7400, lease until 2025-06-01T10:00:00Z',
        'heartbeat:   default: a ping every 20 ms, 5 missed and a silent kernel (probe 50 ms) is down, up again after 2000 ms; lease 3000 ms, fence after 6000 ms',
        'generation:  31',
        'filers:',
        '  FILER   STATE       SINCE                 FENCED  GEN',
        '  filer1  down        2025-06-01T10:00:05Z  no       30',
        '  filer2  up          2025-06-01T10:00:00Z  no       31',
        '  filer3  agent-down  2025-06-01T10:00:00Z  yes      31',
        'vsvrs:',
        '  VSVR     RUNS ON  HOME    REASON    SINCE                 FAILBACK',
        '  vs_mgmt  filer2   filer1  failover  2025-06-01T10:00:05Z  auto after 60 s',
        '  sales    filer1   filer1  home                            manual',
        'recent failovers (ms after detection):',
        '  #4 filer1 lost at 2025-06-01T10:00:05Z by vsnet-failover (epoch 7), detected 104.3 ms after its last answer; generation 31',
        '    VSVR     FROM    TO      CHOSEN  PLUMBED  ANNOUNCED  COMMITTED  ERROR',
        '    vs_mgmt  filer1  filer2     0.2      9.5       11.3       40.0',
        '    sales    filer1  (none)     0.3        -          -          -  no filer of its group is up',
      ].join('\n'),
    );
  });

  it('says when there is no leader and no failover yet', () => {
    const res = received<GetFailoverStatusResponse__Output>('GetFailoverStatus', {
      generation: 3,
    });
    expect(renderFailoverStatus(res, plainColours)).toBe(
      [
        'leader:      none (no control replica holds the lease)',
        'generation:  3',
        'filers:',
        '  none',
        'vsvrs:',
        '  none',
        'recent failovers: none',
      ].join('\n'),
    );
  });

  it('prints a move as one line and its timeline', () => {
    const res = received<MoveVsvrResponse__Output>('MoveVsvr', { failover: MOVE, generation: 32 });
    expect(renderMove(res, 'VS_MGMT', 'filer1', plainColours)).toBe(
      [
        'moved vs_mgmt from filer2 to filer1; generation 32',
        '#5 moved at 2025-06-01T10:01:00Z by admin (epoch 7); generation 32',
        '  VSVR     FROM    TO      CHOSEN  PLUMBED  ANNOUNCED  COMMITTED',
        '  vs_mgmt  filer2  filer1     0.1     12.0       13.5       30.3',
      ].join('\n'),
    );
  });
});

/** What the fake service does and was asked. */
interface Script {
  status: unknown[];
  moves: unknown[];
  watched: string[];
  moveError?: { code: grpc.status; details: string };
}
let script: Script = { status: [], moves: [], watched: [] };

describe('vsnet failover status and vsnet vsvr move against a fake control service', () => {
  let server: grpc.Server;
  let address = '';

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(api.FailoverService.service, {
      GetFailoverStatus: (
        call: grpc.ServerUnaryCall<unknown, unknown>,
        cb: grpc.sendUnaryData<unknown>,
      ) => {
        script.status.push(call.request);
        cb(null, {
          ...STATUS,
          vsvrs: [...(STATUS.vsvrs ?? []), VSVR_A_AWAY],
          recent: [MOVE, LOST],
        });
      },
      MoveVsvr: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        script.moves.push(call.request);
        if (script.moveError !== undefined) {
          cb(script.moveError);
        } else {
          cb(null, { failover: MOVE, generation: 32 });
        }
      },
    });
    server.addService(api.ConfigService.service, {
      Export: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb(null, {
          document: clusterDocumentToWire(parse(TWO_FILERS) as ClusterDocument),
          generation: 31,
        }),
    });
    server.addService(api.ChangeService.service, {
      WatchChange: (
        call: grpc.ServerWritableStream<{ generation: string }, WatchChangeResponse>,
      ) => {
        script.watched.push(call.request.generation);
        call.write({
          change: {
            generation: 32,
            state: 'CHANGE_STATE_APPLIED',
            filers: [
              { filer: 'filer1', state: 'FILER_PROGRESS_STATE_APPLIED', observedGeneration: 32 },
              { filer: 'filer2', state: 'FILER_PROGRESS_STATE_APPLIED', observedGeneration: 32 },
            ],
          },
        });
        call.end();
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    address = `127.0.0.1:${port}`;
  });

  afterAll(() => {
    server.forceShutdown();
  });

  beforeEach(() => {
    script = { status: [], moves: [], watched: [] };
  });

  async function vsnet(args: string[]) {
    const mem = memoryIo({ env: { VSNET_SERVER: address, VSNET_TOKEN: TOKEN } });
    const code = await runCli(args, mem.io);
    return { code, stdout: mem.stdout(), stderr: mem.stderr() };
  }

  it('asks for --recent failovers and prints JSON with numbers for programs', async () => {
    const ran = await vsnet(['failover', 'status', '--recent', '1', '--json']);
    expect(ran.code).toBe(0);
    expect(script.status).toEqual([{ recent: 1 }]);
    const printed = JSON.parse(ran.stdout) as {
      generation: number;
      leader: { epoch: string; endpoint: string };
      recent: { id: string; moves: unknown[] }[];
      filers: { state: string }[];
    };
    expect(printed.generation).toBe(31);
    expect(printed.leader.endpoint).toBe('198.19.255.1:7400');
    expect(printed.recent.map((f) => f.id)).toEqual(['5']);
    expect(printed.filers.map((f) => f.state)).toEqual([
      'FILER_HEALTH_STATE_DOWN',
      'FILER_HEALTH_STATE_UP',
      'FILER_HEALTH_STATE_AGENT_DOWN',
    ]);
  });

  it('refuses --recent above 100 before calling the server', async () => {
    const ran = await vsnet(['failover', 'status', '--recent', '101']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('expected a whole number from 0 to 100');
    expect(script.status).toEqual([]);
  });

  it('moves a vsvr, prints its timeline and with --wait follows the generation', async () => {
    const ran = await vsnet([
      'vsvr',
      'move',
      'vs_mgmt',
      '--to',
      'filer1',
      '--expected-generation',
      '31',
      '--wait',
    ]);
    expect(ran.code).toBe(0);
    expect(script.moves).toEqual([{ vsvr: 'vs_mgmt', filer: 'filer1', expectedGeneration: '31' }]);
    expect(ran.stdout.split('\n')[0]).toBe('moved vs_mgmt from filer2 to filer1; generation 32');
    expect(ran.stdout).toContain(
      '  vs_mgmt  filer2  filer1     0.1     12.0       13.5       30.3',
    );
    expect(ran.stdout).toContain('generation 32 applied on filer1, filer2');
    expect(script.watched).toEqual(['32']);
  });

  it.each([
    [grpc.status.FAILED_PRECONDITION, 'filer3 cannot run vs_mgmt', 1],
    [grpc.status.NOT_FOUND, 'no filer is named "filer9"', 4],
    [grpc.status.UNAVAILABLE, 'no leader now', 2],
  ])('exits as the CLI maps a refusal: %s', async (code, details, exit) => {
    script.moveError = { code, details };
    const ran = await vsnet(['vsvr', 'move', 'vs_mgmt', '--to', 'filer3']);
    expect(ran.code).toBe(exit);
    expect(ran.stderr).toContain(details);
    expect(ran.stdout).toBe('');
  });

  it('plan --online compiles the specs with where vsvrs run now', async () => {
    const ran = await vsnet(['plan', '--online', '-o', 'json']);
    expect(ran.code).toBe(0);
    const printed = JSON.parse(ran.stdout) as {
      filers: { filer: string; vsvrs: { name: string; active: boolean }[] }[];
    };
    // The fake says VsvrA runs on Filer2, away from its home Filer1.
    const roles = printed.filers.flatMap((f) =>
      f.vsvrs.filter((v) => v.name === 'VsvrA').map((v) => `${f.filer}:${v.active}`),
    );
    expect(roles).toEqual(['Filer1:false', 'Filer2:true']);
    expect(script.status).toEqual([{ recent: 1 }]);
  });

  it('is in the help: vsnet failover status and vsnet vsvr move', async () => {
    const top = await vsnet(['--help']);
    expect(top.stdout).toMatch(/^ {2}failover +who leads the control service/m);
    const group = await vsnet(['failover', '--help']);
    expect(group.stdout).toMatch(/^ {2}status \[options\] +show the leader/m);
    const vsvr = await vsnet(['vsvr', '--help']);
    expect(vsvr.stdout).toMatch(/^ {2}move \[options\] <name> +move a vsvr to another filer/m);
  });

  it('needs --to', async () => {
    const ran = await vsnet(['vsvr', 'move', 'vs_mgmt']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain("required option '--to <filer>'");
    expect(script.moves).toEqual([]);
  });
});
