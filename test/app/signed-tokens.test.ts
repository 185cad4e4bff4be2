import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signToken, verifyToken } from '../../src/app/signed-tokens.js';

const SECRET = 'test-link-secret';
const NOW = new Date('2026-03-02T10:00:00Z');
const LATER = new Date('2026-06-01T00:00:00Z');

test('a signed order token verifies and gives back its order id and expiry', () => {
  const token = signToken(SECRET, { kind: 'order', id: 'ord_123', expiresAt: LATER });

  const check = verifyToken(SECRET, token, 'order', NOW);

  assert.deepEqual(check, { ok: true, claims: { kind: 'order', id: 'ord_123', expiresAt: LATER } });
});

test('a token whose payload was changed fails its signature', () => {
  const token = signToken(SECRET, { kind: 'order', id: 'ord_123', expiresAt: LATER });
  const [, signature] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ k: 'order', id: 'ord_999', exp: LATER.getTime() / 1000 })).toString('base64url');

  assert.deepEqual(verifyToken(SECRET, `${forged}.${signature}`, 'order', NOW), { ok: false, reason: 'bad_signature' });
});

test('a token signed under another secret fails its signature', () => {
  const token = signToken('another-secret', { kind: 'order', id: 'ord_123', expiresAt: LATER });

  assert.deepEqual(verifyToken(SECRET, token, 'order', NOW), { ok: false, reason: 'bad_signature' });
});

test('a token stops working at its expiry instant', () => {
  const token = signToken(SECRET, { kind: 'order', id: 'ord_123', expiresAt: LATER });

  assert.equal(verifyToken(SECRET, token, 'order', new Date(LATER.getTime() - 1000)).ok, true);
  assert.deepEqual(verifyToken(SECRET, token, 'order', LATER), { ok: false, reason: 'expired' });
});

test('an unsubscribe token is not accepted where an order token is asked for', () => {
  const token = signToken(SECRET, { kind: 'unsubscribe', id: 'sub_1', expiresAt: LATER });

  assert.deepEqual(verifyToken(SECRET, token, 'order', NOW), { ok: false, reason: 'wrong_kind' });
});

test('text that is not a token is reported as malformed', () => {
  for (const text of ['', 'abc', 'a.b.c', '.sig', 'payload.']) {
    assert.deepEqual(verifyToken(SECRET, text, 'order', NOW), { ok: false, reason: 'malformed' }, text);
  }
});
