import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

let lastMillis = -1;
let lastRandom = new Uint8Array(10);

/**
 * Returns a time-ordered id with a type prefix, such as `ord_01jd5…`: 10
 * characters of milliseconds and 16 of randomness, in Crockford base 32.
 * Ids made in one process sort in the order they were made, so a line id can
 * break ties in the backorder queue.
 */
export function newId(prefix: string): string {
  const millis = Date.now();
  if (millis <= lastMillis) {
    incrementInPlace(lastRandom);
  } else {
    lastMillis = millis;
    lastRandom = new Uint8Array(randomBytes(10));
    lastRandom[0] = lastRandom[0]! & 0x7f; // headroom so increments never wrap
  }
  const id = encodeTime(lastMillis) + encodeRandom(lastRandom);
  return prefix === '' ? id : `${prefix}_${id}`;
}

function encodeTime(millis: number): string {
  let text = '';
  let rest = millis;
  for (let i = 0; i < 10; i += 1) {
    text = ALPHABET[rest % 32]! + text;
    rest = Math.floor(rest / 32);
  }
  return text;
}

/** Encodes the 80 bits as 16 characters of 5 bits, most significant first, without BigInt arithmetic. */
function encodeRandom(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < 16; i += 1) {
    const bit = i * 5;
    const pair = (bytes[bit >> 3]! << 8) | (bytes[(bit >> 3) + 1] ?? 0);
    text += ALPHABET[(pair >> (11 - (bit & 7))) & 31]!;
  }
  return text;
}

function incrementInPlace(bytes: Uint8Array): void {
  for (let i = bytes.length - 1; i >= 0; i -= 1) {
    if (bytes[i]! < 255) {
      bytes[i] = bytes[i]! + 1;
      return;
    }
    bytes[i] = 0;
  }
}
