import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { clusterApiGrpc } from '../../../libs/contracts/src/cluster-api.js';
import type { ChangeRecord } from '../../../libs/contracts/src/generated/vsnet/v1/ChangeRecord.js';
import type { FilerProgress } from '../../../libs/contracts/src/generated/vsnet/v1/FilerProgress.js';
import type { WatchChangeRequest__Output } from '../../../libs/contracts/src/generated/vsnet/v1/WatchChangeRequest.js';
import type { WatchChangeResponse } from '../../../libs/contracts/src/generated/vsnet/v1/WatchChangeResponse.js';
import { runCli } from './cli.js';
import { memoryIo } from './testing/memory-io.js';
import type { MemoryIoOptions } from './testing/memory-io.js';

// `--wait`, `vsnet changes`, `vsnet change show`, `vsnet filer status|join-token` through
// runCli against a fake control service on loopback: ChangeService answers as each test
// scripts it, so progress, failure, timeout and a service restart can be shown in order.
// test/medium/cli-changes.test.ts runs the same verbs against the real service.

type WatchCall = grpc.ServerWritableStream<WatchChangeRequest__Output, WatchChangeResponse>;

const TOKEN = 'vst_test_secret';

function progress(filer: string, state: string, error = ''): FilerProgress {
  return {
    filer,
    state: `FILER_PROGRESS_STATE_${state.toUpperCase()}` as FilerProgress['state'],
    observedGeneration: state === 'applied' ? 12 : 11,
    error,
  };
}

function record(state: string, filers: FilerProgress[]): ChangeRecord {
  return {
    generation: 12,
    timeUnixMs: Date.UTC(2025, 5, 1, 10, 0, 0),
    principal: 'admin',
    rpc: '/vsnet.v1.VsvrService/DeleteVsvr',
    target: 'vsvr sales',
    state: `CHANGE_STATE_${state.toUpperCase()}` as ChangeRecord['state'],
    filers,
  };
}

const PENDING = record('pending', [progress('filer1', 'applied'), progress('filer2', 'pending')]);
const APPLIED = record('applied', [progress('filer1', 'applied'), progress('filer2', 'applied')]);
const FAILED = record('failed', [
  progress('filer1', 'applied'),
  progress('filer2', 'failed', 'RTNETLINK answers: File exists\n'),
]);

/** What the fake service does; each test sets the parts it needs. */
interface Script {
  watch?: (call: WatchCall, attempt: number) => void;
  watchRequests: { generation: string; authorization: unknown }[];
  joinRequests: unknown[];
}

let script: Script = { watchRequests: [], joinRequests: [] };

