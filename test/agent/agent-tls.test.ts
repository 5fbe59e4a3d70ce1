import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import type { GetStateResponse__Output } from '@vsnet/contracts';
import { agentGrpc } from '@vsnet/contracts';
import { loadControlConfig } from '../../apps/control/src/config/control-config.js';
import { AgentClients } from '../../apps/control/src/pipeline/agent-client.js';
import type { CreateJoinTokenResponse__Output } from '../../libs/contracts/src/generated/vsnet/v1/CreateJoinTokenResponse.js';
import { makeTlsFixture } from '../../libs/contracts/src/testing/tls-fixture.js';
import type { TlsFixture } from '../../libs/contracts/src/testing/tls-fixture.js';
import { tlsChannelCredentials } from '../../libs/contracts/src/tls.js';
import type { TlsMaterial } from '../../libs/contracts/src/tls.js';
import { startControl } from '../medium/support/control-service.js';
import type { RunningControl } from '../medium/support/control-service.js';
import { applyAsAdmin, labCluster } from '../medium/support/documents.js';
import {
  AGENT_MAIN,
  AgentProcess,
  REPO,
  WAIT_MS,
  deadline,
  failure,
  unary,
} from './agent-process.js';

// The agent channel with TLS, as processes: an agent (dry-run driver) serving mutual TLS joins
// a control service whose API speaks TLS, the control service dials it back with its client
// certificate and pushes the filer's spec; callers without a certificate of the agents' CA, or
// in plaintext, are refused. The certificates are made here with openssl and removed after.

const INTERFACES = 'eth0=00:00:5e:00:53:40,eth1=00:00:5e:00:53:41';
const CONTROL_MAIN = join(REPO, 'dist/apps/control/src/main.js');

