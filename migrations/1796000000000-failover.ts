import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tableOptions } from '@vsnet/store';
import type { DbEngine } from '@vsnet/store';

const NAME = 'VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin';
const ascii = (n: number): string => `VARCHAR(${n}) CHARACTER SET ascii COLLATE ascii_bin`;

/**
 * Failover (decision 0006): where vsvrs run when not home (`vsvr_placement`, changed with a
 * generation bump like the desired state), the failovers with their per-phase timeline, each
 * filer's health as the leader last saw it, and the lease holder's endpoint. failover_event.moves
 * is TEXT: long, and read only by `vsnet failover status` (docs/ndb.md).
 */
const TABLES: readonly (readonly [name: string, body: string])[] = [
  [
    'vsvr_placement',
    `vsvr ${NAME} NOT NULL,
    filer ${NAME} NOT NULL,
    reason ${ascii(16)} NOT NULL,
    epoch BIGINT UNSIGNED NOT NULL,
    since DATETIME(3) NOT NULL,
    PRIMARY KEY (vsvr)`,
  ],
  [
    'failover_event',
    `id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    kind ${ascii(16)} NOT NULL,
    filer ${NAME} NOT NULL,
    epoch BIGINT UNSIGNED NOT NULL,
    principal ${NAME} NOT NULL,
    detected_at DATETIME(3) NOT NULL,
    detection_ms DOUBLE NOT NULL,
    generation BIGINT UNSIGNED NOT NULL,
    moves TEXT NOT NULL,
    PRIMARY KEY (id)`,
  ],
  [
    'filer_health',
    `filer ${NAME} NOT NULL,
    state ${ascii(16)} NOT NULL,
    since DATETIME(3) NOT NULL,
    generation BIGINT UNSIGNED NOT NULL,
    fenced TINYINT UNSIGNED NOT NULL,
    epoch BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (filer)`,
  ],
];

export function failoverSchema(engine: DbEngine): new () => MigrationInterface {
  return class Failover implements MigrationInterface {
    readonly name = 'Failover1796000000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      for (const [table, body] of TABLES) {
        await queryRunner.query(
          `CREATE TABLE \`${table}\` (\n    ${body}\n) ${tableOptions(engine)}`,
        );
      }
      // Nullable columns added last, which NDB adds in place: NULL is the default policy.
      await queryRunner.query(
        `ALTER TABLE vsvrs ADD COLUMN failback ${ascii(8)} NULL, ADD COLUMN failback_hold_down INT UNSIGNED NULL`,
      );
      await queryRunner.query(
        `ALTER TABLE leader_lease ADD COLUMN endpoint ${ascii(255)} NOT NULL DEFAULT ''`,
      );
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query('ALTER TABLE leader_lease DROP COLUMN endpoint');
      await queryRunner.query(
        'ALTER TABLE vsvrs DROP COLUMN failback, DROP COLUMN failback_hold_down',
      );
      for (const [table] of [...TABLES].reverse()) {
        await queryRunner.query(`DROP TABLE \`${table}\``);
      }
    }
  };
}
