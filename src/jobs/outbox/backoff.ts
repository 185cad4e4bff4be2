/** How long a failed delivery waits before its next attempt. */
export interface BackoffOptions {
  /** The ceiling of the first retry's delay, in milliseconds; doubled after each further failure. Default 30 s. */
  baseMillis?: number;
  /** The largest ceiling, in milliseconds. Default 1 hour. */
  capMillis?: number;
}

export const DEFAULT_BACKOFF = { baseMillis: 30_000, capMillis: 3_600_000 } as const;

/** The shortest wait. A delay near 0 would make a failed delivery due again within the same pass. */
const MIN_DELAY_MILLIS = 1_000;

/**
 * Returns the delay before the next attempt after `failedAttempts` failures:
 * exponential backoff with full jitter, a uniform random delay between 1 s
 * and min(cap, base × 2^(failedAttempts − 1)). The jitter spreads the retries
 * of many deliveries that failed together, such as during a receiver outage.
 */
export function retryDelayMillis(failedAttempts: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.baseMillis ?? DEFAULT_BACKOFF.baseMillis;
  const cap = options.capMillis ?? DEFAULT_BACKOFF.capMillis;
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 40);
  const ceiling = Math.min(cap, base * 2 ** exponent);
  return Math.max(MIN_DELAY_MILLIS, Math.floor(random() * ceiling));
}
