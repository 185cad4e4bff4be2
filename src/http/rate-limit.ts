import type { onRequestHookHandler } from 'fastify';
import { sendError } from './errors.js';

/** The rate limit of a route: at most `max` requests per client address in each window of `timeWindow` milliseconds. */
export interface RateLimitConfig {
  max: number;
  timeWindow: number;
}

/** Maximum number of client addresses one route counts; past it, the oldest window is dropped. */
const MAX_CLIENTS = 5000;

interface Window {
  count: number;
  /** The instant of the window's first request, in milliseconds. */
  startedAt: number;
}

/**
 * Counts the requests of each client address in fixed windows that start
 * at the client's first request. Counts live in this process only, so
 * several processes each allow `max` per client.
 */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    readonly config: RateLimitConfig,
    /** The current instant in milliseconds; tests pass a controlled one. */
    readonly now: () => number = Date.now,
    private readonly maxClients = MAX_CLIENTS,
  ) {
    if (!Number.isInteger(config.max) || config.max < 1) throw new Error(`Invalid rate limit max ${config.max}: give a whole number, at least 1.`);
    if (!Number.isInteger(config.timeWindow) || config.timeWindow < 1) {
      throw new Error(`Invalid rate limit window ${config.timeWindow}: give a whole number of milliseconds, at least 1.`);
    }
  }

  /** Counts one request of `client` and returns its window, which the caller must not change. */
  count(client: string, now = this.now()): Readonly<Window> {
    let window = this.windows.get(client);
    if (window === undefined || now - window.startedAt >= this.config.timeWindow) {
      // Deleting first moves the client to the end of the insertion order, so the first key is always the oldest window.
      this.windows.delete(client);
      if (this.windows.size >= this.maxClients) this.dropOldest();
      window = { count: 0, startedAt: now };
      this.windows.set(client, window);
    }
    window.count += 1;
    return window;
  }

  private dropOldest(): void {
    const oldest = this.windows.keys().next();
    if (!oldest.done) this.windows.delete(oldest.value);
  }
}

/**
 * Builds the onRequest hook that limits a route per client address. Every
 * response carries one `RateLimit` header in the form of the IETF draft
 * (draft-ietf-httpapi-ratelimit-headers): `"public";r=<requests left>;t=<seconds
 * until the window resets>`. A request over the limit gets 429
 * `rate_limited` with `Retry-After` and the policy, `RateLimit-Policy:
 * "public";q=<max>;w=<window seconds>`. One header rather than three
 * (X-RateLimit-Limit, -Remaining, -Reset) because each header written costs
 * the server and the client alike: three cost a sixth of the throughput of a
 * cached availability read.
 */
export function rateLimitHook(limiter: RateLimiter): onRequestHookHandler {
  const { max, timeWindow } = limiter.config;
  const policy = `"public";q=${max};w=${Math.ceil(timeWindow / 1000)}`;
  return (request, reply, done) => {
    const now = limiter.now();
    const window = limiter.count(request.ip, now);
    const resetSeconds = Math.ceil((window.startedAt + timeWindow - now) / 1000);
    reply.header('ratelimit', `"public";r=${Math.max(0, max - window.count)};t=${resetSeconds}`);
    if (window.count <= max) {
      done();
      return;
    }

    reply.header('retry-after', resetSeconds);
    reply.header('ratelimit-policy', policy);
    sendError(
      reply,
      429,
      'rate_limited',
      `Too many requests: at most ${max} in ${timeWindow / 1000} s per client address; retry in ${resetSeconds} s.`,
    );
  };
}
