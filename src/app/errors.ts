/**
 * A failure a caller can act on, with a stable `code` from the API contract,
 * the HTTP status it maps to, and optional `details`.
 */
export class RestockError extends Error {
  constructor(
    readonly code: 'invalid_request' | 'not_found' | 'invalid_state' | 'not_orderable' | 'idempotency_key_reused',
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'RestockError';
  }
}

export function notFound(message: string): RestockError {
  return new RestockError('not_found', 404, message);
}

export function invalidState(message: string, details?: unknown): RestockError {
  return new RestockError('invalid_state', 409, message, details);
}

export function invalidRequest(message: string, details: { field: string; message: string }[]): RestockError {
  return new RestockError('invalid_request', 400, message, details);
}
