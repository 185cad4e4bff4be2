import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed tokens for links in customer e-mail: a self-service page bound to
 * one order, or an unsubscribe link bound to one back-in-stock subscription.
 * A token is `<payload>.<signature>`, both base64url; the payload is JSON
 * `{ k, id, exp }` and the signature is HMAC-SHA256 of the payload text under
 * the server's link secret. Nothing is stored: changing the secret revokes
 * every link.
 */
export type TokenKind = 'order' | 'unsubscribe';

export interface TokenClaims {
  kind: TokenKind;
  /** The order id or the subscription id. */
  id: string;
  /** When the link stops working. */
  expiresAt: Date;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' | 'wrong_kind' };

export function signToken(secret: string, claims: TokenClaims): string {
  const payload = Buffer.from(
    JSON.stringify({ k: claims.kind, id: claims.id, exp: Math.floor(claims.expiresAt.getTime() / 1000) }),
  ).toString('base64url');
  return `${payload}.${signatureOf(secret, payload)}`;
}

/**
 * Checks a token's signature first, then its kind and expiry, so a forged
 * token learns nothing about which ids exist.
 */
export function verifyToken(secret: string, token: string, kind: TokenKind, now: Date): TokenCheck {
  const parts = token.split('.');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return { ok: false, reason: 'malformed' };
  const [payload, signature] = parts as [string, string];

  const expected = Buffer.from(signatureOf(secret, payload));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };

  const claims = parseClaims(payload);
  if (claims === undefined) return { ok: false, reason: 'malformed' };
  if (claims.kind !== kind) return { ok: false, reason: 'wrong_kind' };
  if (claims.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}

function signatureOf(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

function parseClaims(payload: string): TokenClaims | undefined {
  try {
    const raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { k?: unknown; id?: unknown; exp?: unknown };
    if ((raw.k !== 'order' && raw.k !== 'unsubscribe') || typeof raw.id !== 'string' || typeof raw.exp !== 'number') return undefined;
    return { kind: raw.k, id: raw.id, expiresAt: new Date(raw.exp * 1000) };
  } catch {
    return undefined;
  }
}
