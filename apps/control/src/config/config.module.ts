import { Global, Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { ControlConfig } from './control-config.js';

/** Injection token of the validated {@link ControlConfig}. */
export const CONTROL_CONFIG = Symbol('CONTROL_CONFIG');

/**
 * Provides the configuration main.ts read and checked before Nest started; nothing else in the
 * service reads process.env. Tests pass their own object.
 */
@Global()
@Module({})
export class ControlConfigModule {
  static forRoot(config: ControlConfig): DynamicModule {
    return {
      module: ControlConfigModule,
      providers: [{ provide: CONTROL_CONFIG, useValue: config }],
      exports: [CONTROL_CONFIG],
    };
  }
}
