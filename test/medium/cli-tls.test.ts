import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCli } from '../../apps/cli/src/cli.js';
import { memoryIo } from '../../apps/cli/src/testing/memory-io.js';
import { makeTlsFixture } from '../../libs/contracts/src/testing/tls-fixture.js';
import type { TlsFixture } from '../../libs/contracts/src/testing/tls-fixture.js';
import { tlsChannelCredentials } from '../../libs/contracts/src/tls.js';
import { startControl } from './support/control-service.js';
import type { RunningControl } from './support/control-service.js';

// `vsnet` against a control service whose gRPC API speaks TLS (VSNET_GRPC_TLS_CERT/KEY): the
// CA to trust comes from --tls-ca, VSNET_TLS_CA or tls_ca: in the config file; without one, or
// with a CA that did not sign the service's certificate, the CLI says in one line what to fix.

describe('vsnet against a control service serving TLS', () => {
  let tls: TlsFixture;
  let r: RunningControl;

  beforeAll(async () => {
    tls = makeTlsFixture('vsnet-cli-tls-');
    r = await startControl('clitls', {
      env: { VSNET_GRPC_TLS_CERT: tls.server.cert, VSNET_GRPC_TLS_KEY: tls.server.key },
      credentials: tlsChannelCredentials({ ca: await readFile(tls.ca) }),
    });
  }, 60_000);

  afterAll(async () => {
    await r?.stop();
    tls?.remove();
  });

  /** Runs the CLI on the real file system, with the server and the admin's token. */
  async function vsnet(args: string[], env: Record<string, string> = {}) {
    const mem = memoryIo({
      env: { VSNET_SERVER: r.address, VSNET_TOKEN: r.adminToken, ...env },
      readFile: (path) => readFile(path, 'utf8'),
    });
    const code = await runCli(args, mem.io);
    return { code, stdout: mem.stdout(), stderr: mem.stderr() };
  }

  const ADMIN = { code: 0, stdout: expect.stringMatching(/^principal: +admin$/m), stderr: '' };

  it('calls over TLS trusting the CA of VSNET_TLS_CA', async () => {
    expect(await vsnet(['whoami'], { VSNET_TLS_CA: tls.ca })).toEqual(ADMIN);
  });

  it('takes --tls-ca, and checks the certificate against the host name dialed', async () => {
    const port = r.address.split(':')[1] ?? '';
    expect(await vsnet(['whoami', '--tls-ca', tls.ca, '--server', `localhost:${port}`])).toEqual(
      ADMIN,
    );
    const elsewhere = await vsnet(['whoami', '--tls-ca', tls.ca, '--server', `127.0.0.2:${port}`]);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toMatch(/^vsnet: no TLS session .*\(Hostname\/IP does not match/);
    // The verbs that read the stored cluster take it too.
    const validate = await vsnet(['validate', '--online', '--tls-ca', tls.ca]);
    expect(validate.stderr).toMatch(/the cluster has never been applied/);
  });

  it("takes tls_ca: from the config file, relative to the file's folder", async () => {
    const config = join(tls.dir, 'config.yaml');
    writeFileSync(config, `server: ${r.address}\ntls_ca: vsnet-test-ca.crt\n`);
    expect(await vsnet(['whoami'], { VSNET_CONFIG: config, VSNET_SERVER: '' })).toEqual(ADMIN);
  });

  it('says to pass --tls-ca when it calls in plaintext', async () => {
    const { code, stdout, stderr } = await vsnet(['whoami']);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(
      /^vsnet: cannot reach the vsnet control service at 127\.0\.0\.1:\d+ \(Failed to connect\); .*; if it serves TLS, pass --tls-ca FILE \(or set VSNET_TLS_CA\) with the CA of its certificate\n$/,
    );
  });

  it('refuses a server whose certificate another CA signed, naming the CA file', async () => {
    const { code, stderr } = await vsnet(['whoami'], { VSNET_TLS_CA: tls.rogueCa });
    expect(code).toBe(2);
    expect(stderr).toBe(
      `vsnet: no TLS session with the vsnet control service at ${r.address} (unable to verify the first certificate); check that it serves TLS (VSNET_GRPC_TLS_CERT) with a certificate for this host name signed by the CA in ${tls.rogueCa}\n`,
    );
  });

  it('says in one line that the CA file cannot be read or is not a certificate', async () => {
    const missing = join(tls.dir, 'missing.crt');
    expect(await vsnet(['whoami', '--tls-ca', missing])).toEqual({
      code: 2,
      stdout: '',
      stderr: `vsnet: --tls-ca ${missing}: cannot read the CA certificate (no such file); give the PEM file of the CA that signed the control service's certificate\n`,
    });
    const { code, stderr } = await vsnet(['whoami'], { VSNET_TLS_CA: tls.server.key });
    expect(code).toBe(2);
    expect(stderr).toBe(
      `vsnet: VSNET_TLS_CA ${tls.server.key}: not a PEM certificate; give the PEM file of the CA that signed the control service's certificate\n`,
    );
  });
});
