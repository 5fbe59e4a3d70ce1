import type { Palette } from './output.js';

export interface Column {
  readonly header: string;
  readonly align?: 'left' | 'right';
  /** Colours one line of a cell; given the plain text, so widths are measured without escapes. */
  readonly style?: (text: string) => string;
  /** Left out of the table when no row has a value in it (a SITE column in a cluster without sites). */
  readonly optional?: boolean;
}

/** A cell is plain text; a `\n` in it makes the row taller instead of breaking alignment. */
export type Row = readonly string[];

export interface TableOptions {
  /** Spaces before every line (for a table inside a section). */
  readonly indent?: number;
}

const GAP = '  ';

function linesOf(cell: string | undefined): string[] {
  return (cell ?? '').split('\n');
}

/**
 * Renders rows as aligned columns for a terminal: a header, then one line per row (more
 * when a cell holds several lines). Widths are measured on the plain text and colour is
 * applied after, so escapes never shift a column. No trailing spaces are written.
 */
export function renderTable(
  allColumns: readonly Column[],
  allRows: readonly Row[],
  palette: Palette,
  options: TableOptions = {},
): string {
  const kept = allColumns.map(
    (column, c) => column.optional !== true || allRows.some((row) => (row[c] ?? '') !== ''),
  );
  const columns = allColumns.filter((_, c) => kept[c]);
  const rows = allRows.map((row) => allColumns.flatMap((_, c) => (kept[c] ? [row[c] ?? ''] : [])));
  const indent = ' '.repeat(options.indent ?? 0);
  const widths = columns.map((column, c) =>
    Math.max(column.header.length, ...rows.flatMap((row) => linesOf(row[c]).map((l) => l.length))),
  );
  const render = (cells: readonly string[], styled: boolean): string => {
    const parts = columns.map((column, c) => {
      const text = cells[c] ?? '';
      const padding = ' '.repeat((widths[c] ?? 0) - text.length);
      const cell = styled && text !== '' && column.style !== undefined ? column.style(text) : text;
      return column.align === 'right' ? padding + cell : cell + padding;
    });
    return parts.join(GAP).trimEnd();
  };
  const out = [
    indent +
      palette.bold(
        render(
          columns.map((c) => c.header),
          false,
        ),
      ),
  ];
  for (const row of rows) {
    const cellLines = columns.map((_, c) => linesOf(row[c]));
    const height = Math.max(...cellLines.map((l) => l.length));
    for (let i = 0; i < height; i++) {
      out.push(
        indent +
          render(
            cellLines.map((l) => l[i] ?? ''),
            true,
          ),
      );
    }
  }
  return `${out.join('\n')}\n`;
}
