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
});
