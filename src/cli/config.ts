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
  return {
    host: env.HOST ?? '127.0.0.1',
    port,
    databaseUrl: env.RESTOCK_DB ?? `${dataDir}/restock.db`,
    dataDir,
    publicRateLimit,
  };
}
