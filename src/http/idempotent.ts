import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidRequest } from '../app/errors.js';
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
