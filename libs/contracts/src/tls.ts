import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import * as grpc from '@grpc/grpc-js';

// TLS for vsnet's gRPC channels (docs/tls.md): the PEM files named by environment variables,
// read and checked once at start so a wrong path or a key of another certificate stops the
// process with one line instead of failing every connection later, and the grpc-js
// credentials made of them. Without any of the variables a channel stays plaintext.

/** A TLS setting that cannot be used; the message is one line naming the variable and the fix. */
export class TlsSettingError extends Error {
  override readonly name = 'TlsSettingError';
}

/** A certificate (chain) and its private key, PEM: what one end proves itself with. */
export interface TlsIdentity {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * One end's TLS material, PEM: `ca` is whom it trusts (the peer's certificate must chain to
 * it), `identity` what it presents. Either may be absent, not both.
 */
export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly identity?: TlsIdentity;
}

/** The names of the variables that hold the paths of the CA, certificate and key files. */
export interface TlsVariables {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function errnoReason(err: unknown): string {
  const code =
    typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/** The first line of an OpenSSL error, without its `error:0480006C:PEM routines::` prefix. */
function opensslReason(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).split('\n', 1)[0] ?? '';
  return text.replace(/^(?:Error: )?error:[0-9A-F]+:[^:]*::?/, '');
}

/**
 * The contents of the PEM file the variable `name` names; `undefined` when it is unset or
 * empty. `what` says what the file should hold, for the message.
 */
export function readPemFile(env: Env, name: string, what: string): Buffer | undefined {
  const path = env[name]?.trim() ?? '';
  if (path === '') {
    return undefined;
  }
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    throw new TlsSettingError(
      `${name}=${path} cannot be read (${errnoReason(err)}): give the path of ${what}, PEM`,
    );
  }
  if (!data.toString('latin1').includes('-----BEGIN ')) {
    throw new TlsSettingError(
      `${name}=${path} is not a PEM file: give ${what}, PEM (it starts with -----BEGIN)`,
    );
  }
  return data;
}

/** Checks that `ca` holds certificates OpenSSL can parse. */
function checkCa(ca: Buffer, name: string, env: Env): void {
  try {
    createSecureContext({ ca });
    new X509Certificate(ca);
  } catch (err) {
    throw new TlsSettingError(
      `${name}=${env[name]?.trim()} holds no usable CA certificate (${opensslReason(err)}): give the CA certificate(s) to trust, PEM`,
    );
  }
}

/** Checks that the certificate parses, has not expired, and that the key is its own. */
function checkIdentity(identity: TlsIdentity, vars: Required<TlsVariables>, env: Env): void {
  const certPath = env[vars.cert]?.trim();
  const keyPath = env[vars.key]?.trim();
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(identity.cert);
  } catch (err) {
    throw new TlsSettingError(
      `${vars.cert}=${certPath} holds no usable certificate (${opensslReason(err)}): give a certificate, PEM`,
    );
  }
  try {
    createPrivateKey(identity.key);
  } catch (err) {
    throw new TlsSettingError(
      `${vars.key}=${keyPath} holds no usable private key (${opensslReason(err)}): give the unencrypted private key of ${vars.cert}, PEM`,
    );
  }
  if (!cert.checkPrivateKey(createPrivateKey(identity.key))) {
    throw new TlsSettingError(
      `${vars.key}=${keyPath} is not the private key of the certificate ${vars.cert}=${certPath}: give that certificate's own key`,
    );
  }
  if (Date.parse(cert.validTo) < Date.now()) {
    throw new TlsSettingError(
      `${vars.cert}=${certPath} expired on ${cert.validTo}: give a certificate that is valid now`,
    );
  }
}

/**
 * Reads the files the variables `vars` name and checks them: a certificate and its key come
 * together, the key belongs to the certificate, the certificate has not expired, the CA
 * parses. `undefined` when none of the variables is set (the channel stays plaintext).
 * Throws a {@link TlsSettingError} naming the first variable that is wrong.
 */
export function readTlsMaterial(env: Env, vars: TlsVariables): TlsMaterial | undefined {
  const ca = vars.ca === undefined ? undefined : readPemFile(env, vars.ca, 'the CA certificate');
  const cert =
    vars.cert === undefined ? undefined : readPemFile(env, vars.cert, 'a certificate (chain)');
  const key =
    vars.key === undefined
      ? undefined
      : readPemFile(env, vars.key, `the private key of ${vars.cert ?? 'the certificate'}`);
  if (
    vars.cert !== undefined &&
    vars.key !== undefined &&
    (cert === undefined) !== (key === undefined)
  ) {
    const [set, unset] = cert !== undefined ? [vars.cert, vars.key] : [vars.key, vars.cert];
    throw new TlsSettingError(
      `${set} is set but ${unset} is not: set both, the certificate and its private key`,
    );
  }
  if (ca !== undefined && vars.ca !== undefined) {
    checkCa(ca, vars.ca, env);
  }
  let identity: TlsIdentity | undefined;
  if (
    cert !== undefined &&
    key !== undefined &&
    vars.cert !== undefined &&
    vars.key !== undefined
  ) {
    identity = { cert, key };
    checkIdentity(identity, { ca: vars.ca ?? '', cert: vars.cert, key: vars.key }, env);
  }
  if (ca === undefined && identity === undefined) {
    return undefined;
  }
  return { ...(ca !== undefined ? { ca } : {}), ...(identity !== undefined ? { identity } : {}) };
}

/**
 * Server credentials presenting `identity`; with `clientCa`, a client must present a
 * certificate that chains to it (mutual TLS), without one the handshake fails.
 */
export function tlsServerCredentials(
  identity: TlsIdentity,
  clientCa?: Buffer,
): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(
    clientCa ?? null,
    [{ cert_chain: identity.cert, private_key: identity.key }],
    clientCa !== undefined,
  );
}

/**
 * Channel credentials of a client: plaintext without `material`; otherwise TLS that trusts
 * `material.ca` (the system's roots when absent) and presents `material.identity` if any.
 * The server's certificate must name the host the client dials (a SAN IP or DNS name).
 */
export function tlsChannelCredentials(material: TlsMaterial | undefined): grpc.ChannelCredentials {
  if (material === undefined) {
    return grpc.credentials.createInsecure();
  }
  return grpc.credentials.createSsl(
    material.ca ?? null,
    material.identity?.key ?? null,
    material.identity?.cert ?? null,
  );
}
