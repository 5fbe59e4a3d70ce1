import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * Reachability of MySQL for /readyz. The DataSource is created without connecting
 * (`manualInitialization`) so the service starts, and reports unready, while the database is
 * down; the first successful probe connects it.
 */
@Injectable()
export class DatabaseProbe {
  private connecting: Promise<unknown> | undefined;

  constructor(private readonly dataSource: DataSource) {}

  async check(): Promise<void> {
    await this.connected();
    await this.dataSource.query('SELECT 1');
  }

  /** Connects the DataSource if it is not yet (one attempt at a time). */
  async connected(): Promise<void> {
    if (!this.dataSource.isInitialized) {
      this.connecting ??= this.dataSource.initialize().finally(() => {
        this.connecting = undefined;
      });
      await this.connecting;
    }
  }
}
