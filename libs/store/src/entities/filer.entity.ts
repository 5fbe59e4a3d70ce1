import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { asciiColumn, NAME_LENGTH } from './columns.js';

@Entity({ name: 'filers' })
@Unique('uq_filers_name', ['name'])
export class FilerEntity {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column(asciiColumn(NAME_LENGTH))
  name!: string;
}
