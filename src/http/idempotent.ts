import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidRequest, invalidState } from '../app/errors.js';
import { fingerprintOf, runIdempotent } from '../app/idempotency.js';
import type { Store, Work } from '../store/store.js';

export interface WriteResult {
  statusCode: number;
  body: unknown;
}

/**
 * Runs a POST's write in one transaction. With an `Idempotency-Key` header
 * the key and the response are stored in that same transaction, so a retry
 * replays the first response (with `Idempotent-Replayed: true`) even after
 * a crash, and the key with another body is rejected.
 */
export async function write(
  store: Store,
  request: FastifyRequest,
  reply: FastifyReply,
  body: (work: Work) => Promise<WriteResult>,
): Promise<FastifyReply> {
  const key = idempotencyKey(request);

  if (key === undefined) {
    const result = await store.transaction(body);
    return reply.code(result.statusCode).send(result.body);
  }

  const scope = request.scope ?? 'admin';
  const fingerprint = fingerprintOf(request.method, request.url.split('?')[0]!, request.body ?? null);
  const result = await store.transaction((work) => runIdempotent(work, { scope, key, fingerprint }, () => body(work)));
  if (result.replayed) reply.header('Idempotent-Replayed', 'true');
  return reply.code(result.statusCode).send(result.body);
}

/**
 * Runs a POST whose work spans several transactions, such as a delay
 * review, so it cannot commit with its key. With an `Idempotency-Key` that
 * already has a stored response, `run` is skipped and that response is
 * replayed (or the key with another body is rejected). Otherwise `run` runs
 * and its response is stored under the key afterwards. A crash between the
 * two leaves the key unused, so a retry runs again: use this only for work
 * that is safe to repeat. Of two requests racing with one new key, both
 * run, and the second gets the first's response.
 */
export async function writeThenStore(
  store: Store,
  request: FastifyRequest,
  reply: FastifyReply,
  run: () => Promise<WriteResult>,
): Promise<FastifyReply> {
  const key = idempotencyKey(request);
  const stored = key !== undefined && (await hasStoredResponse(store, request.scope ?? 'admin', key));
  const result = stored ? null : await run();
  return write(store, request, reply, async () => {
    if (result === null) throw invalidState('The stored response of this Idempotency-Key was removed while the request ran; send the request again with a new key.');
    return result;
  });
}

async function hasStoredResponse(store: Store, scope: string, key: string): Promise<boolean> {
  const row = await store.db.selectFrom('idempotency_keys').select('key').where('scope', '=', scope).where('key', '=', key).executeTakeFirst();
  return row !== undefined;
}

function idempotencyKey(request: FastifyRequest): string | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;

  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined || key.length < 1 || key.length > 255) {
    throw invalidRequest('Idempotency-Key must be 1 to 255 characters.', [
      { field: 'Idempotency-Key', message: 'must be 1 to 255 characters' },
    ]);
  }
  return key;
}
