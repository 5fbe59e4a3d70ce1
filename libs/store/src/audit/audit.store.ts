import type { DataSource } from 'typeorm';
import { AuditEntity } from '../entities/audit.entity.js';
import { fitsAsciiColumn } from '../entities/columns.js';

/** Which audit entries to read; every filter given must match. */
export interface AuditQuery {
  /** Principal name; empty or absent: any. */
  readonly principal?: string;
  /**
   * Full method name (`/vsnet.v1.VsvrService/AddAddress`, recognized by its leading `/`) or
   * its last part (`AddAddress`); empty or absent: any.
   */
  readonly rpc?: string;
  /** Target as recorded; a trailing `*` matches a prefix; empty or absent: any. */
  readonly target?: string;
  /** since ≤ time < until. */
  readonly since?: Date;
  readonly until?: Date;
  /** Only entries older than this id (the last one of the previous page). */
  readonly beforeId?: string;
  readonly limit: number;
}

/** One audit entry as callers see it. */
export interface AuditRecord {
  /** BIGINT as a decimal string, increasing with commit order. */
  readonly id: string;
  readonly at: Date;
  readonly principal: string;
  readonly rpc: string;
  readonly target: string;
  /** Summaries of the target before and after; empty when it did not exist. */
  readonly before: string;
  readonly after: string;
  readonly peer: string;
  /** The generation the mutation produced; `null` for principal and token changes. */
  readonly generation: string | null;
}

/** LIKE's escape character here: `!`, not `\`, so the pattern means the same in any sql_mode. */
const LIKE_ESCAPE = '!';

/** Reads the audit trail (written by the stores, in each change's own transaction). */
export class AuditStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Entries newest first (by id) that match every filter of `query`, at most `query.limit`. */
  async list(query: AuditQuery): Promise<AuditRecord[]> {
    if (![query.principal, query.rpc, query.target].every((v) => fitsAsciiColumn(v ?? ''))) {
      return []; // Nothing stored can match a name with characters the ASCII columns cannot hold.
    }
    const builder = this.dataSource.manager
      .createQueryBuilder(AuditEntity, 'a')
      .orderBy('a.id', 'DESC')
      .limit(query.limit);
    if (query.principal !== undefined && query.principal !== '') {
      builder.andWhere('a.principal = :principal', { principal: query.principal });
    }
    if (query.rpc !== undefined && query.rpc !== '') {
      if (query.rpc.startsWith('/')) {
        builder.andWhere('a.rpc = :rpc', { rpc: query.rpc });
      } else {
        builder.andWhere(`a.rpc LIKE :rpc ESCAPE '${LIKE_ESCAPE}'`, {
          rpc: `%/${likeLiteral(query.rpc)}`,
        });
      }
    }
    if (query.target !== undefined && query.target !== '') {
      if (query.target.endsWith('*')) {
        builder.andWhere(`a.target LIKE :target ESCAPE '${LIKE_ESCAPE}'`, {
          target: `${likeLiteral(query.target.slice(0, -1))}%`,
        });
      } else {
        builder.andWhere('a.target = :target', { target: query.target });
      }
    }
    if (query.since !== undefined) {
      builder.andWhere('a.at >= :since', { since: query.since });
    }
    if (query.until !== undefined) {
      builder.andWhere('a.at < :until', { until: query.until });
    }
    if (query.beforeId !== undefined) {
      builder.andWhere('a.id < CAST(:before AS UNSIGNED)', { before: query.beforeId });
    }
    const rows = await builder.getMany();
    return rows.map((row) => ({
      id: row.id,
      at: row.at,
      principal: row.principal,
      rpc: row.rpc,
      target: row.target,
      before: row.beforeSummary ?? '',
      after: row.afterSummary ?? '',
      peer: row.peer,
      generation: row.generation,
    }));
  }
}

/** `text` as a LIKE pattern that matches only itself. */
function likeLiteral(text: string): string {
  return text.replace(/[!%_]/g, (c) => `${LIKE_ESCAPE}${c}`);
}
