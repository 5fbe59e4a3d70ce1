import { describe, expect, it } from '@jest/globals';
import { clientConfigPath, loadClientConfig } from './client-config.js';
import { bearerToken, serverAddress } from './server-client.js';
import { memoryIo } from './testing/memory-io.js';

describe('the config file of the online verbs', () => {
  it('is $VSNET_CONFIG, else under $XDG_CONFIG_HOME, else under ~/.config', () => {
    expect(
      clientConfigPath({ VSNET_CONFIG: '/a.yaml', XDG_CONFIG_HOME: '/x', HOME: '/h' }),
    ).toEqual({
      path: '/a.yaml',
      explicit: true,
    });
    expect(clientConfigPath({ XDG_CONFIG_HOME: '/x/', HOME: '/h' })).toEqual({
      path: '/x/vsnet/config.yaml',
      explicit: false,
    });
    expect(clientConfigPath({ HOME: '/h' })?.path).toBe('/h/.config/vsnet/config.yaml');
    expect(clientConfigPath({})).toBeUndefined();
  });

  it('reads server: and token:', async () => {
    const { io } = memoryIo({
      env: { HOME: '/h' },
      files: { '/h/.config/vsnet/config.yaml': 'server: c.example:7400\ntoken: vsn_x_y\n' },
    });
    expect(await loadClientConfig(io)).toEqual({
      path: '/h/.config/vsnet/config.yaml',
      server: 'c.example:7400',
      token: 'vsn_x_y',
    });
  });

  it("reads tls_ca:, a relative path from the file's folder", async () => {
    const files = (tlsCa: string) => ({ '/etc/vsnet/config.yaml': `tls_ca: ${tlsCa}\n` });
    const env = { VSNET_CONFIG: '/etc/vsnet/config.yaml' };
    expect(
      (await loadClientConfig(memoryIo({ env, files: files('ca/vsnet-ca.pem') }).io)).tlsCa,
    ).toBe('/etc/vsnet/ca/vsnet-ca.pem');
    expect((await loadClientConfig(memoryIo({ env, files: files('/pki/ca.pem') }).io)).tlsCa).toBe(
      '/pki/ca.pem',
    );
  });

  it('is no config when the default file does not exist, but an error when VSNET_CONFIG names a missing one', async () => {
    expect(await loadClientConfig(memoryIo({ env: { HOME: '/h' } }).io)).toEqual({
      path: '/h/.config/vsnet/config.yaml',
    });
    await expect(
      loadClientConfig(memoryIo({ env: { VSNET_CONFIG: '/nope.yaml' } }).io),
    ).rejects.toThrow(
      'vsnet: cannot read the config file /nope.yaml: no such file; fix the path in VSNET_CONFIG or unset it',
    );
  });

  it.each([
    [
      'serverr: x:1\n',
      /unknown key serverr; a vsnet config file has only server:, token: and tls_ca:/,
    ],
    ['tls_ca: ""\n', /tls_ca must be a non-empty string/],
    ['token: 12\n', /token must be a non-empty string/],
    ['- a\n', /not a vsnet config file/],
    ['server: "x\n', /not a vsnet config file/],
  ])('refuses %j in one line', async (text, message) => {
    const { io } = memoryIo({ env: { VSNET_CONFIG: '/c.yaml' }, files: { '/c.yaml': text } });
    await expect(loadClientConfig(io)).rejects.toThrow(message);
  });

  it('ranks the server --server > VSNET_SERVER > server: > the default, and the token VSNET_TOKEN > token:', () => {
    const file = { path: '/c.yaml', server: 'file:3', token: 'file-token' };
    expect(serverAddress({ server: 'flag:1', timeout: 1 }, { VSNET_SERVER: 'env:2' }, file)).toBe(
      'flag:1',
    );
    expect(serverAddress({ timeout: 1 }, { VSNET_SERVER: 'env:2' }, file)).toBe('env:2');
    expect(serverAddress({ timeout: 1 }, {}, file)).toBe('file:3');
    expect(serverAddress({ timeout: 1 }, {}, {})).toBe('127.0.0.1:7400');
    expect(serverAddress({ server: 'unix:///run/vsnet/api.sock', timeout: 1 }, {}, {})).toBe(
      'unix:///run/vsnet/api.sock',
    );
    expect(() => serverAddress({ server: 'unix:api.sock', timeout: 1 }, {}, {})).toThrow(
      "vsnet: --server unix:api.sock: expected HOST:PORT, e.g. 127.0.0.1:7400 (the control service's gRPC port), or unix:///path/to/api.sock",
    );
    expect(() => serverAddress({ timeout: 1 }, {}, { path: '/c.yaml', server: 'nope' })).toThrow(
      'vsnet: server: in /c.yaml nope: expected HOST:PORT',
    );
    expect(bearerToken({ VSNET_TOKEN: 'env-token' }, file)).toBe('env-token');
    expect(bearerToken({ VSNET_TOKEN: '' }, file)).toBe('file-token');
    expect(bearerToken({}, {})).toBeUndefined();
  });
});
