import { invalidRequest } from '../app/errors.js';

/** Encodes the key of the last row served, so the next page starts after it. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T>(cursor: string | undefined): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T;
  } catch {
    throw invalidRequest('The cursor is not one this API returned; pass next_cursor from the previous page unchanged.', [
      { field: 'cursor', message: 'must be a next_cursor value from a previous page' },
    ]);
  }
}

/** Builds a list page from rows fetched with `limit + 1`. */
export function page<T, K>(rows: T[], limit: number, keyOf: (row: T) => K) {
  const hasMore = rows.length > limit;
  const data = hasMore ? rows.slice(0, limit) : rows;
  const last = data[data.length - 1];
  return { data, has_more: hasMore, next_cursor: hasMore && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
