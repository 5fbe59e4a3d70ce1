import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { GrpcOptions } from '@nestjs/microservices';
import { applyMigrations, storeDataSourceOptions } from '@vsnet/store';
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

/** Applies the pending migrations to VSNET_MYSQL_URL's database; returns their names. */
export async function migrateDatabase(config: ControlConfig): Promise<string[]> {
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
