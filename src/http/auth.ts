import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { onRequestHookHandler } from 'fastify';
import { sendError } from './errors.js';

export type Scope = 'admin' | 'public';

export interface ApiKeys {
  admin: string;
  publishable: string;
}

export interface LoadedKeys {
  keys: ApiKeys;
  /** The file of the generated keys; null when both came from the environment. */
  file: string | null;
  /** True when this call generated them; the caller prints them once. */
  generated: boolean;
}

/**
 * Reads the admin and publishable keys from RESTOCK_ADMIN_KEY and
 * RESTOCK_PUBLISHABLE_KEY. A key that is unset is generated on first start
 * and stored in `<dataDir>/keys.json` (mode 0600), then read from there.
 */
export function loadKeys(dataDir: string, env: NodeJS.ProcessEnv = process.env): LoadedKeys {
  const fromEnv = { admin: env.RESTOCK_ADMIN_KEY, publishable: env.RESTOCK_PUBLISHABLE_KEY };
  if (fromEnv.admin && fromEnv.publishable) {
    return { keys: { admin: fromEnv.admin, publishable: fromEnv.publishable }, file: null, generated: false };
  }

  const file = join(dataDir, 'keys.json');
  let stored: ApiKeys;
  let generated = false;
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, 'utf8')) as ApiKeys;
  } else {
    stored = { admin: `rsk_${randomBytes(24).toString('base64url')}`, publishable: `rpk_${randomBytes(24).toString('base64url')}` };
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    generated = true;
  }
  return {
    keys: { admin: fromEnv.admin || stored.admin, publishable: fromEnv.publishable || stored.publishable },
    file,
    generated,
  };
}

/**
 * Compares a presented key with the known ones in constant time and returns
 * its scope. A key that matched once is remembered, so the browsers that
 * send the publishable key with every request cost a map lookup, not a hash.
 */
export class KeyChecker {
  private readonly admin: Buffer;
  private readonly publishable: Buffer;
  /**
   * The presented strings that matched a key, so at most the two keys
   * themselves. A string that matches no key is never stored, so unknown
   * keys cannot grow the map and always go on to the constant-time
   * comparison. The lookup before it compares strings only on a hash collision.
   */
  private readonly matched = new Map<string, Scope>();

  constructor(keys: ApiKeys) {
    this.admin = digest(keys.admin);
    this.publishable = digest(keys.publishable);
  }

  scopeOf(presented: string | undefined): Scope | null {
    if (!presented) return null;
    const known = this.matched.get(presented);
    if (known !== undefined) return known;

    const scope = this.compare(presented);
    if (scope !== null) this.matched.set(presented, scope);
    return scope;
  }

  private compare(presented: string): Scope | null {
    const candidate = digest(presented);
    // Both comparisons always run, so timing does not tell which key matched.
    const isAdmin = timingSafeEqual(candidate, this.admin);
    const isPublishable = timingSafeEqual(candidate, this.publishable);
    if (isAdmin) return 'admin';
    return isPublishable ? 'public' : null;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** Extracts the key from `Authorization: Bearer <key>`. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Builds the onRequest hook of a route that needs a key: 401 without a
 * known key, 403 for the publishable key on an admin route. It calls back
 * instead of returning a promise, which spares each request a microtask.
 */
export function keyCheckHook(checker: KeyChecker, access: 'admin' | 'public'): onRequestHookHandler {
  return (request, reply, done) => {
    const scope = checker.scopeOf(bearerToken(request.headers.authorization));
    if (scope === null) {
      sendError(reply, 401, 'unauthorized', 'Missing or unknown API key; send Authorization: Bearer <key>.');
      return;
    }
    if (access === 'admin' && scope !== 'admin') {
      sendError(reply, 403, 'forbidden', 'The publishable key cannot call this endpoint; use the admin key on the server side.');
      return;
    }
    request.scope = scope;
    done();
  };
}
