import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeTlsFixture } from '../../../../libs/contracts/src/testing/tls-fixture.js';
import type { TlsFixture } from '../../../../libs/contracts/src/testing/tls-fixture.js';
import { mysqlSocket, storeDataSourceOptions } from '@vsnet/store';
import { redisTarget } from '../database/redis-target.js';
import { advertisedEndpoint, ConfigError, loadControlConfig } from './control-config.js';

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
      failover: {
        profile: 'default',
        heartbeatIntervalMs: 20,
        heartbeatMisses: 4,
        kernelProbeTimeoutMs: 50,
        filerUpHoldMs: 2000,
        fenceAfterMs: 6000,
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
      failover: {
        profile: 'default',
        heartbeatIntervalMs: 20,
        heartbeatMisses: 4,
        kernelProbeTimeoutMs: 50,
        filerUpHoldMs: 2000,
        fenceAfterMs: 1800,
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
    [
      { VSNET_REDIS_URL: 'unix://run/redis.sock' },
      'VSNET_REDIS_URL must name a unix socket by its absolute path like unix:///run/redis/redis.sock, got "unix://run/redis.sock"',
    ],
    [
      { VSNET_MYSQL_URL: 'mysql://root@localhost/vsnet?socket=mysqld.sock' },
      'VSNET_MYSQL_URL names a socket that is not an absolute path (?socket=mysqld.sock); write it like mysql://root@localhost/vsnet?socket=/run/mysqld/mysqld.sock',
    ],
    [
      { VSNET_GRPC_SOCKET: 'api.sock' },
      'VSNET_GRPC_SOCKET must be an absolute path for the API\'s unix socket like /run/vsnet/api.sock, got "api.sock"',
    ],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => loadControlConfig(env)).toThrow(new ConfigError(message));
    expect(message).not.toContain('\n');
  });
});

describe('loadControlConfig: unix sockets', () => {
  it('reaches MySQL and Redis over unix sockets and serves the API on one too', () => {
    const config = loadControlConfig({
      VSNET_MYSQL_URL: 'mysql://root@localhost/vsnet_lab?socket=/run/mysqld/mysqld.sock',
      VSNET_REDIS_URL: 'unix:///tmp/lab/redis.sock',
      VSNET_GRPC_SOCKET: '/tmp/lab/control-a.sock',
    });
    expect(config).toMatchObject({
      mysqlUrl: 'mysql://root@localhost/vsnet_lab?socket=/run/mysqld/mysqld.sock',
      redisUrl: 'unix:///tmp/lab/redis.sock',
      grpcSocket: '/tmp/lab/control-a.sock',
    });
    // What TypeORM/mysql2 and ioredis/BullMQ are then given.
    expect(mysqlSocket(config.mysqlUrl)).toEqual({ socketPath: '/run/mysqld/mysqld.sock' });
    expect(
      storeDataSourceOptions({ url: config.mysqlUrl, migrations: [] }) as { socketPath?: string },
    ).toMatchObject({ socketPath: '/run/mysqld/mysqld.sock' });
    expect(redisTarget(config.redisUrl)).toBe('/tmp/lab/redis.sock');
  });

  it('dials host and port when no socket is named', () => {
    const config = loadControlConfig({});
    expect(config.grpcSocket).toBeUndefined();
    expect(mysqlSocket(config.mysqlUrl)).toEqual({});
    expect(storeDataSourceOptions({ url: config.mysqlUrl, migrations: [] })).not.toHaveProperty(
      'socketPath',
    );
    expect(redisTarget(config.redisUrl)).toBe('redis://127.0.0.1:6379');
  });
});