describe('the agent channel over TLS (processes, dry-run driver)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vsnet-agent-tls-'));
  const started: AgentProcess[] = [];
  const clients: grpc.Client[] = [];
  let tls: TlsFixture;
  let r: RunningControl;
  let agentAddress: string;

  function pem(path: string): Buffer {
    return readFileSync(path);
  }

  /** A GetState caller of the agent with `credentials`. */
  function getState(credentials: grpc.ChannelCredentials): Promise<GetStateResponse__Output> {
    const client = new (agentGrpc().Agent)(agentAddress, credentials);
    clients.push(client);
    return unary<GetStateResponse__Output>((cb) => client.GetState({}, deadline(), cb));
  }

  beforeAll(async () => {
    tls = makeTlsFixture();
    r = await startControl('agenttls', {
      env: {
        VSNET_GRPC_TLS_CERT: tls.server.cert,
        VSNET_GRPC_TLS_KEY: tls.server.key,
        VSNET_AGENT_TLS_CA: tls.ca,
        VSNET_AGENT_TLS_CERT: tls.client.cert,
        VSNET_AGENT_TLS_KEY: tls.client.key,
      },
      credentials: tlsChannelCredentials({ ca: pem(tls.ca) }),
    });
    await applyAsAdmin(r, labCluster());
    const minted = await r.call<CreateJoinTokenResponse__Output>(
      'FilerService',
      'CreateJoinToken',
      { filer: 'filer4' },
      r.adminToken,
    );
    const { agent, address } = await AgentProcess.start({
      VSNET_FILER: 'filer4',
      VSNET_AGENT_STATE_DIR: stateDir,
      VSNET_AGENT_LISTEN: '127.0.0.1:0',
      VSNET_AGENT_JOIN_INTERFACES: INTERFACES,
      VSNET_AGENT_JOIN_TOKEN: minted.res?.joinToken ?? '',
      VSNET_CONTROL_SERVER: r.address,
      VSNET_CONTROL_TLS_CA: tls.ca,
      VSNET_AGENT_TLS_CERT: tls.server.cert,
      VSNET_AGENT_TLS_KEY: tls.server.key,
      VSNET_AGENT_TLS_CA: tls.ca,
    });
    started.push(agent);
    agentAddress = address;
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) {
      c.close();
    }
    await Promise.all(started.map((a) => a.kill()));
    rmSync(stateDir, { recursive: true, force: true });
    await r?.stop();
    tls?.remove();
  }, WAIT_MS * 2);

  it('says the agent serves mutual TLS, joins over TLS, and gets its spec over mutual TLS', async () => {
    const agent = started[0]!;
    expect(agent.logs.find((l) => l.msg === 'listening')).toMatchObject({ tls: 'mutual' });
    const joined = await agent.waitForLog((l) => l.msg === 'joined' || l.level !== 'info');
    expect(joined).toMatchObject({ msg: 'joined', registered: true, agentAddress });

    // The control service's own agent client, configured as the running service is.
    const agents = new AgentClients(r.config);
    try {
      const generation = String(joined.generation);
      const until = Date.now() + WAIT_MS;
      let state = await agents.getState(agentAddress, WAIT_MS);
      while (BigInt(state.generation) < BigInt(generation) && Date.now() < until) {
        await sleep(100);
        state = await agents.getState(agentAddress, WAIT_MS);
      }
      expect({ filer: state.filer, generation: state.generation }).toEqual({
        filer: 'filer4',
        generation,
      });
    } finally {
      agents.onApplicationShutdown();
    }
    // It was the service's pipeline that applied it, so the service records it as applied.
    const filer4State = async () => {
      const status = await r.call<{ filers: { filer: string; state: string }[] }>(
        'ChangeService',
        'ListFilerStatus',
        {},
        r.adminToken,
      );
      return status.res?.filers.find((f) => f.filer === 'filer4')?.state;
    };
    let recorded = await filer4State();
    for (const until = Date.now() + WAIT_MS; recorded !== 'FILER_PROGRESS_STATE_APPLIED';) {
      if (Date.now() > until) {
        break;
      }
      await sleep(100);
      recorded = await filer4State();
    }
    expect(recorded).toBe('FILER_PROGRESS_STATE_APPLIED');
    expect(r.logs.join('\n')).not.toContain('not encrypted');
  });

  it('answers a client with a certificate of its CA', async () => {
    const material: TlsMaterial = {
      ca: pem(tls.ca),
      identity: { cert: pem(tls.client.cert), key: pem(tls.client.key) },
    };
    expect((await getState(tlsChannelCredentials(material))).filer).toBe('filer4');
  });

  it('counts the agent unreachable, with the reason, when the control service has no client certificate', async () => {
    const agents = new AgentClients(loadControlConfig({ VSNET_AGENT_TLS_CA: tls.ca }));
    try {
      expect(await agents.apply(agentAddress, { generation: '1', epoch: '1' }, WAIT_MS)).toEqual({
        ok: false,
        state: 'unreachable',
        error: `the agent at ${agentAddress} refused or failed the TLS handshake (tlsv13 alert certificate required); check VSNET_AGENT_TLS_* here and on the agent (docs/tls.md)`,
      });
    } finally {
      agents.onApplicationShutdown();
    }
  });

  it('counts the agent unreachable, with the reason, when its certificate is not of the trusted CA', async () => {
    const agents = new AgentClients(
      loadControlConfig({
        VSNET_AGENT_TLS_CA: tls.rogueCa,
        VSNET_AGENT_TLS_CERT: tls.client.cert,
        VSNET_AGENT_TLS_KEY: tls.client.key,
      }),
    );
    try {
      const outcome = await agents.apply(agentAddress, { generation: '1', epoch: '1' }, WAIT_MS);
      expect(outcome).toMatchObject({
        ok: false,
        state: 'unreachable',
        error: expect.stringMatching(
          /^the agent at \S+ refused or failed the TLS handshake \([^()]*certificate[^()]*\); check VSNET_AGENT_TLS_\* here and on the agent \(docs\/tls\.md\)$/,
        ),
      });
    } finally {
      agents.onApplicationShutdown();
    }
  });

  it('refuses a TLS client without a certificate', async () => {
    const err = await failure(getState(tlsChannelCredentials({ ca: pem(tls.ca) })));
    expect(grpc.status[err.code]).toBe('UNAVAILABLE');
  });

  it('refuses a client whose certificate another CA signed', async () => {
    const err = await failure(
      getState(
        tlsChannelCredentials({
          ca: pem(tls.ca),
          identity: { cert: pem(tls.rogueClient.cert), key: pem(tls.rogueClient.key) },
        }),
      ),
    );
    expect(grpc.status[err.code]).toBe('UNAVAILABLE');
  });

  it('refuses a plaintext client', async () => {
    const err = await failure(getState(grpc.credentials.createInsecure()));
    expect(grpc.status[err.code]).toBe('UNAVAILABLE');
  });

  it('is refused by a client that does not trust its CA', async () => {
    const err = await failure(
      getState(
        tlsChannelCredentials({
          ca: pem(tls.rogueCa),
          identity: { cert: pem(tls.client.cert), key: pem(tls.client.key) },
        }),
      ),
    );
    expect(grpc.status[err.code]).toBe('UNAVAILABLE');
  });

  it('stops an agent with one line and exit 2 when a TLS file cannot be read', () => {
    const missing = join(tls.dir, 'missing.key');
    const run = spawnSync(process.execPath, [AGENT_MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        VSNET_FILER: 'filer5',
        VSNET_AGENT_DRIVER: 'dry-run',
        VSNET_AGENT_STATE_DIR: join(stateDir, 'bad'),
        VSNET_AGENT_LISTEN: '127.0.0.1:0',
        VSNET_AGENT_TLS_CERT: tls.server.cert,
        VSNET_AGENT_TLS_KEY: missing,
      },
      encoding: 'utf8',
      timeout: WAIT_MS,
    });
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
      status: 2,
      stdout: '',
      stderr: `vsnet-agent: VSNET_AGENT_TLS_KEY=${missing} cannot be read (no such file): give the path of the private key of VSNET_AGENT_TLS_CERT, PEM\n`,
    });
  });

  it('stops the control service with one line and exit 2 when a TLS file cannot be read', () => {
    const run = spawnSync(process.execPath, [CONTROL_MAIN, 'serve'], {
      env: {
        PATH: process.env.PATH ?? '',
        VSNET_AGENT_TLS_CA: join(tls.dir, 'missing-ca.crt'),
      },
      encoding: 'utf8',
      timeout: WAIT_MS,
    });
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 2, stdout: '' });
    expect(run.stderr).toMatch(
      /^vsnet-control: VSNET_AGENT_TLS_CA=\S+missing-ca\.crt cannot be read \(no such file\)[^\n]*\n$/,
    );
  });
});
