import { invalidRequest } from '../app/errors.js';

/** Encodes the key of the last row served, so the next page starts after it. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * Decodes a cursor and checks that it has the shape of the list's sort key,
 * so an edited or forged cursor is a 400 and never reaches a query.
 */
export function decodeCursor<T>(cursor: string | undefined, isKey: (key: unknown) => key is T): T | undefined {
  if (cursor === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!isKey(key)) {
    throw invalidRequest('The cursor is not one this API returned; pass next_cursor from the previous page unchanged.', [
      { field: 'cursor', message: 'must be a next_cursor value from a previous page' },
    ]);
  }
  return key;
}

/** Checks that a key is text, such as a code or an id, without the NUL character, which PostgreSQL rejects in text. */
export function isText(key: unknown): key is string {
  return typeof key === 'string' && !key.includes('\u0000');
}

/** Checks that a key is a sequence number or an offset: a whole number from 0. */
export function isWholeNumber(key: unknown): key is number {
  return typeof key === 'number' && Number.isSafeInteger(key) && key >= 0;
}

/** Checks that a key is a timestamp and an id, as lists sorted by time use. */
export function isTextPair(key: unknown): key is [string, string] {
  return Array.isArray(key) && key.length === 2 && key.every(isText);
}

/** Builds a list page from rows fetched with `limit + 1`. */
export function page<T, K>(rows: T[], limit: number, keyOf: (row: T) => K) {
  const hasMore = rows.length > limit;
  const data = hasMore ? rows.slice(0, limit) : rows;
  const last = data[data.length - 1];
  return { data, has_more: hasMore, next_cursor: hasMore && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
