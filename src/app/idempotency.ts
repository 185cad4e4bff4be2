import { createHash } from 'node:crypto';
import type { Work } from '../store/store.js';
import { RestockError } from './errors.js';

export interface IdempotentResponse {
  statusCode: number;
  body: unknown;
  replayed: boolean;
}

/** Returns a stable hash of a request body, so a retry with the same body matches. */
export function fingerprintOf(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${path}\n${canonicalJson(body)}`).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Runs a write once per idempotency key, inside the caller's transaction.
 * The first run's response is stored with the write, so a retry (even after
 * a crash between commit and reply) returns it unchanged; the same key with
 * another request body is rejected with `idempotency_key_reused`.
 */
export async function runIdempotent(
  work: Work,
  key: { scope: string; key: string; fingerprint: string },
  write: () => Promise<{ statusCode: number; body: unknown }>,
): Promise<IdempotentResponse> {
  const stored = await work.db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('scope', '=', key.scope)
    .where('key', '=', key.key)
    .executeTakeFirst();

  if (stored) {
    if (stored.fingerprint !== key.fingerprint) {
      throw new RestockError(
        'idempotency_key_reused',
        409,
        `Idempotency-Key "${key.key}" was already used with a different request; send a new key for a new request.`,
      );
    }
    return { statusCode: stored.status_code, body: JSON.parse(stored.response), replayed: true };
  }

  const response = await write();
  await work.db
    .insertInto('idempotency_keys')
    .values({
      scope: key.scope,
      key: key.key,
      fingerprint: key.fingerprint,
      status_code: response.statusCode,
      response: JSON.stringify(response.body),
      created_at: work.nowIso,
    })
    .execute();
  return { ...response, replayed: false };
}
