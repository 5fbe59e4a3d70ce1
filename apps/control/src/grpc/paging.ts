import { EditRefusal } from '@vsnet/model';

/** Page sizes of every List RPC (docs/api.md): 0 means the default; above the maximum is refused. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface Page<T> {
  readonly items: T[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
}

/**
 * One page of `items` (already in their list order, each with a unique `key`): the page token is
 * the last key shown, opaque to callers (base64url), so a page continues after it even when
 * items were added or removed meanwhile.
 */
export function pageOf<T>(
  items: readonly T[],
  key: (item: T) => string,
  pageSize: number,
  pageToken: string,
): Page<T> {
  if (pageSize > MAX_PAGE_SIZE) {
    throw EditRefusal.field(
      'invalid-argument',
      'pageSize',
      `${pageSize} is above the maximum of ${MAX_PAGE_SIZE}; ask for fewer and follow nextPageToken`,
    );
  }
  const size = pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize;
  let start = 0;
  if (pageToken !== '') {
    const after = decodeToken(pageToken);
    const index = items.findIndex((item) => key(item) === after);
    // A key that has gone since: continue after where it would sort (lists are in key order).
    start = index >= 0 ? index + 1 : items.findIndex((item) => key(item) > after);
    if (start < 0) {
      start = items.length;
    }
  }
  const page = items.slice(start, start + size);
  const last = page[page.length - 1];
  const more = start + size < items.length && last !== undefined;
  return { items: page, nextPageToken: more ? encodeToken(key(last)) : '' };
}

/** Code-point order of names: the order of every list of named objects, as pageOf needs. */
export function byName(a: { readonly name: string }, b: { readonly name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The page a List request (pageSize, pageToken) asks for of `items`, in name order. */
export function pageByName<T extends { readonly name: string }>(
  items: readonly T[],
  request: { readonly pageSize: number; readonly pageToken: string },
): Page<T> {
  return pageOf([...items].sort(byName), (item) => item.name, request.pageSize, request.pageToken);
}

function encodeToken(key: string): string {
  return Buffer.from(`k:${key}`, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const text = /^[A-Za-z0-9_-]+$/.test(token)
    ? Buffer.from(token, 'base64url').toString('utf8')
    : '';
  if (!text.startsWith('k:')) {
    throw EditRefusal.field(
      'invalid-argument',
      'pageToken',
      'is not a page token this service gave out; start again with an empty pageToken',
    );
  }
  return text.slice(2);
}
