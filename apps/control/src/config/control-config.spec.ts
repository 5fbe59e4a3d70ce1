import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeTlsFixture } from '../../../../libs/contracts/src/testing/tls-fixture.js';
import type { TlsFixture } from '../../../../libs/contracts/src/testing/tls-fixture.js';
import { ConfigError, loadControlConfig } from './control-config.js';

describe('loadControlConfig', () => {
  it('works with no variables set, with the documented defaults', () => {
    expect(loadControlConfig({})).toEqual({
      mysqlUrl: 'mysql://root@127.0.0.1:3306/vsnet',
      redisUrl: 'redis://127.0.0.1:6379',
      dbEngine: 'InnoDB',
      grpcPort: 7400,
      httpPort: 7480,
      logLevel: 'info',
      pipeline: {
        resyncIntervalMs: 1000,
        agentDeadlineMs: 10_000,
        leaderLeaseMs: 3000,
        reconcileConcurrency: 16,
        queuePrefix: 'vsnet',
      },
    });
  });

  it('takes every variable, engine and level case-insensitively', () => {
    expect(
      loadControlConfig({
        VSNET_MYSQL_URL: 'mysql://vsnet:secret@db1:3307/vsnet_prod',
        VSNET_REDIS_URL: 'redis://queue:6380/2',
        VSNET_DB_ENGINE: 'ndbcluster',
        VSNET_GRPC_PORT: '17400',
        VSNET_HTTP_PORT: '17480',
        VSNET_LOG_LEVEL: 'WARN',
        VSNET_RESYNC_INTERVAL_MS: '250',
        VSNET_AGENT_DEADLINE_MS: '2000',
        VSNET_LEADER_LEASE_MS: '900',
        VSNET_RECONCILE_CONCURRENCY: '4',
        VSNET_QUEUE_PREFIX: 'vsnet-b',
      }),
    ).toEqual({
      mysqlUrl: 'mysql://vsnet:secret@db1:3307/vsnet_prod',
      redisUrl: 'redis://queue:6380/2',
      dbEngine: 'NDBCLUSTER',
      grpcPort: 17400,
      httpPort: 17480,
      logLevel: 'warn',
      pipeline: {
        resyncIntervalMs: 250,
        agentDeadlineMs: 2000,
        leaderLeaseMs: 900,
        reconcileConcurrency: 4,
        queuePrefix: 'vsnet-b',
      },
    });
  });

  it.each([
    [{ VSNET_HTTP_PORT: 'x' }, 'VSNET_HTTP_PORT must be a port number (1-65535), got "x"'],
    [
      { VSNET_RESYNC_INTERVAL_MS: '10' },
      'VSNET_RESYNC_INTERVAL_MS must be milliseconds from 50 to 3600000, got "10"',
    ],
    [
      { VSNET_AGENT_DEADLINE_MS: '1.5' },
      'VSNET_AGENT_DEADLINE_MS must be milliseconds from 100 to 600000, got "1.5"',
    ],
    [
      { VSNET_RECONCILE_CONCURRENCY: '0' },
      'VSNET_RECONCILE_CONCURRENCY must be a number from 1 to 256, got "0"',
    ],
    [
      { VSNET_QUEUE_PREFIX: 'a b' },
      'VSNET_QUEUE_PREFIX must be 1-64 letters, digits, _ . : or -, got "a b"',
    ],
    [{ VSNET_HTTP_PORT: '0' }, 'VSNET_HTTP_PORT must be a port number (1-65535), got "0"'],
    [{ VSNET_GRPC_PORT: '65536' }, 'VSNET_GRPC_PORT must be a port number (1-65535), got "65536"'],
    [{ VSNET_GRPC_PORT: '74.0' }, 'VSNET_GRPC_PORT must be a port number (1-65535), got "74.0"'],
    [
      { VSNET_DB_ENGINE: 'MyISAM' },
      'VSNET_DB_ENGINE must be one of InnoDB, NDBCLUSTER, got "MyISAM"',
    ],
    [
      { VSNET_LOG_LEVEL: 'loud' },
      'VSNET_LOG_LEVEL must be one of debug, info, warn, error, got "loud"',
    ],
    [
      { VSNET_MYSQL_URL: 'postgres://db/vsnet' },
      'VSNET_MYSQL_URL must be a mysql:// URL like mysql://root@127.0.0.1:3306/vsnet, got "postgres://db/vsnet"',
    ],
    [
      { VSNET_MYSQL_URL: 'mysql://root@db:3306' },
      'VSNET_MYSQL_URL must name the database (letters, digits, _) like mysql://root@127.0.0.1:3306/vsnet, got "mysql://root@db:3306"',
    ],
    [
      { VSNET_REDIS_URL: 'not a url' },
      'VSNET_REDIS_URL must be a URL like redis://127.0.0.1:6379, got "not a url"',
    ],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => loadControlConfig(env)).toThrow(new ConfigError(message));
    expect(message).not.toContain('\n');
  });
});

describe('loadControlConfig: TLS', () => {
  let tls: TlsFixture;

  beforeAll(() => {
    tls = makeTlsFixture('vsnet-control-config-');
  });

  afterAll(() => tls?.remove());

  it('leaves the API and the agent channel plaintext without the TLS variables', () => {
    const config = loadControlConfig({});
    expect(config.grpcTls).toBeUndefined();
    expect(config.agentTls).toBeUndefined();
  });

  it('reads the API certificate, and the agents CA and client certificate', () => {
    const config = loadControlConfig({
      VSNET_GRPC_TLS_CERT: tls.server.cert,
      VSNET_GRPC_TLS_KEY: tls.server.key,
      VSNET_AGENT_TLS_CA: tls.ca,
      VSNET_AGENT_TLS_CERT: tls.client.cert,
      VSNET_AGENT_TLS_KEY: tls.client.key,
    });
    expect(config.grpcTls).toEqual({
      cert: readFileSync(tls.server.cert),
      key: readFileSync(tls.server.key),
    });
    expect(config.agentTls).toEqual({
      ca: readFileSync(tls.ca),
      identity: { cert: readFileSync(tls.client.cert), key: readFileSync(tls.client.key) },
    });
  });

  it('refuses a missing file, a lone certificate and a key of another certificate in one line', () => {
    const missing = join(tls.dir, 'missing.crt');
    expect(() => loadControlConfig({ VSNET_AGENT_TLS_CA: missing })).toThrow(
      new ConfigError(
        `VSNET_AGENT_TLS_CA=${missing} cannot be read (no such file): give the path of the CA certificate, PEM`,
      ),
    );
    expect(() => loadControlConfig({ VSNET_GRPC_TLS_CERT: tls.server.cert })).toThrow(
      new ConfigError(
        'VSNET_GRPC_TLS_CERT is set but VSNET_GRPC_TLS_KEY is not: set both, the certificate and its private key',
      ),
    );
    expect(() =>
      loadControlConfig({
        VSNET_AGENT_TLS_CERT: tls.client.cert,
        VSNET_AGENT_TLS_KEY: tls.server.key,
      }),
    ).toThrow(
      /^VSNET_AGENT_TLS_KEY=\S+ is not the private key of the certificate VSNET_AGENT_TLS_CERT=/,
    );
  });
});
