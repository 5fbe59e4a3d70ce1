import 'reflect-metadata';
import { existsSync, lstatSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { GrpcOptions } from '@nestjs/microservices';
import { applyMigrations, AuthStore, mysqlSocket, storeDataSourceOptions } from '@vsnet/store';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { schemaMigrations } from '../../../migrations/index.js';
import { AppModule } from './app.module.js';
import type { ControlConfig } from './config/control-config.js';
import { controlGrpcOptions } from './grpc/grpc-server.js';
import { JsonLogger } from './logging/json-logger.js';

/**
 * Builds the application, HTTP and gRPC (a hybrid app), not yet listening: the caller calls
 * `startAllMicroservices` (gRPC on `config.grpcPort`, and on `config.grpcSocket` when set),
 * `listen` (HTTP) and `close`.
 */
export async function createControlApp(
  config: ControlConfig,
  logger: JsonLogger,
): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config), { logger, abortOnError: false });
  app.connectMicroservice<GrpcOptions>(
    controlGrpcOptions(config.grpcPort, undefined, config.grpcTls),
    {
      inheritAppConfig: true,
    },
  );
  if (config.grpcSocket !== undefined) {
    // A second grpc-js server with the same services (Nest binds one address per server).
    await removeStaleSocket(config.grpcSocket);
    const options = controlGrpcOptions(config.grpcPort, undefined, config.grpcTls);
    app.connectMicroservice<GrpcOptions>(
      { ...options, options: { ...options.options, url: `unix://${config.grpcSocket}` } },
      { inheritAppConfig: true },
    );
  }
  app.enableShutdownHooks();
  return app;
}

/**
 * Removes the socket file a killed process left at `path` (nobody accepts connections on it),
 * so binding there again works; leaves a live one, whose bind then fails with EADDRINUSE.
 */
async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path) || !lstatSync(path).isSocket()) {
    return; // nothing there, or not a socket: the bind says what is wrong
  }
  const live = await new Promise<boolean>((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (!live) {
    rmSync(path, { force: true });
  }
}

/**
 * Applies the pending migrations to VSNET_MYSQL_URL's database, creating the database first if
 * it does not exist (a newcomer's first `migrate` just works); returns the migrations' names.
 */
export async function migrateDatabase(config: ControlConfig): Promise<string[]> {
  await createDatabaseIfMissing(config.mysqlUrl);
  const dataSource = new DataSource(
    storeDataSourceOptions({ url: config.mysqlUrl, migrations: schemaMigrations(config.dbEngine) }),
  );
  await dataSource.initialize();
  try {
    return await applyMigrations(dataSource, config.dbEngine);
  } finally {
    await dataSource.destroy();
  }
}

/** What `vsnet-control init` made: the migrations it applied and the first principal's token. */
export interface Bootstrap {
  readonly migrations: string[];
  readonly principal: string;
  readonly tokenId: string;
  readonly secret: string;
}

/** The audit principal and "rpc" of what `vsnet-control init` writes. */
export const INIT_CALLER = { principal: 'vsnet-control', rpc: 'vsnet-control init', peer: 'local' };

/**
 * `vsnet-control init`: brings the schema up to date and creates the first principal, with
 * cluster NETWORK, and a token for it. Refused (one line) once any principal exists: from then
 * on an administrator makes principals and tokens through the API.
 */
export async function initialize(config: ControlConfig, principal: string): Promise<Bootstrap> {
  const migrations = await migrateDatabase(config);
  const dataSource = new DataSource(
    storeDataSourceOptions({ url: config.mysqlUrl, migrations: schemaMigrations(config.dbEngine) }),
  );
  await dataSource.initialize();
  try {
    const auth = new AuthStore(dataSource);
    if (await auth.hasPrincipals()) {
      throw new Error(
        'vsnet is already initialized (principals exist); an administrator creates more tokens with vsnet token create',
      );
    }
    await auth.createPrincipal(principal, 'cluster-network', [], INIT_CALLER);
    const { token, secret } = await auth.createToken(
      principal,
      'bootstrap token from vsnet-control init',
      null,
      INIT_CALLER,
    );
    return { migrations, principal, tokenId: token.id, secret };
  } finally {
    await dataSource.destroy();
  }
}

async function createDatabaseIfMissing(mysqlUrl: string): Promise<void> {
  const url = new URL(mysqlUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(name)) {
    throw new Error(
      `VSNET_MYSQL_URL names the database "${name}"; use letters, digits, _ or $ (e.g. .../vsnet)`,
    );
  }
  url.pathname = '/';
  const socket = mysqlSocket(mysqlUrl);
  url.search = '';
  const connection = await createConnection({
    uri: url.toString(),
    connectTimeout: 10_000,
    ...socket,
  });
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${name}\``);
  } finally {
    await connection.end();
  }
}
