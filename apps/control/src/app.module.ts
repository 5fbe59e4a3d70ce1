import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditStore, AuthStore, ClusterStateStore, storeDataSourceOptions } from '@vsnet/store';
import { DataSource } from 'typeorm';
import { schemaMigrations } from '../../../migrations/index.js';
import { ControlConfigModule } from './config/config.module.js';
import { ConfigApiService } from './config-api/config-api.service.js';
import type { ControlConfig } from './config/control-config.js';
import { DatabaseProbe } from './database/database.probe.js';
import { RedisProbe } from './database/redis.probe.js';
import { Authenticator } from './auth/authenticator.js';
import { AuthGrpcController } from './auth/auth.grpc-controller.js';
import { AuditGrpcController } from './audit/audit.grpc-controller.js';
import { ClusterReader } from './cluster/cluster-reader.js';
import { ApiGate } from './grpc/api-gate.js';
import { ClusterGate } from './grpc/cluster-gate.js';
import { ConfigGrpcController } from './grpc/config.grpc-controller.js';
import { VsvrGrpcController } from './vsvr/vsvr.grpc-controller.js';
import { ClusterGrpcController } from './cluster/cluster.grpc-controller.js';
import { FilerGrpcController } from './filer/filer.grpc-controller.js';
import { JoinGrpcController } from './filer/join.grpc-controller.js';
import { InterfaceGrpcController } from './interface/interface.grpc-controller.js';
import { RoutingGrpcController } from './routing/routing.grpc-controller.js';
import { SiteGrpcController } from './site/site.grpc-controller.js';
import { HealthController } from './health/health.controller.js';
import { ReadinessService } from './health/readiness.service.js';
import { MetricsService } from './metrics/metrics.service.js';
import { ChangeGrpcController } from './pipeline/change.grpc-controller.js';
import { DhcpGrpcController } from './dhcp/dhcp.grpc-controller.js';
import { PIPELINE_PROVIDERS, pipelineImports } from './pipeline/pipeline.providers.js';
import { FailoverGrpcController } from './failover/failover.grpc-controller.js';
import { FAILOVER_PROVIDERS } from './failover/failover.providers.js';

/** vsnet-control's root module, built from the configuration main.ts validated. */
@Module({})
export class AppModule {
  static forRoot(config: ControlConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ControlConfigModule.forRoot(config),
        TypeOrmModule.forRoot({
          ...storeDataSourceOptions({
            url: config.mysqlUrl,
            migrations: schemaMigrations(config.dbEngine),
          }),
          // Start without the database; DatabaseProbe connects on the first readiness check.
          manualInitialization: true,
        }),
        ...pipelineImports(config),
      ],
      controllers: [
        HealthController,
        ConfigGrpcController,
        VsvrGrpcController,
        ClusterGrpcController,
        FilerGrpcController,
        JoinGrpcController,
        InterfaceGrpcController,
        RoutingGrpcController,
        SiteGrpcController,
        AuthGrpcController,
        AuditGrpcController,
        ChangeGrpcController,
        DhcpGrpcController,
        FailoverGrpcController,
      ],
      providers: [
        DatabaseProbe,
        RedisProbe,
        ReadinessService,
        MetricsService,
        {
          provide: ClusterStateStore,
          useFactory: (dataSource: DataSource) => new ClusterStateStore(dataSource),
          inject: [DataSource],
        },
        {
          provide: AuthStore,
          useFactory: (dataSource: DataSource) => new AuthStore(dataSource),
          inject: [DataSource],
        },
        {
          provide: AuditStore,
          useFactory: (dataSource: DataSource) => new AuditStore(dataSource),
          inject: [DataSource],
        },
        ConfigApiService,
        ClusterReader,
        Authenticator,
        ApiGate,
        ...PIPELINE_PROVIDERS,
        ...FAILOVER_PROVIDERS,
        ClusterGate,
      ],
    };
  }
}
