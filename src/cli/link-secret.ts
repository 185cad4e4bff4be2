import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LoadedLinkSecret {
  secret: string;
  /** The file the generated secret is stored in; null when it came from RESTOCK_LINK_SECRET. */
  file: string | null;
}

/**
 * Returns the HMAC secret of customer links: RESTOCK_LINK_SECRET when set,
 * else the `link_secret` stored in `<dataDir>/secrets.json` (mode 0600),
 * generated on first start. Links signed with it stay valid across restarts,
 * and the API server and every worker on the same data folder share it. The
 * file is created exclusively, so two processes starting at once agree on
 * one secret. Workers on other machines need RESTOCK_LINK_SECRET.
 */
export function loadLinkSecret(dataDir: string, fromEnv: string | undefined): LoadedLinkSecret {
  if (fromEnv) return { secret: fromEnv, file: null };

  const file = join(dataDir, 'secrets.json');
  const generated = { link_secret: randomBytes(32).toString('base64url') };
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(file, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return { secret: generated.link_secret, file };
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
  }

  const stored = JSON.parse(readFileSync(file, 'utf8')) as { link_secret?: unknown };
  if (typeof stored.link_secret !== 'string' || stored.link_secret.length < 16) {
    throw new Error(`${file} has no link_secret of at least 16 characters; delete the file to generate a new one, or set RESTOCK_LINK_SECRET.`);
  }
  return { secret: stored.link_secret, file };
}
