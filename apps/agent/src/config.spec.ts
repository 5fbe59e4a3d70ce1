import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeTlsFixture } from '../../../libs/contracts/src/testing/tls-fixture.js';
import type { TlsFixture } from '../../../libs/contracts/src/testing/tls-fixture.js';
import { ConfigError, loadConfig } from './config.js';

const JOIN_TOKEN = `vsj_12_${'a'.repeat(43)}`;
/** What a joining agent that listens on a dialable address needs. */
const JOINING = {
  VSNET_FILER: 'filer4',
  VSNET_AGENT_LISTEN: '198.51.100.40:7401',
  VSNET_AGENT_JOIN_TOKEN: JOIN_TOKEN,
  VSNET_CONTROL_SERVER: '198.51.100.2:50051',
};

describe('loadConfig', () => {
  it('joins nowhere without VSNET_AGENT_JOIN_TOKEN', () => {
    expect(loadConfig({ VSNET_FILER: 'f', VSNET_CONTROL_SERVER: 'x:1' }).join).toBeUndefined();
  });

  it('reads the join settings, advertising the listen address by default', () => {
    expect(loadConfig(JOINING).join).toEqual({
      token: JOIN_TOKEN,
      controlServer: '198.51.100.2:50051',
    });
    expect(
      loadConfig({
        ...JOINING,
        VSNET_AGENT_LISTEN: '0.0.0.0:7401',
        VSNET_AGENT_DRIVER: 'dry-run',
        VSNET_AGENT_ADVERTISE: '[2001:db8::40]:7401',
        VSNET_AGENT_JOIN_INTERFACES: 'eth0=00-00-5E-00-53-40, eth1=00:00:5e:00:53:41',
      }).join,
    ).toEqual({
      token: JOIN_TOKEN,
      controlServer: '198.51.100.2:50051',
      advertise: '[2001:db8::40]:7401',
      interfaces: [
        { name: 'eth0', mac: '00:00:5e:00:53:40' },
        { name: 'eth1', mac: '00:00:5e:00:53:41' },
      ],
    });
  });

  it.each(['unix:///run/vsnet/api.sock', 'unix:/run/vsnet/api.sock'])(
    'joins through the control service unix socket %s',
    (server) => {
      expect(loadConfig({ ...JOINING, VSNET_CONTROL_SERVER: server }).join?.controlServer).toBe(
        server,
      );
    },
  );

  it('needs only VSNET_FILER and fills in the defaults', () => {
    expect(loadConfig({ VSNET_FILER: 'Filer1' })).toEqual({
      filer: 'filer1',
      listen: '0.0.0.0:7401',
      stateDir: '/var/lib/vsnet-agent',
      driver: 'linux',
      filerNamespace: '',
      namespacePrefix: '',
      commandTimeoutMs: 10_000,
    });
  });

  it('takes every variable it knows', () => {
    expect(
      loadConfig({
        VSNET_FILER: 'filer2',
        VSNET_AGENT_LISTEN: 'unix:/run/vsnet-agent.sock',
        VSNET_AGENT_STATE_DIR: '/tmp/agent',
        VSNET_AGENT_DRIVER: 'dry-run',
        VSNET_AGENT_FILER_NAMESPACE: 'lab-filer2',
        VSNET_AGENT_NAMESPACE_PREFIX: 'lab2-',
        VSNET_AGENT_COMMAND_TIMEOUT_MS: '2500',
        VSNET_AGENT_HEARTBEAT_PORT: '7402',
      }),
    ).toEqual({
      filer: 'filer2',
      listen: 'unix:/run/vsnet-agent.sock',
      stateDir: '/tmp/agent',
      driver: 'dry-run',
      filerNamespace: 'lab-filer2',
      namespacePrefix: 'lab2-',
      commandTimeoutMs: 2500,
      heartbeatPort: 7402,
    });
  });

  it.each(['127.0.0.1:0', '0.0.0.0:7401', '[::1]:7401', 'localhost:65535'])(
    'accepts the listen address %s',
    (listen) => {
      expect(loadConfig({ VSNET_FILER: 'f', VSNET_AGENT_LISTEN: listen }).listen).toBe(listen);
    },
  );

  it.each([
    [{}, /^VSNET_FILER is not set: /],
    [{ VSNET_FILER: 'bad name' }, /^VSNET_FILER=bad name is not a filer name/],
    [{ VSNET_FILER: 'f', VSNET_AGENT_LISTEN: '7401' }, /^VSNET_AGENT_LISTEN=7401 is not usable/],
    [{ VSNET_FILER: 'f', VSNET_AGENT_LISTEN: 'host:70000' }, /^VSNET_AGENT_LISTEN=host:70000 /],
    [{ VSNET_FILER: 'f', VSNET_AGENT_LISTEN: 'unix:rel.sock' }, /needs an absolute path/],
    [{ VSNET_FILER: 'f', VSNET_AGENT_DRIVER: 'fake' }, /^VSNET_AGENT_DRIVER=fake is not a driver/],
    [
      { VSNET_FILER: 'f', VSNET_AGENT_FILER_NAMESPACE: 'a/b' },
      /^VSNET_AGENT_FILER_NAMESPACE=a\/b /,
    ],
    [{ VSNET_FILER: 'f', VSNET_AGENT_NAMESPACE_PREFIX: 'UP' }, /^VSNET_AGENT_NAMESPACE_PREFIX=UP /],
    [
      { VSNET_FILER: 'f', VSNET_AGENT_COMMAND_TIMEOUT_MS: '5s' },
      /^VSNET_AGENT_COMMAND_TIMEOUT_MS=5s /,
    ],
    [
      { VSNET_FILER: 'f', VSNET_AGENT_HEARTBEAT_PORT: '70000' },
      /^VSNET_AGENT_HEARTBEAT_PORT=70000 is not usable: give a UDP port/,
    ],
    [
      { VSNET_FILER: 'f', VSNET_AGENT_JOIN_TOKEN: 'vsn_1_x' },
      /^VSNET_AGENT_JOIN_TOKEN is not a join token: /,
    ],
    [{ ...JOINING, VSNET_CONTROL_SERVER: '' }, /^VSNET_CONTROL_SERVER is not set: /],
    [
      { ...JOINING, VSNET_CONTROL_SERVER: 'control' },
      /^VSNET_CONTROL_SERVER=control is not usable: /,
    ],
    [
      { ...JOINING, VSNET_CONTROL_SERVER: 'unix://run/api.sock' },
      /^VSNET_CONTROL_SERVER=unix:\/\/run\/api.sock is not usable: .* or its unix socket, e\.g\. unix:\/\/\/run/,
    ],
    [
      { ...JOINING, VSNET_CONTROL_SERVER: 'unix:api.sock' },
      /^VSNET_CONTROL_SERVER=unix:api.sock is not usable: /,
    ],
    [
      { ...JOINING, VSNET_AGENT_ADVERTISE: '0.0.0.0:7401' },
      /^VSNET_AGENT_ADVERTISE=0.0.0.0:7401 is not usable: /,
    ],
    [
      { ...JOINING, VSNET_AGENT_LISTEN: '0.0.0.0:7401' },
      /^VSNET_AGENT_ADVERTISE is not set and VSNET_AGENT_LISTEN=0.0.0.0:7401 cannot be dialed/,
    ],
    [
      { ...JOINING, VSNET_AGENT_JOIN_INTERFACES: 'bond0=00:00:5e:00:53:10' },
      /^VSNET_AGENT_JOIN_INTERFACES=bond0=00:00:5e:00:53:10 is not usable: /,
    ],
    [
      { ...JOINING, VSNET_AGENT_DRIVER: 'dry-run' },
      /^VSNET_AGENT_JOIN_INTERFACES is not set: the dry-run driver/,
    ],
  ])('refuses %j with one clear line', (env, message) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(message);
    expect((error as ConfigError).message).not.toContain('\n');
  });
});

