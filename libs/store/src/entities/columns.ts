import type { ColumnOptions } from 'typeorm';

/**
 * Column shapes shared by the entities, so the entities and the hand-written migrations spell
 * each kind of value the same way. Names and addresses are ASCII: it keeps rows small (NDB's
 * row-size limit counts the maximum bytes of every VARCHAR, 4 a character in utf8mb4).
 */
export const NAME_LENGTH = 63;
/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1). */
export const IFNAME_LENGTH = 15;
/** Longest IPv6 text (45 with an embedded IPv4) plus "/128". */
export const CIDR_LENGTH = 49;

export function asciiColumn(length: number, nullable = false): ColumnOptions {
  return { ...asciiKey(length), nullable };
}

/** An ASCII VARCHAR usable in a primary key (never nullable). */
export function asciiKey(length: number) {
  return { type: 'varchar', length, charset: 'ascii', collation: 'ascii_bin' } as const;
}

export const ID_COLUMN = { type: 'int', unsigned: true } as const;

/**
 * Whether `text` can equal a value of an ASCII column. MySQL refuses to compare an ASCII column
 * with a string holding other characters ("Illegal mix of collations"), so a lookup by such a
 * string is answered "no match" without asking the database.
 */
export function fitsAsciiColumn(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) {
      return false;
    }
  }
  return true;
}