describe('vsnet --wait, changes and filer status against a fake control service', () => {
  let server: grpc.Server;
  let address = '';

  beforeAll(async () => {
    const api = clusterApiGrpc();
    server = new grpc.Server();
    server.addService(api.VsvrService.service, {
      DeleteVsvr: (_call: unknown, cb: grpc.sendUnaryData<{ generation: number }>) =>
        cb(null, { generation: 12 }),
    });
    server.addService(api.ChangeService.service, {
      WatchChange: (call: WatchCall) => {
        script.watchRequests.push({
          generation: call.request.generation,
          authorization: call.metadata.get('authorization')[0],
        });
        script.watch?.(call, script.watchRequests.length);
      },
      ListChanges: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb(null, { changes: [FAILED, { ...APPLIED, generation: 11, filers: [] }] }),
      GetChange: (
        call: grpc.ServerUnaryCall<{ generation: string }, unknown>,
        cb: grpc.sendUnaryData<unknown>,
      ) =>
        call.request.generation === '12'
          ? cb(null, { change: FAILED })
          : cb({ code: grpc.status.NOT_FOUND, details: 'no change produced generation 99' }),
      ListFilerStatus: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb(null, {
          generation: 12,
          filers: [
            {
              filer: 'filer1',
              desiredGeneration: 12,
              observedGeneration: 12,
              state: 'FILER_PROGRESS_STATE_APPLIED',
              agentAddress: '198.18.0.1:7401',
            },
            {
              filer: 'filer2',
              desiredGeneration: 12,
              observedGeneration: 11,
              state: 'FILER_PROGRESS_STATE_FAILED',
              error: 'RTNETLINK answers: File exists',
              agentAddress: '198.18.0.2:7401',
            },
            { filer: 'filer3', desiredGeneration: 9, state: 'FILER_PROGRESS_STATE_UNREACHABLE' },
          ],
        }),
    });
    server.addService(api.FilerService.service, {
      CreateJoinToken: (
        call: grpc.ServerUnaryCall<unknown, unknown>,
        cb: grpc.sendUnaryData<unknown>,
      ) => {
        script.joinRequests.push(call.request);
        cb(null, {
          joinToken: 'vsj_1a2b_s3cr3t',
          expiresUnixMs: Date.UTC(2025, 5, 1, 10, 30),
          generation: 12,
        });
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
    script = { watchRequests: [], joinRequests: [] };
  });

  async function vsnet(args: string[], options: MemoryIoOptions = {}) {
    const mem = memoryIo({
      ...options,
      env: { VSNET_SERVER: address, VSNET_TOKEN: TOKEN, ...options.env },
    });
    const code = await runCli(args, mem.io);
    return { code, stdout: mem.stdout(), stderr: mem.stderr() };
  }

  it('does not watch without --wait', async () => {
    const ran = await vsnet(['vsvr', 'delete', 'sales']);
    expect(ran).toEqual({ code: 0, stdout: 'deleted vsvr sales; generation 12\n', stderr: '' });
    expect(script.watchRequests).toEqual([]);
  });

  it('watches the generation the mutation made, with the token, and prints one final line', async () => {
    script.watch = (call) => {
      call.write({ change: PENDING });
      call.write({ change: APPLIED });
      call.end();
    };
    const ran = await vsnet(['vsvr', 'delete', 'sales', '--wait']);
    expect(ran).toEqual({
      code: 0,
      stdout: 'deleted vsvr sales; generation 12\ngeneration 12 applied on filer1, filer2\n',
      stderr: '',
    });
    expect(script.watchRequests).toEqual([{ generation: '12', authorization: `Bearer ${TOKEN}` }]);
  });

  it('redraws one line per filer in place on a terminal', async () => {
    script.watch = (call) => {
      call.write({ change: PENDING });
      call.write({ change: APPLIED });
      call.end();
    };
    const ran = await vsnet(['vsvr', 'delete', 'sales', '--wait'], {
      tty: true,
      env: { NO_COLOR: '1' },
    });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe(
      'deleted vsvr sales; generation 12\n' +
        '  filer1 applied\n  filer2 pending\nwaiting for generation 12: 1 of 2 filers applied\n' +
        '\x1b[3A\r\x1b[J  filer1 applied\n  filer2 applied\n' +
        'generation 12 applied on filer1, filer2\n',
    );
  });

  it('prints only the final line on a terminal when the change touched no filer', async () => {
    script.watch = (call) => {
      call.write({ change: { ...APPLIED, filers: [] } });
      call.end();
    };
    const ran = await vsnet(['vsvr', 'delete', 'sales', '--wait'], {
      tty: true,
      env: { NO_COLOR: '1' },
    });
    expect(ran.stdout).toBe(
      "deleted vsvr sales; generation 12\ngeneration 12 applied (it changed no filer's spec)\n",
    );
    expect(ran.code).toBe(0);
  });

  it('exits 8 when a filer failed, with its error on a line of its own', async () => {
    script.watch = (call) => {
      call.write({ change: PENDING });
      call.write({ change: FAILED });
      call.end();
    };
    const ran = await vsnet(['vsvr', 'delete', 'sales', '--wait']);
    expect(ran.code).toBe(8);
    expect(ran.stdout).toBe('deleted vsvr sales; generation 12\n');
    expect(ran.stderr).toBe(
      'vsnet: generation 12 failed on filer2; the control service keeps retrying (vsnet change show 12 shows its progress)\n' +
        '  filer2: RTNETLINK answers: File exists\n',
    );
  });

  it('exits 9 when the change is not applied within --wait-timeout, naming who is behind', async () => {
    script.watch = (call) => {
      call.write({ change: PENDING });
    };
    // Long enough for the first progress message to arrive on a loaded machine (0.5 s was not,
    // once, in CI), so the message can name who is behind.
    const ran = await vsnet(['vsvr', 'delete', 'sales', '--wait', '--wait-timeout', '3']);
    expect(ran.code).toBe(9);
    expect(ran.stderr).toBe(
      'vsnet: generation 12 was not applied within 3 s (filer2 pending); vsnet change show 12 shows its progress, or raise --wait-timeout\n',
    );
  });

  it('watches again when the service goes away for a moment', async () => {
    script.watch = (call, attempt) => {
      if (attempt === 1) {
        call.write({ change: PENDING });
        call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'restarting' });
        return;
      }
      call.write({ change: APPLIED });
      call.end();
    };
    const ran = await vsnet(['vsvr', 'delete', 'sales', '--wait']);
    expect(ran.stdout).toMatch(/generation 12 applied on filer1, filer2\n$/);
    expect(ran.code).toBe(0);
    expect(script.watchRequests).toHaveLength(2);
  });

  it('keeps -o json one document on stdout and says the outcome on stderr', async () => {
    script.watch = (call) => {
      call.write({ change: APPLIED });
      call.end();
    };
    const ran = await vsnet(['vsvr', 'delete', 'sales', '--wait', '-o', 'json']);
    expect(JSON.parse(ran.stdout)).toEqual({ generation: 12 });
    expect(ran.stderr).toBe('generation 12 applied on filer1, filer2\n');
    expect(ran.code).toBe(0);
  });

  it('refuses a --wait-timeout that is not a duration', async () => {
    const ran = await vsnet(['vsvr', 'delete', 'sales', '--wait', '--wait-timeout', 'soon']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/--wait-timeout.*expected a duration like 60s, 5m or 1h/);
  });

  it('lists the exit statuses of --wait in the help of a mutating verb', async () => {
    const ran = await vsnet(['vsvr', 'delete', '--help']);
    expect(ran.stdout).toMatch(/--wait-timeout <duration> +how long --wait waits .*default: 60s/);
    expect(ran.stdout).toMatch(/^ {2}8 {2}--wait: a filer failed/m);
    expect(ran.stdout).toMatch(/^ {2}9 {2}--wait: the change was not applied/m);
  });

  it('lists changes newest first with their state and the filers not applied yet', async () => {
    const ran = await vsnet(['changes']);
    expect(ran.code).toBe(0);
    const lines = ran.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^GEN +TIME +PRINCIPAL +RPC +TARGET +STATE +FILERS$/);
    expect(lines[1]).toMatch(
      /^ *12 +2025-06-01T10:00:00Z +admin +DeleteVsvr +vsvr sales +failed +filer1, filer2 failed$/,
    );
    expect(lines[2]).toMatch(/^ *11 .* applied +\(none\)$/);
  });

  it('shows one change with each filer and the kernel error', async () => {
    const ran = await vsnet(['change', 'show', '12']);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^state: +failed$/m);
    expect(ran.stdout).toMatch(/^rpc: +\/vsnet\.v1\.VsvrService\/DeleteVsvr$/m);
    expect(ran.stdout).toMatch(/^ {2}filer2 +failed +11$/m);
    expect(ran.stdout).toMatch(/^ {2}filer2 failed: RTNETLINK answers: File exists$/m);
    const missing = await vsnet(['change', 'show', '99']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/no change produced generation 99/);
    const bad = await vsnet(['change', 'show', 'latest']);
    expect(bad.code).toBe(2);
  });

  it('shows each filer with desired and observed generations, state, agent and error', async () => {
    const ran = await vsnet(['filer', 'status']);
    expect(ran.code).toBe(0);
    const lines = ran.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^FILER +DESIRED +OBSERVED +STATE +AGENT +ERROR$/);
    expect(lines[1]).toMatch(/^filer1 +12 +12 +applied +198\.18\.0\.1:7401$/);
    expect(lines[2]).toMatch(/^filer2 +12 +11 +failed +198\.18\.0\.2:7401 +RTNETLINK answers/);
    expect(lines[3]).toMatch(/^filer3 +9 +unreachable +\(not joined\)$/);
    expect(lines[4]).toBe('cluster generation 12');
    const json = await vsnet(['filer', 'status', '-o', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      generation: 12,
      filers: [{ filer: 'filer1', desiredGeneration: 12, observedGeneration: 12 }, {}, {}],
    });
  });

  it('mints a join token, sends the filer and TTL, and prints the token once', async () => {
    const ran = await vsnet(['filer', 'join-token', '--filer', 'filer4', '--ttl', '30m']);
    expect(ran.code).toBe(0);
    expect(script.joinRequests).toEqual([{ filer: 'filer4', ttlSeconds: 1800 }]);
    expect(ran.stdout.split('vsj_1a2b_s3cr3t')).toHaveLength(2);
    expect(ran.stdout).toMatch(
      /^join token for filer filer4, valid until 2025-06-01T10:30:00Z; shown only this once:\nvsj_1a2b_s3cr3t\n/,
    );
    expect(ran.stdout).toMatch(
      new RegExp(`VSNET_CONTROL_SERVER=${address.replaceAll('.', '\\.')}\n$`),
    );
    await vsnet(['filer', 'join-token']);
    expect(script.joinRequests[1]).toEqual({ filer: '', ttlSeconds: 3600 });
    const bad = await vsnet(['filer', 'join-token', '--ttl', 'forever']);
    expect(bad.code).toBe(2);
  });
});
