import { DEFAULT_AVAILABILITY_CACHE_MILLIS } from '../http/response-cache.js';
import { DEFAULT_DELIVERY_RETENTION_DAYS } from '../jobs/outbox/retention.js';
/** Settings read from the environment, with the defaults of the API contract. */
export interface Settings {
  host: string;
  port: number;
  /** A SQLite file path, or a postgres:// URL. */
  databaseUrl: string;
  /** The folder of the embedded database and the generated keys. */
  dataDir: string;
  /** Requests per minute per client address on each public endpoint. */
  publicRateLimit: number;
  /** Load the demo store (a slice of the UCI Online Retail data set) into an empty database before serving. */
  demo?: boolean;
  /** How long an availability response may be reused, in milliseconds; 0 disables the cache. */
  availabilityCacheMillis: number;
  /** The base URL customers reach the server at, without a trailing slash; links in e-mail point here. */
  publicUrl: string;
  /** The HMAC secret of customer links; null to use the one generated in the data folder. */
  linkSecret: string | null;
  /** `smtp://` or `smtps://` URL of the mail server; null to write `.eml` files under `<dataDir>/mail`. */
  smtpUrl: string | null;
  /** The From header of e-mail; null for the e-mail channel's default. */
  mailFrom: string | null;
  /** The address of merchant alerts; null to send none. */
  merchantEmail: string | null;
  /** Run the outbox dispatcher inside `serve`; false when RESTOCK_DISPATCHER=off (a separate `restock worker` runs it). */
  dispatcher: boolean;
  /** Days a delivered delivery stays in the delivery log; 0 keeps them all. */
  deliveryRetentionDays: number;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a whole number from 0 to 65535, not "${env.PORT}".`);
  }
  const dataDir = env.RESTOCK_DATA_DIR ?? './data';
  const publicRateLimit = Number(env.RESTOCK_PUBLIC_RATE_LIMIT ?? 600);
  if (!Number.isInteger(publicRateLimit) || publicRateLimit < 1) {
    throw new Error(`RESTOCK_PUBLIC_RATE_LIMIT must be a whole number of requests per minute, at least 1, not "${env.RESTOCK_PUBLIC_RATE_LIMIT}".`);
  }
  const host = env.HOST ?? '127.0.0.1';
  return {
    host,
    port,
    databaseUrl: env.RESTOCK_DB ?? `${dataDir}/restock.db`,
    dataDir,
    publicRateLimit,
    availabilityCacheMillis: readAvailabilityCacheMillis(env),
    ...communicationSettings(env, host, port),
  };
}

function readAvailabilityCacheMillis(env: NodeJS.ProcessEnv): number {
  return readWholeNumber(env, 'RESTOCK_AVAILABILITY_CACHE_MS', DEFAULT_AVAILABILITY_CACHE_MILLIS, 'milliseconds, 0 to disable the cache');
}

/** Reads a setting that is a whole number of at least 0, or its default when unset or empty. */
function readWholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, unit: string): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a whole number of ${unit}, not "${text}".`);
  }
  return value;
}

/** Reads the settings of e-mail, customer links and the outbox dispatcher. */
function communicationSettings(env: NodeJS.ProcessEnv, host: string, port: number) {
  const publicUrl = (env.RESTOCK_PUBLIC_URL || defaultPublicUrl(host, port)).replace(/\/+$/, '');
  if (!isHttpUrl(publicUrl)) {
    throw new Error(`RESTOCK_PUBLIC_URL must be an http or https URL, such as https://shop.example/restock, not "${env.RESTOCK_PUBLIC_URL}".`);
  }
  const linkSecret = env.RESTOCK_LINK_SECRET || null;
  if (linkSecret !== null && linkSecret.length < 16) {
    throw new Error('RESTOCK_LINK_SECRET must be at least 16 characters; a random 32-byte value is best. Unset it to use a generated one.');
  }
  const smtpUrl = env.RESTOCK_SMTP_URL || null;
  if (smtpUrl !== null && !/^smtps?:\/\//.test(smtpUrl)) {
    throw new Error('RESTOCK_SMTP_URL must start with smtp:// or smtps://, such as smtp://user:password@mail.example:587.');
  }
  const dispatcher = (env.RESTOCK_DISPATCHER ?? 'on').toLowerCase();
  if (dispatcher !== 'on' && dispatcher !== 'off') {
    throw new Error(`RESTOCK_DISPATCHER must be on or off, not "${env.RESTOCK_DISPATCHER}".`);
  }
  return {
    publicUrl,
    linkSecret,
    smtpUrl,
    mailFrom: env.RESTOCK_MAIL_FROM || null,
    merchantEmail: env.RESTOCK_MERCHANT_EMAIL || null,
    dispatcher: dispatcher === 'on',
    deliveryRetentionDays: readWholeNumber(env, 'RESTOCK_DELIVERY_RETENTION_DAYS', DEFAULT_DELIVERY_RETENTION_DAYS, 'days, 0 to keep every delivery'),
  };
}

/** http://HOST:PORT, with a wildcard listen address replaced by the loopback address, which a browser can open. */
function defaultPublicUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const protocol = new URL(value).protocol;
  return protocol === 'http:' || protocol === 'https:';
}
