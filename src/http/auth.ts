import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** Compares a presented key with the known ones in constant time and returns its scope. */
export class KeyChecker {
  private readonly admin: Buffer;
  private readonly publishable: Buffer;

  constructor(keys: ApiKeys) {
    this.admin = digest(keys.admin);
    this.publishable = digest(keys.publishable);
  }

  scopeOf(presented: string | undefined): Scope | null {
    if (!presented) return null;
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
