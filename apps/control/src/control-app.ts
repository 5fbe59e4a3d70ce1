import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { GrpcOptions } from '@nestjs/microservices';
import { applyMigrations, storeDataSourceOptions } from '@vsnet/store';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { schemaMigrations } from '../../../migrations/index.js';
import { AppModule } from './app.module.js';
import type { ControlConfig } from './config/control-config.js';
import { controlGrpcOptions } from './grpc/grpc-server.js';
import { JsonLogger } from './logging/json-logger.js';

/**
 * Builds the application, HTTP and gRPC (a hybrid app), not yet listening: the caller calls
 * `startAllMicroservices` (gRPC on `config.grpcPort`), `listen` (HTTP) and `close`.
 */
export async function createControlApp(
  config: ControlConfig,
  logger: JsonLogger,
): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config), { logger, abortOnError: false });
  app.connectMicroservice<GrpcOptions>(controlGrpcOptions(config.grpcPort), {
    inheritAppConfig: true,
  });
  app.enableShutdownHooks();
  return app;
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

async function createDatabaseIfMissing(mysqlUrl: string): Promise<void> {
  const url = new URL(mysqlUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(name)) {
    throw new Error(
      `VSNET_MYSQL_URL names the database "${name}"; use letters, digits, _ or $ (e.g. .../vsnet)`,
    );
  }
  url.pathname = '/';
  const connection = await createConnection({ uri: url.toString(), connectTimeout: 10_000 });
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${name}\``);
  } finally {
    await connection.end();
  }
}
