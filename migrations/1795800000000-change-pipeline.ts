import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tableOptions } from '@vsnet/store';
import type { DbEngine } from '@vsnet/store';

const NAME = 'VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin';
const ascii = (n: number): string => `VARCHAR(${n}) CHARACTER SET ascii COLLATE ascii_bin`;

/**
 * The change pipeline's bookkeeping (ARCHITECTURE.md §3): per filer what its spec should be and
 * what its agent last applied, which filers each change affected, join tokens for agents, and
 * the leader lease whose epoch fences agent commands. filer_state.error is a bounded VARCHAR, not
 * TEXT: the commit reads the table under the cluster lock and WatchChange polls it (docs/ndb.md);
 * attempts and next_attempt_at space out the retries of a failing filer.
 */
const TABLES: readonly (readonly [name: string, body: string])[] = [
  [
    'filer_state',
    `filer ${NAME} NOT NULL,
    desired_generation BIGINT UNSIGNED NOT NULL,
    desired_hash ${ascii(80)} NOT NULL,
    observed_generation BIGINT UNSIGNED NOT NULL,
    observed_hash ${ascii(80)} NOT NULL,
    state ${ascii(16)} NOT NULL,
    error VARCHAR(1024) NULL,
    agent_address ${ascii(96)} NULL,
    updated_at DATETIME(3) NOT NULL,
    attempts INT UNSIGNED NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(3) NULL,
    PRIMARY KEY (filer)`,
  ],
  [
    'change_targets',
    `generation BIGINT UNSIGNED NOT NULL,
    filer ${NAME} NOT NULL,
    PRIMARY KEY (generation, filer)`,
  ],
  [
    'join_tokens',
    `id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    token_hash BINARY(32) NOT NULL,
    filer ${NAME} NOT NULL,
    created_at DATETIME(3) NOT NULL,
    expires_at DATETIME(3) NOT NULL,
    used_at DATETIME(3) NULL,
    used_by ${NAME} NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_join_tokens_hash (token_hash)`,
  ],
  [
    'leader_lease',
    `id TINYINT UNSIGNED NOT NULL,
    holder ${ascii(96)} NOT NULL,
    epoch BIGINT UNSIGNED NOT NULL,
    expires_at DATETIME(3) NOT NULL,
    PRIMARY KEY (id)`,
  ],
];

export function changePipelineSchema(engine: DbEngine): new () => MigrationInterface {
  return class ChangePipeline implements MigrationInterface {
    readonly name = 'ChangePipeline1795800000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      for (const [table, body] of TABLES) {
        await queryRunner.query(
          `CREATE TABLE \`${table}\` (\n    ${body}\n) ${tableOptions(engine)}`,
        );
      }
      // ChangeService lists changes by generation, newest first.
      await queryRunner.query('CREATE INDEX ix_audit_generation ON audit (generation)');
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query('DROP INDEX ix_audit_generation ON audit');
      for (const [table] of [...TABLES].reverse()) {
        await queryRunner.query(`DROP TABLE \`${table}\``);
      }
    }
  };
}
