import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { DbEngine } from '@vsnet/store';

/**
 * `cluster.dhcp` (docs/cluster-document.md): `internal` when the filer hosting vs_mgmt runs the
 * cluster's DHCP server, NULL for external (the default, and what every existing cluster had).
 * A nullable column added last, which NDB can add in place without copying the table.
 */
export function clusterDhcpSchema(_engine: DbEngine): new () => MigrationInterface {
  return class ClusterDhcp implements MigrationInterface {
    readonly name = 'ClusterDhcp1795900000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(
        'ALTER TABLE `cluster` ADD COLUMN dhcp VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NULL',
      );
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query('ALTER TABLE `cluster` DROP COLUMN dhcp');
    }
  };
}
