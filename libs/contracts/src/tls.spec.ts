import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeTlsFixture } from './testing/tls-fixture.js';
import type { TlsFixture } from './testing/tls-fixture.js';
import { TlsSettingError, readTlsMaterial } from './tls.js';

const VARS = { ca: 'X_CA', cert: 'X_CERT', key: 'X_KEY' } as const;

describe('readTlsMaterial', () => {
  let tls: TlsFixture;

  beforeAll(() => {
    tls = makeTlsFixture();
  });

  afterAll(() => tls?.remove());

  /** The one line a refused setting gives. */
  function refusal(env: Record<string, string>): string {
    try {
      readTlsMaterial(env, VARS);
    } catch (err) {
      expect(err).toBeInstanceOf(TlsSettingError);
      return (err as Error).message;
    }
    throw new Error('expected the setting to be refused');
  }

  it('is undefined when no variable is set, or each is empty', () => {
    expect(readTlsMaterial({}, VARS)).toBeUndefined();
    expect(readTlsMaterial({ X_CA: ' ', X_CERT: '', X_KEY: '' }, VARS)).toBeUndefined();
  });

  it('reads the CA, the certificate and its key', () => {
    expect(
      readTlsMaterial({ X_CA: tls.ca, X_CERT: tls.server.cert, X_KEY: tls.server.key }, VARS),
    ).toEqual({
      ca: readFileSync(tls.ca),
      identity: { cert: readFileSync(tls.server.cert), key: readFileSync(tls.server.key) },
    });
    expect(readTlsMaterial({ X_CA: tls.ca }, VARS)).toEqual({ ca: readFileSync(tls.ca) });
  });

  it('names a file that cannot be read', () => {
    const missing = join(tls.dir, 'nope.crt');
    expect(refusal({ X_CA: missing })).toBe(
      `X_CA=${missing} cannot be read (no such file): give the path of the CA certificate, PEM`,
    );
    expect(refusal({ X_CA: tls.dir })).toMatch(/^X_CA=\S+ cannot be read \(it is a directory\)/);
  });

  it('refuses a file that is not PEM, or a PEM of the wrong kind', () => {
    const text = join(tls.dir, 'not-pem.txt');
    writeFileSync(text, 'hello\n');
    expect(refusal({ X_CA: text })).toBe(
      `X_CA=${text} is not a PEM file: give the CA certificate, PEM (it starts with -----BEGIN)`,
    );
    expect(refusal({ X_CA: tls.server.key })).toMatch(
      /^X_CA=\S+ holds no usable CA certificate \(.*\): give the CA certificate\(s\) to trust, PEM$/,
    );
    expect(refusal({ X_CERT: tls.server.key, X_KEY: tls.server.key })).toMatch(
      /^X_CERT=\S+ holds no usable certificate/,
    );
    expect(refusal({ X_CERT: tls.server.cert, X_KEY: tls.server.cert })).toMatch(
      /^X_KEY=\S+ holds no usable private key/,
    );
  });

  it('wants a certificate and its key together', () => {
    expect(refusal({ X_CERT: tls.server.cert })).toBe(
      'X_CERT is set but X_KEY is not: set both, the certificate and its private key',
    );
    expect(refusal({ X_KEY: tls.server.key })).toBe(
      'X_KEY is set but X_CERT is not: set both, the certificate and its private key',
    );
  });

  it("refuses a key that is not the certificate's", () => {
    expect(refusal({ X_CERT: tls.server.cert, X_KEY: tls.client.key })).toBe(
      `X_KEY=${tls.client.key} is not the private key of the certificate X_CERT=${tls.server.cert}: give that certificate's own key`,
    );
  });
});
