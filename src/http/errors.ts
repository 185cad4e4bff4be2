import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { RestockError } from '../app/errors.js';

export interface FieldProblem {
  field: string;
  message: string;
}

export function sendError(reply: FastifyReply, status: number, code: string, message: string, details?: unknown) {
  const error: Record<string, unknown> = { code, message };
  if (details !== undefined) error.details = details;
  return reply.code(status).send({ error });
}

/**
 * Maps every failure to the error body of the contract. Validation errors
 * name each field; unexpected errors are logged with the request id and
 * get a generic 500 that carries no stack trace or SQL.
 */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof RestockError) {
    return sendError(reply, error.status, error.code, error.message, error.details);
  }

  if (hasZodFastifySchemaValidationErrors(error)) {
    const part = error.validationContext ?? 'body';
    const details: FieldProblem[] = error.validation.flatMap((issue) => {
      // An unknown field is named itself, not the object that contains it.
      const unknownKeys = issue.keyword === 'unrecognized_keys' ? (issue.params as { keys?: unknown }).keys : undefined;
      if (Array.isArray(unknownKeys) && unknownKeys.length > 0) {
        return unknownKeys.map((key) => ({
          field: fieldName(part, `${issue.instancePath}/${String(key)}`),
          message: 'is not a known field; remove it or check its spelling',
        }));
      }
      return [{ field: fieldName(part, issue.instancePath), message: issue.message ?? 'is invalid' }];
    });
    const summary = details.map((d) => `${d.field} ${d.message}`).join('; ');
    return sendError(reply, 400, 'invalid_request', `Invalid request: ${summary}.`, details);
  }

  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return sendError(reply, 413, 'payload_too_large', 'The request body is over 1 MiB; send fewer lines per request.');
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return sendError(reply, 415 === error.statusCode ? 400 : 400, 'invalid_request', 'Send the body as JSON with Content-Type: application/json.', [
      { field: 'content-type', message: 'must be application/json' },
    ]);
  }
  if (error.statusCode === 400 || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error instanceof SyntaxError) {
    return sendError(reply, 400, 'invalid_request', `The request body is not valid JSON: ${error.message}`, [
      { field: 'body', message: 'must be valid JSON' },
    ]);
  }
  if (error.statusCode === 429) {
    return sendError(reply, 429, 'rate_limited', error.message || 'Too many requests; wait a moment and retry.');
  }

  request.log.error({ err: error, requestId: request.id }, 'request failed');
  return sendError(reply, 500, 'internal_error', `Internal error; the server logged it with request id ${request.id}.`);
}

/** Turns `/lines/0/quantity` into `lines[0].quantity`, prefixed for the query and path parts. */
function fieldName(part: string, instancePath: string): string {
  const segments = instancePath.split('/').filter(Boolean);
  let name = '';
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) name += `[${segment}]`;
    else if (name === '') name = segment;
    else name += `.${segment}`;
  }
  if (part === 'body') return name === '' ? 'body' : name;
  return name === '' ? part : name;
}
