import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as grpc from '@grpc/grpc-js';
import type { GetStateResponse__Output } from '@vsnet/contracts';
import { createConnection } from 'mysql2/promise';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { CreateJoinTokenResponse__Output } from '../../libs/contracts/src/generated/vsnet/v1/CreateJoinTokenResponse.js';
import { freePort, startControl } from '../medium/support/control-service.js';
import type { RunningControl } from '../medium/support/control-service.js';
import { applyAsAdmin, labCluster } from '../medium/support/documents.js';
import { AgentProcess, WAIT_MS, agentClient, deadline, unary } from './agent-process.js';

// A real agent process (dry-run driver) started with a join token against an in-process control
// service: it registers its filer, the control service records where it listens and pushes the
// filer's spec there, and a restart with the same token does not spend it again.

const INTERFACES = 'eth0=00:00:5e:00:53:40,eth1=00:00:5e:00:53:41';

describe('vsnet-agent joining the cluster (process, dry-run driver)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vsnet-agent-join-'));
  const started: AgentProcess[] = [];
  const clients: grpc.Client[] = [];
  let r: RunningControl;
  let sql: Connection;
  let token: string;

  function startAgent(env: Record<string, string>) {
    return AgentProcess.start({
      VSNET_FILER: 'filer4',
      VSNET_AGENT_STATE_DIR: stateDir,
      VSNET_AGENT_LISTEN: '127.0.0.1:0',
      VSNET_AGENT_JOIN_INTERFACES: INTERFACES,
      ...env,
    }).then((run) => {
      started.push(run.agent);
      return run;
    });
  }

  beforeAll(async () => {
    r = await startControl('agentjoin');
    await applyAsAdmin(r, labCluster());
    sql = await createConnection(r.db.url);
    const minted = await r.call<CreateJoinTokenResponse__Output>(
      'FilerService',
      'CreateJoinToken',
      { filer: 'filer4' },
      r.adminToken,
    );
    token = minted.res?.joinToken ?? '';
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) {
      c.close();
    }
    await Promise.all(started.map((a) => a.kill()));
    rmSync(stateDir, { recursive: true, force: true });
    await sql?.end();
    await r?.stop();
  }, WAIT_MS * 2);

  it('logs each failed attempt in one line and keeps retrying while the control service is unreachable', async () => {
    const { agent } = await startAgent({
      VSNET_FILER: 'filer9',
      VSNET_AGENT_STATE_DIR: join(stateDir, 'unreachable'),
      VSNET_AGENT_JOIN_TOKEN: `vsj_1_${'A'.repeat(43)}`,
      VSNET_CONTROL_SERVER: `127.0.0.1:${await freePort()}`,
    });
    const second = await agent.waitForLog((l) => l.msg.startsWith('join failed (attempt 2)'));
    expect(second).toMatchObject({ level: 'warn' });
    expect(second.msg).toMatch(/^join failed \(attempt 2\): UNAVAILABLE: .*; retrying in /);
    // The agent serves meanwhile: joining never holds up its own API.
    expect(agent.logs.some((l) => l.msg === 'listening')).toBe(true);
    await agent.stop('SIGTERM');
  });

  it('registers its filer and the address the control service dials it at', async () => {
    const { agent, address } = await startAgent({
      VSNET_AGENT_JOIN_TOKEN: token,
      VSNET_CONTROL_SERVER: r.address,
    });
    const joined = await agent.waitForLog((l) => l.msg === 'joined' || l.level !== 'info');
    expect(joined).toMatchObject({ msg: 'joined', registered: true, agentAddress: address });

    const filer = await r.call<{ filer: { interfaces: { name: string; mac: string }[] } }>(
      'FilerService',
      'GetFiler',
      { name: 'filer4' },
      r.adminToken,
    );
    expect(filer.res?.filer.interfaces.map((i) => `${i.name}=${i.mac}`).join(',')).toBe(INTERFACES);
    const [rows] = await sql.query<RowDataPacket[]>(
      'SELECT agent_address FROM filer_state WHERE filer = ?',
      ['filer4'],
    );
    const stored = String(rows[0]?.agent_address);
    expect(stored).toBe(address);
    // What the control service stored reaches this very agent.
    const client = agentClient(stored);
    clients.push(client);
    const getState = () =>
      unary<GetStateResponse__Output>((cb) => client.GetState({}, deadline(), cb));
    expect((await getState()).filer).toBe('filer4');

    // The control service dials it back: the spec of the join's generation reaches the agent.
    const generation = String(joined.generation);
    const until = Date.now() + WAIT_MS;
    let applied = String((await getState()).generation);
    while (BigInt(applied) < BigInt(generation) && Date.now() < until) {
      await sleep(100);
      applied = String((await getState()).generation);
    }
    expect(applied).toBe(generation);
    await agent.stop('SIGTERM');
  });

  it('does not spend the token again when it restarts', async () => {
    const { agent } = await startAgent({
      VSNET_AGENT_JOIN_TOKEN: token,
      VSNET_CONTROL_SERVER: r.address,
    });
    const line = await agent.waitForLog((l) => l.msg.startsWith('joined') || l.level !== 'info');
    expect(line.msg).toBe('joined already');
    await agent.stop('SIGTERM');
  });

  it('stops for good when the join is refused, and the refusal spends its token', async () => {
    // An any-filer token cannot take over filer1, even with filer1's MACs.
    const minted = await r.call<CreateJoinTokenResponse__Output>(
      'FilerService',
      'CreateJoinToken',
      {},
      r.adminToken,
    );
    const anyFiler = minted.res?.joinToken ?? '';
    const { agent } = await startAgent({
      VSNET_FILER: 'filer1',
      VSNET_AGENT_STATE_DIR: join(stateDir, 'takeover'),
      VSNET_AGENT_JOIN_INTERFACES: [0, 1, 2, 3, 4]
        .map((n) => `eth${n}=00:00:5e:00:53:1${n}`)
        .join(','),
      VSNET_AGENT_JOIN_TOKEN: anyFiler,
      VSNET_CONTROL_SERVER: r.address,
    });
    const line = await agent.waitForLog((l) => l.level !== 'info' || l.msg.startsWith('joined'));
    expect(line).toMatchObject({ level: 'error' });
    expect(line.msg).toMatch(/^join refused: ALREADY_EXISTS: .*; not retrying: /);
    const [rows] = await sql.query<RowDataPacket[]>(
      'SELECT used_at IS NOT NULL AS spent, used_by FROM join_tokens WHERE id = ?',
      [/^vsj_(\d+)_/.exec(anyFiler)?.[1]],
    );
    expect({ ...rows[0] }).toEqual({ spent: 1, used_by: null });
    // No second attempt follows the refusal.
    await sleep(1_500);
    expect(agent.logs.filter((l) => l.msg.startsWith('join '))).toHaveLength(1);
    await agent.stop('SIGTERM');
  });
});
