import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import pc from 'picocolors';
import { renderTable } from './table.js';

const PLAIN = pc.createColors(false);
const COLOUR = pc.createColors(true);

describe('renderTable', () => {
  const columns = [
    { header: 'NAME' },
    { header: 'MTU', align: 'right' },
    { header: 'NOTE' },
  ] as const;

  it('aligns columns to their widest cell and writes no trailing spaces', () => {
    const out = renderTable(
      columns,
      [
        ['eth0', '1500', ''],
        ['bond0.10', '9000', 'vlan'],
      ],
      PLAIN,
    );
    expect(out).toBe(
      ['NAME       MTU  NOTE', 'eth0      1500', 'bond0.10  9000  vlan', ''].join('\n'),
    );
  });

  it('makes a row taller for a cell with several lines', () => {
    const out = renderTable(columns, [['a', '1', 'x\ny']], PLAIN, { indent: 2 });
    expect(out.split('\n')).toEqual(['  NAME  MTU  NOTE', '  a       1  x', '             y', '']);
  });

  it('leaves out an optional column that no row fills', () => {
    const optional = [{ header: 'NAME' }, { header: 'SITE', optional: true }, { header: 'MTU' }];
    expect(renderTable(optional, [['eth0', '', '1500']], PLAIN)).toBe('NAME  MTU\neth0  1500\n');
    expect(renderTable(optional, [['eth0', 'lab', '1500']], PLAIN)).toBe(
      'NAME  SITE  MTU\neth0  lab   1500\n',
    );
  });

  it('keeps alignment when colour is on', () => {
    const styled = [{ header: 'A', style: COLOUR.red }, { header: 'B' }];
    const out = renderTable(
      styled,
      [
        ['x', '1'],
        ['long', '2'],
      ],
      COLOUR,
    );
    const visible = stripVTControlCharacters(out);
    expect(visible).toBe('A     B\nx     1\nlong  2\n');
    expect(out).toContain(COLOUR.red('x'));
  });
});
