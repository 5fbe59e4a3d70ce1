import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { createDryRunDriver } from '@vsnet/dataplane';
import type { JoinFilerRequest } from '../../../libs/contracts/src/generated/vsnet/v1/JoinFilerRequest.js';
import type { JoinFilerResponse__Output } from '../../../libs/contracts/src/generated/vsnet/v1/JoinFilerResponse.js';
import type { JoinConfig } from './config.js';
import { discoverInterfaces, FilerJoiner } from './join.js';
import type { JoinCall, JoinTiming } from './join.js';
import { Logger } from './logger.js';
import { tempStateDir } from './testing/agent-fixture.js';

const TOKEN = `vsj_7_${'b'.repeat(43)}`;
const JOIN: JoinConfig = {
  token: TOKEN,
  controlServer: '198.51.100.2:50051',
  interfaces: [{ name: 'eth0', mac: '00:00:5e:00:53:40' }],
};
const FAST: JoinTiming = { callTimeoutMs: 1_000, firstDelayMs: 10, maxDelayMs: 25 };
const ANSWER: JoinFilerResponse__Output = {
  filer: null,
  registered: true,
  generation: '5',
};

function unavailable(): grpc.ServiceError {
  return Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
    code: grpc.status.UNAVAILABLE,
    details: 'No connection established',
    metadata: new grpc.Metadata(),
  });
}

function refusedWith(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), {
    code,
    details,
    metadata: new grpc.Metadata(),
  });
}

