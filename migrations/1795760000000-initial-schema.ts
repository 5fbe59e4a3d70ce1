import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tableOptions } from '@vsnet/store';
import type { DbEngine } from '@vsnet/store';

/** Identifier columns are ASCII: small rows on NDB, byte-wise comparison of lower-case names. */
const NAME = 'VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin';
const IFNAME = 'VARCHAR(15) CHARACTER SET ascii COLLATE ascii_bin';
const CIDR = 'VARCHAR(49) CHARACTER SET ascii COLLATE ascii_bin';
const ascii = (n: number): string => `VARCHAR(${n}) CHARACTER SET ascii COLLATE ascii_bin`;

/** Tables in creation order; `down` drops them in reverse. No foreign-key constraints: see docs/ndb.md. */
const TABLES: readonly (readonly [name: string, body: string])[] = [
  [
    'cluster',
    `id TINYINT UNSIGNED NOT NULL,
    name ${NAME} NOT NULL,
    cluster_mac ${ascii(17)} NOT NULL,
    default_routing_policy ${NAME} NULL,
    generation BIGINT UNSIGNED NOT NULL,
    updated_at DATETIME(3) NOT NULL,
    PRIMARY KEY (id)`,
  ],
  [
    'filers',
    `id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    name ${NAME} NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_filers_name (name)`,
  ],
  [
    'interfaces',
    `id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    filer_id INT UNSIGNED NOT NULL,
    name ${IFNAME} NOT NULL,
    kind ${ascii(16)} NOT NULL,
    mac ${ascii(17)} NULL,
    mtu SMALLINT UNSIGNED NULL,
    mode ${ascii(16)} NULL,
    primary_member ${IFNAME} NULL,
    on_interface ${IFNAME} NULL,
    routing_policy ${NAME} NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_interfaces_filer_name (filer_id, name)`,
  ],
  [
    'interface_members',
    `interface_id INT UNSIGNED NOT NULL,
    position TINYINT UNSIGNED NOT NULL,
    member_name ${IFNAME} NOT NULL,
    PRIMARY KEY (interface_id, position)`,
  ],
  [
    'addresses',
    `id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    owner_kind ${ascii(16)} NOT NULL,
    owner_id INT UNSIGNED NOT NULL,
    alias ${IFNAME} NOT NULL,
    ip ${CIDR} NOT NULL,
    prefix_length TINYINT UNSIGNED NOT NULL,
    instance SMALLINT UNSIGNED NULL,
    mode ${ascii(8)} NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_addresses_ip (ip),
    KEY ix_addresses_owner (owner_kind, owner_id)`,
  ],
  [
    'vsvrs',
    `id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    name ${NAME} NOT NULL,
    routing_policy ${NAME} NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_vsvrs_name (name)`,
  ],
  [
    'failover_group_entries',
    `vsvr_id INT UNSIGNED NOT NULL,
    position TINYINT UNSIGNED NOT NULL,
    filer_id INT UNSIGNED NOT NULL,
    PRIMARY KEY (vsvr_id, position),
    UNIQUE KEY uq_failover_group_entries_vsvr_filer (vsvr_id, filer_id)`,
  ],
  [
    'routing_policies',
    `id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    name ${NAME} NOT NULL,
    extends_policy ${NAME} NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_routing_policies_name (name)`,
  ],
  [
    'routes',
    `id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    owner_kind ${ascii(8)} NOT NULL,
    owner_id INT UNSIGNED NOT NULL,
    destination ${CIDR} NOT NULL,
    via ${CIDR} NULL,
    alias ${IFNAME} NULL,
    metric INT UNSIGNED NULL,
    PRIMARY KEY (id),
    KEY ix_routes_owner (owner_kind, owner_id)`,
  ],
  [
    'sites',
    `id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    name ${NAME} NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_sites_name (name)`,
  ],
  [
    'site_subnets',
    `id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    site_id INT UNSIGNED NOT NULL,
    subnet ${CIDR} NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_site_subnets_subnet (subnet)`,
  ],
  [
    'mysql_nodes',
    `id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    role ${ascii(32)} NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_mysql_nodes_role (role)`,
  ],
  [
    'principals',
    `id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    name ${NAME} NOT NULL,
    created_at DATETIME(3) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_principals_name (name)`,
  ],
  [
    'principal_grants',
    `principal_id INT UNSIGNED NOT NULL,
    privilege ${ascii(16)} NOT NULL,
    scope_kind ${ascii(16)} NOT NULL,
    scope_name ${NAME} NOT NULL,
    PRIMARY KEY (principal_id, privilege, scope_kind, scope_name)`,
  ],
  [
    'tokens',
    `id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    principal_id INT UNSIGNED NOT NULL,
    token_hash BINARY(32) NOT NULL,
    label ${NAME} NOT NULL,
    created_at DATETIME(3) NOT NULL,
    expires_at DATETIME(3) NULL,
    revoked_at DATETIME(3) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_tokens_hash (token_hash),
    KEY ix_tokens_principal (principal_id)`,
  ],
  [
    'audit',
    `id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    at DATETIME(3) NOT NULL,
    principal ${NAME} NOT NULL,
    rpc ${ascii(128)} NOT NULL,
    target ${ascii(160)} NOT NULL,
    before_summary TEXT NULL,
    after_summary TEXT NULL,
    peer ${ascii(96)} NOT NULL,
    generation BIGINT UNSIGNED NULL,
    PRIMARY KEY (id),
    KEY ix_audit_at (at),
    KEY ix_audit_target (target)`,
  ],
];

/** The desired-state, principal and audit tables, created with the configured engine. */
export function initialSchema(engine: DbEngine): new () => MigrationInterface {
  return class InitialSchema implements MigrationInterface {
    /** TypeORM orders migrations by the 13-digit timestamp that ends the name. */
    readonly name = 'InitialSchema1795760000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      for (const [table, body] of TABLES) {
        await queryRunner.query(
          `CREATE TABLE \`${table}\` (\n    ${body}\n) ${tableOptions(engine)}`,
        );
      }
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      for (const [table] of [...TABLES].reverse()) {
        await queryRunner.query(`DROP TABLE \`${table}\``);
      }
    }
  };
}
