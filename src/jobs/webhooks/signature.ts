import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries a delivery's signature. */
export const SIGNATURE_HEADER = 'Restock-Signature';

/**
 * Returns the `Restock-Signature` value of a body sent at `unixSeconds`:
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the
 * endpoint's secret. Given several secrets, such as during a rotation, it
 * carries one `v1` value per secret, in the order given.
 */
export function signatureHeader(secret: string | readonly string[], body: string, unixSeconds: number): string {
  const secrets = typeof secret === 'string' ? [secret] : secret;
  const signatures = secrets.map((key) => `v1=${hmacHex(key, `${unixSeconds}.${body}`)}`);
  return [`t=${unixSeconds}`, ...signatures].join(',');
}

/**
 * Checks a `Restock-Signature` header against the raw body a receiver got.
 * Returns true when one `v1` value is the HMAC of `"<t>.<body>"` under
 * `secret` and `t` is within `toleranceSeconds` of `now` (default 300). The
 * time check stops an old delivery from being replayed later. Pass the body
 * exactly as received, before any JSON parsing.
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string | Buffer,
  now: Date = new Date(),
  toleranceSeconds = 300,
): boolean {
  if (!header) return false;
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamp = parts.find(([name]) => name === 't')?.[1];
  const signatures = parts.filter(([name]) => name === 'v1').map(([, value]) => value ?? '');
  if (timestamp === undefined || !/^\d+$/.test(timestamp) || signatures.length === 0) return false;
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > toleranceSeconds) return false;

  const expected = Buffer.from(hmacHex(secret, `${timestamp}.${body.toString()}`), 'hex');
  return signatures.some((signature) => {
    const presented = Buffer.from(signature, 'hex');
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  });
}

function hmacHex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}