describe('discoverInterfaces', () => {
  it('reports the eth# links of the filer namespace with their MACs, in number order', async () => {
    const driver = createDryRunDriver({ physicalLinks: ['eth10', 'eth1', 'eth0', 'eth2'] });
    const found = await discoverInterfaces(driver);
    expect(found.map((i) => i.name)).toEqual(['eth0', 'eth1', 'eth2', 'eth10']);
    for (const i of found) {
      expect(i.mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    }
    expect(new Set(found.map((i) => i.mac)).size).toBe(4);
  });
});

describe('FilerJoiner', () => {
  let state: ReturnType<typeof tempStateDir>;
  let logs: Record<string, unknown>[];
  let logger: Logger;

  beforeEach(() => {
    state = tempStateDir();
    logs = [];
    logger = new Logger((line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  });

  afterEach(() => state.remove());

  function joiner(call: JoinCall, join: JoinConfig = JOIN, driverLinks?: string[]): FilerJoiner {
    return new FilerJoiner({
      filer: 'filer4',
      join,
      stateDir: state.path,
      driver: createDryRunDriver(driverLinks === undefined ? {} : { physicalLinks: driverLinks }),
      logger,
      call,
      timing: FAST,
    });
  }

  it('retries a failed call with a doubling, capped wait, logging each failure in one line', async () => {
    const requests: JoinFilerRequest[] = [];
    const deadlines: number[] = [];
    const call: JoinCall = (request, deadline) => {
      requests.push(request);
      deadlines.push(deadline.getTime() - Date.now());
      return requests.length <= 3 ? Promise.reject(unavailable()) : Promise.resolve(ANSWER);
    };
    await joiner(call).start('198.51.100.40:7401');
    expect(requests).toHaveLength(4);
    expect(requests[0]).toEqual({
      joinToken: TOKEN,
      name: 'filer4',
      interfaces: [{ name: 'eth0', mac: '00:00:5e:00:53:40' }],
      agentAddress: '198.51.100.40:7401',
    });
    // Every call has a deadline of about callTimeoutMs.
    for (const ms of deadlines) {
      expect(ms).toBeGreaterThan(900);
      expect(ms).toBeLessThanOrEqual(1_000);
    }
    const failures = logs.filter((l) => l.level === 'warn');
    expect(failures.map((l) => l.msg)).toEqual([
      expect.stringMatching(
        /^join failed \(attempt 1\): UNAVAILABLE: No connection established; retrying in /,
      ),
      expect.stringMatching(/^join failed \(attempt 2\): UNAVAILABLE: /),
      expect.stringMatching(/^join failed \(attempt 3\): UNAVAILABLE: /),
    ]);
    const waits = failures.map((l) => Number(l.retryInMs));
    expect(waits[0]).toBeGreaterThanOrEqual(8);
    expect(waits[0]).toBeLessThanOrEqual(12);
    expect(waits[1]).toBeGreaterThanOrEqual(16);
    expect(waits[1]).toBeLessThanOrEqual(24);
    expect(waits[2]).toBeLessThanOrEqual(30); // 40 capped at 25, ±20%
    expect(logs.at(-1)).toMatchObject({ msg: 'joined', registered: true, generation: '5' });
  });

  it('discovers the interfaces in the kernel when none are configured', async () => {
    const requests: JoinFilerRequest[] = [];
    const withoutInterfaces: JoinConfig = { token: JOIN.token, controlServer: JOIN.controlServer };
    await joiner(
      (request) => {
        requests.push(request);
        return Promise.resolve(ANSWER);
      },
      withoutInterfaces,
      ['eth1', 'eth0'],
    ).start('198.51.100.40:7401');
    expect(requests[0]?.interfaces?.map((i) => i.name)).toEqual(['eth0', 'eth1']);
  });

  it('does not spend the same token again after a restart, but joins with a new one', async () => {
    let calls = 0;
    const call: JoinCall = () => {
      calls++;
      return Promise.resolve(ANSWER);
    };
    await joiner(call).start('198.51.100.40:7401');
    await joiner(call).start('198.51.100.40:7401');
    expect(calls).toBe(1);
    expect(logs.at(-1)).toMatchObject({ msg: 'joined already', joinToken: '7' });
    await joiner(call, { ...JOIN, token: `vsj_8_${'c'.repeat(43)}` }).start('198.51.100.40:7401');
    expect(calls).toBe(2);
  });

  it('stops waiting between attempts when the agent stops', async () => {
    const slow = new FilerJoiner({
      filer: 'filer4',
      join: JOIN,
      stateDir: state.path,
      driver: createDryRunDriver(),
      logger,
      call: () => Promise.reject(unavailable()),
      timing: { ...FAST, firstDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    const loop = slow.start('198.51.100.40:7401');
    while (!logs.some((l) => l.level === 'warn')) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const started = Date.now();
    await slow.stop();
    await loop;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(logs.filter((l) => l.level === 'warn')).toHaveLength(1);
  });

  it.each([
    [grpc.status.UNAUTHENTICATED, 'the join token is unknown; ask an administrator for a new one'],
    [
      grpc.status.UNAUTHENTICATED,
      'the join token was used by filer filer9 at 2026-01-01T00:00:00.000Z; a join token works once',
    ],
    [grpc.status.ALREADY_EXISTS, 'name: filer filer4 is in the cluster already'],
    [grpc.status.INVALID_ARGUMENT, 'agentAddress: "x" is not an address'],
  ])('stops after a refusal for good (%s), logging it as an error', async (code, details) => {
    let calls = 0;
    await joiner(() => {
      calls++;
      return Promise.reject(refusedWith(code, details));
    }).start('198.51.100.40:7401');
    expect(calls).toBe(1);
    expect(logs.at(-1)).toMatchObject({ level: 'error' });
    expect(logs.at(-1)?.msg).toMatch(/^join refused: [A-Z_]+: .*; not retrying: /);
    // Nothing recorded: a restart with a new token joins.
    let again = 0;
    await joiner(() => {
      again++;
      return Promise.resolve(ANSWER);
    }).start('198.51.100.40:7401');
    expect(again).toBe(1);
  });

  it('keeps retrying while the cluster is not initialized (FAILED_PRECONDITION)', async () => {
    let calls = 0;
    await joiner(() => {
      calls++;
      return calls === 1
        ? Promise.reject(
            refusedWith(grpc.status.FAILED_PRECONDITION, 'the cluster is not initialized'),
          )
        : Promise.resolve(ANSWER);
    }).start('198.51.100.40:7401');
    expect(calls).toBe(2);
    expect(logs.at(-1)).toMatchObject({ msg: 'joined' });
  });

  it('takes "used by filer <this filer>" for its own join whose answer was lost, and records it', async () => {
    let calls = 0;
    const call: JoinCall = () => {
      calls++;
      return calls === 1
        ? Promise.reject(unavailable())
        : Promise.reject(
            refusedWith(
              grpc.status.UNAUTHENTICATED,
              'the join token was used by filer FILER4 at 2026-01-01T00:00:00.000Z; a join token works once, ask an administrator for a new one',
            ),
          );
    };
    await joiner(call).start('198.51.100.40:7401');
    expect(calls).toBe(2);
    expect(logs.at(-1)).toMatchObject({ level: 'info', msg: 'joined' });
    await joiner(call).start('198.51.100.40:7401');
    expect(calls).toBe(2);
    expect(logs.at(-1)).toMatchObject({ msg: 'joined already', joinToken: '7' });
  });
});