describe('loadConfig: TLS', () => {
  let tls: TlsFixture;

  beforeAll(() => {
    tls = makeTlsFixture('vsnet-agent-config-');
  });

  afterAll(() => tls?.remove());

  it('serves plaintext without VSNET_AGENT_TLS_*', () => {
    expect(loadConfig({ VSNET_FILER: 'f' }).tls).toBeUndefined();
  });

  it('serves TLS with a certificate and key, and asks for client certificates with a CA', () => {
    const identity = { cert: readFileSync(tls.server.cert), key: readFileSync(tls.server.key) };
    const served = {
      VSNET_FILER: 'f',
      VSNET_AGENT_TLS_CERT: tls.server.cert,
      VSNET_AGENT_TLS_KEY: tls.server.key,
    };
    expect(loadConfig(served).tls).toEqual({ identity });
    expect(loadConfig({ ...served, VSNET_AGENT_TLS_CA: tls.ca }).tls).toEqual({
      identity,
      clientCa: readFileSync(tls.ca),
    });
  });

  it('joins over TLS with VSNET_CONTROL_TLS_CA', () => {
    expect(loadConfig({ ...JOINING, VSNET_CONTROL_TLS_CA: tls.ca }).join?.controlCa).toEqual(
      readFileSync(tls.ca),
    );
    expect(loadConfig(JOINING).join?.controlCa).toBeUndefined();
  });

  it.each([
    [
      { VSNET_AGENT_TLS_CA: 'CA' },
      /^VSNET_AGENT_TLS_CA is set without VSNET_AGENT_TLS_CERT and VSNET_AGENT_TLS_KEY: /,
    ],
    [
      { VSNET_AGENT_TLS_CERT: 'CERT' },
      /^VSNET_AGENT_TLS_CERT is set but VSNET_AGENT_TLS_KEY is not: /,
    ],
    [
      { VSNET_AGENT_TLS_CERT: 'CERT', VSNET_AGENT_TLS_KEY: 'CLIENT_KEY' },
      /^VSNET_AGENT_TLS_KEY=\S+ is not the private key of the certificate VSNET_AGENT_TLS_CERT=/,
    ],
    [
      { VSNET_AGENT_TLS_CERT: 'CERT', VSNET_AGENT_TLS_KEY: 'MISSING' },
      /^VSNET_AGENT_TLS_KEY=\S+missing\.key cannot be read \(no such file\): /,
    ],
    [
      { ...JOINING, VSNET_CONTROL_TLS_CA: 'MISSING' },
      /^VSNET_CONTROL_TLS_CA=\S+missing\.key cannot be read \(no such file\): /,
    ],
  ])('refuses %j with one clear line', (symbolic, message) => {
    const paths: Record<string, string> = {
      CA: tls.ca,
      CERT: tls.server.cert,
      CLIENT_KEY: tls.client.key,
      MISSING: join(tls.dir, 'missing.key'),
    };
    const env = Object.fromEntries(
      Object.entries({ VSNET_FILER: 'f', ...symbolic }).map(([k, v]) => [k, paths[v] ?? v]),
    );
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(message);
    expect((error as ConfigError).message).not.toContain('\n');
  });
});
