import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
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
      }),
    ).toEqual({
      filer: 'filer2',
      listen: 'unix:/run/vsnet-agent.sock',
      stateDir: '/tmp/agent',
      driver: 'dry-run',
      filerNamespace: 'lab-filer2',
      namespacePrefix: 'lab2-',
      commandTimeoutMs: 2500,
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