describe('loadControlConfig: failover', () => {
  it('takes the aggressive profile', () => {
    expect(loadControlConfig({ VSNET_FAILOVER_PROFILE: 'Aggressive' }).failover).toEqual({
      profile: 'aggressive',
      heartbeatIntervalMs: 5,
      heartbeatMisses: 3,
      kernelProbeTimeoutMs: 10,
      filerUpHoldMs: 1000,
      fenceAfterMs: 6000,
    });
  });

  it('overrides one value of a profile and then reports the profile as custom', () => {
    const config = loadControlConfig({
      VSNET_FAILOVER_PROFILE: 'aggressive',
      VSNET_HEARTBEAT_MISSES: '6',
    });
    expect(config.failover).toMatchObject({
      profile: 'custom',
      heartbeatIntervalMs: 5,
      heartbeatMisses: 6,
      kernelProbeTimeoutMs: 10,
      filerUpHoldMs: 1000,
    });
    // Setting a profile's own value is still that profile.
    expect(
      loadControlConfig({ VSNET_HEARTBEAT_INTERVAL_MS: '20', VSNET_FILER_UP_HOLD_MS: '2000' })
        .failover.profile,
    ).toBe('default');
    expect(
      loadControlConfig({
        VSNET_HEARTBEAT_INTERVAL_MS: '10',
        VSNET_KERNEL_PROBE_TIMEOUT_MS: '30',
        VSNET_FILER_UP_HOLD_MS: '0',
      }).failover,
    ).toMatchObject({
      profile: 'custom',
      heartbeatIntervalMs: 10,
      kernelProbeTimeoutMs: 30,
      filerUpHoldMs: 0,
    });
  });

  it('fences after twice the lease unless told, never before the lease', () => {
    expect(loadControlConfig({ VSNET_LEADER_LEASE_MS: '1000' }).failover.fenceAfterMs).toBe(2000);
    expect(
      loadControlConfig({ VSNET_LEADER_LEASE_MS: '1000', VSNET_FENCE_AFTER_MS: '1000' }).failover
        .fenceAfterMs,
    ).toBe(1000);
  });

  it('advertises 127.0.0.1 and the gRPC port unless VSNET_CONTROL_ADVERTISE says otherwise', () => {
    const plain = loadControlConfig({ VSNET_GRPC_PORT: '17400' });
    expect(advertisedEndpoint(plain)).toBe('127.0.0.1:17400');
    for (const address of ['198.19.255.11:7400', '[2001:db8::11]:7400', 'control-a.lab:7400']) {
      const config = loadControlConfig({ VSNET_CONTROL_ADVERTISE: address });
      expect(advertisedEndpoint(config)).toBe(address);
    }
  });

  it.each([
    [
      { VSNET_FAILOVER_PROFILE: 'fast' },
      'VSNET_FAILOVER_PROFILE must be one of default, aggressive, got "fast"',
    ],
    [
      { VSNET_HEARTBEAT_INTERVAL_MS: '0' },
      'VSNET_HEARTBEAT_INTERVAL_MS must be milliseconds from 1 to 10000, got "0"',
    ],
    [
      { VSNET_HEARTBEAT_MISSES: '1' },
      'VSNET_HEARTBEAT_MISSES must be a number from 2 to 1000, got "1"',
    ],
    [
      { VSNET_KERNEL_PROBE_TIMEOUT_MS: '5ms' },
      'VSNET_KERNEL_PROBE_TIMEOUT_MS must be milliseconds from 1 to 10000, got "5ms"',
    ],
    [
      { VSNET_FILER_UP_HOLD_MS: '-1' },
      'VSNET_FILER_UP_HOLD_MS must be milliseconds from 0 to 3600000, got "-1"',
    ],
    [
      { VSNET_FENCE_AFTER_MS: '2999' },
      'VSNET_FENCE_AFTER_MS must be at least the leader lease (VSNET_LEADER_LEASE_MS, 3000 ms), got "2999"',
    ],
    [
      { VSNET_CONTROL_ADVERTISE: '198.19.255.11' },
      `VSNET_CONTROL_ADVERTISE must be this replica's API address as host:port (e.g. 198.19.255.11:7400), got "198.19.255.11"`,
    ],
    [
      { VSNET_CONTROL_ADVERTISE: 'a:70000' },
      `VSNET_CONTROL_ADVERTISE must be this replica's API address as host:port (e.g. 198.19.255.11:7400), got "a:70000"`,
    ],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => loadControlConfig(env)).toThrow(new ConfigError(message));
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
