import { EditRefusal } from '@vsnet/model';
import type { Page } from './paging.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './paging.js';

// Paging for lists the database pages itself (principals, audit entries): the page token is the
// last key shown, tagged with the list it belongs to and base64url-encoded so callers treat it
// as opaque. pageOf (paging.ts) does the same for lists read whole from the cluster document.

/** The number of items a page holds: 0 means the default; above the maximum is refused. */
export function pageSizeOf(pageSize: number): number {
  if (pageSize > MAX_PAGE_SIZE) {
    throw EditRefusal.field(
      'invalid-argument',
      'pageSize',
      `${pageSize} is above the maximum of ${MAX_PAGE_SIZE}; ask for fewer and follow nextPageToken`,
    );
  }
  return pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize;
}

/** The token that continues list `list` after `key`. */
export function pageTokenOf(list: string, key: string): string {
  return Buffer.from(`${list}:${key}`, 'utf8').toString('base64url');
}

/**
 * The page of list `list` in `rows`, which were fetched with a limit one above `size`: whether
 * that extra row came says whether there is a next page, whose token continues after the last
 * key shown.
 */
export function keysetPage<T>(
  list: string,
  rows: readonly T[],
  size: number,
  key: (row: T) => string,
): Page<T> {
  const items = rows.slice(0, size);
  const last = items[items.length - 1];
  return {
    items,
    nextPageToken: rows.length > size && last !== undefined ? pageTokenOf(list, key(last)) : '',
  };
}

/**
 * The key a page token of list `list` continues after; `undefined` for the empty token (first
 * page). Refuses a token this service did not give out for that list, or whose key `valid`
 * rejects.
 */
export function pageKeyOf(
  list: string,
  token: string,
  valid: (key: string) => boolean = () => true,
): string | undefined {
  if (token === '') {
    return undefined;
  }
  const text = /^[A-Za-z0-9_-]+$/.test(token)
    ? Buffer.from(token, 'base64url').toString('utf8')
    : '';
  const key = text.startsWith(`${list}:`) ? text.slice(list.length + 1) : undefined;
  if (key === undefined || !valid(key)) {
    throw EditRefusal.field(
      'invalid-argument',
      'pageToken',
      'is not a page token this service gave out for this list; start again with an empty pageToken',
    );
  }
  return key;
}
