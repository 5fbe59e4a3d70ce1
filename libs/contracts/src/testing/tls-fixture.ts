import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The paths of a certificate and its key. */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

/** Throwaway TLS files in a temporary folder; `remove()` deletes them. */
export interface TlsFixture {
  readonly dir: string;
  /** The CA both ends trust. */
  readonly ca: string;
  /** Signed by `ca`, for 127.0.0.1 and localhost (an agent's or the control service's). */
  readonly server: CertFiles;
  /** Signed by `ca`: a client the servers accept (the control service calling agents). */
  readonly client: CertFiles;
  /** A CA nobody trusts, and a client certificate it signed. */
  readonly rogueCa: string;
  readonly rogueClient: CertFiles;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): CertFiles {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  openssl(dir, [
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    files.key,
    '-out',
    files.cert,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return files;
}

function makeLeaf(dir: string, name: string, ca: CertFiles, extensions: string): CertFiles {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `basicConstraints=CA:FALSE\n${extensions}\n`);
  openssl(dir, ['req', ...EC_KEY, '-keyout', files.key, '-out', csr, '-subj', `/CN=${name}`]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-set_serial',
    `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`,
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    files.cert,
  ]);
  return files;
}

/**
 * Makes a CA, a server certificate for 127.0.0.1/localhost and a client certificate signed by
 * it, and a second, untrusted CA with a client certificate of its own, with `openssl`.
 */
export function makeTlsFixture(prefix = 'vsnet-tls-'): TlsFixture {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    const ca = makeCa(dir, 'vsnet-test-ca');
    const server = makeLeaf(
      dir,
      'server',
      ca,
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth',
    );
    const client = makeLeaf(dir, 'control-client', ca, 'extendedKeyUsage=clientAuth');
    const rogue = makeCa(dir, 'rogue-ca');
    const rogueClient = makeLeaf(dir, 'rogue-client', rogue, 'extendedKeyUsage=clientAuth');
    return {
      dir,
      ca: ca.cert,
      server,
      client,
      rogueCa: rogue.cert,
      rogueClient,
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
