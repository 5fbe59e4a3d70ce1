import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { asciiColumn } from './columns.js';

/** A MySQL node of the cluster database by its role; its addresses live in `addresses`. */
@Entity({ name: 'mysql_nodes' })
@Unique('uq_mysql_nodes_role', ['role'])
export class MysqlNodeEntity {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column(asciiColumn(32))
  role!: string;
}
