import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../src/http/rate-limit.js';
import { testDatabase } from '../support/database.js';
import { assertError, givenSku, withApi } from '../support/http.js';

describe('RateLimiter', () => {
  it('counts each client in its own window', () => {
    const limiter = new RateLimiter({ max: 2, timeWindow: 60_000 }, () => 0);

    const counts = [limiter.count('a', 0).count, limiter.count('a', 10).count, limiter.count('b', 20).count, limiter.count('a', 30).count];

    assert.deepEqual(counts, [1, 2, 1, 3]);
  });

  it('window restarts after its length', () => {
    const limiter = new RateLimiter({ max: 2, timeWindow: 60_000 }, () => 0);
    limiter.count('a', 1_000);
    limiter.count('a', 2_000);

    const lastInWindow = limiter.count('a', 60_999);
    const firstOfNext = limiter.count('a', 61_000);

    assert.deepEqual([lastInWindow.count, lastInWindow.startedAt], [3, 1_000]);
    assert.deepEqual([firstOfNext.count, firstOfNext.startedAt], [1, 61_000]);
  });

  it('full limiter drops the oldest window', () => {
    const limiter = new RateLimiter({ max: 5, timeWindow: 60_000 }, () => 0, 2);
    limiter.count('a', 0);
    limiter.count('a', 1);
    limiter.count('b', 2);

    limiter.count('c', 3);

    assert.equal(limiter.count('b', 4).count, 2, 'b kept its window');
    assert.equal(limiter.count('a', 5).count, 1, 'a lost its window and starts again');
  });

  it('invalid limits are rejected', () => {
    assert.throws(() => new RateLimiter({ max: 0, timeWindow: 60_000 }), /max 0/);
    assert.throws(() => new RateLimiter({ max: 10, timeWindow: 0 }), /window 0/);
  });
});

describe(`HTTP rate limit headers and order (${testDatabase})`, () => {
  it('public response carries the rate limit headers', async () => {
    await withApi(
      async (api) => {
        await givenSku(api, 'TOTE', { onHand: 5 });

        const first = await api.get('/v1/availability/TOTE', { key: 'public' });
        const second = await api.get('/v1/availability/TOTE', { key: 'public' });

        assert.equal(first.status, 200, first.text);
        assert.equal(first.headers['ratelimit'], '"public";r=2;t=60');
        assert.equal(second.headers['ratelimit'], '"public";r=1;t=60');
        assert.equal(first.headers['retry-after'], undefined);
        assert.equal(first.headers['ratelimit-policy'], undefined);
      },
      { publicRateLimit: 3 },
    );
  });

  it('limited response says when to retry', async () => {
    await withApi(
      async (api) => {
        await givenSku(api, 'TOTE', { onHand: 5 });
        await api.get('/v1/availability/TOTE', { key: 'public' });

        api.clock.advance(15_000);

        const limited = await api.get('/v1/availability/TOTE', { key: 'public' });
        api.clock.advance(45_000);
        const nextWindow = await api.get('/v1/availability/TOTE', { key: 'public' });

        assertError(limited, 429, 'rate_limited');
        assert.equal(limited.headers['retry-after'], '45');
        assert.equal(limited.headers['ratelimit'], '"public";r=0;t=45');
        assert.equal(limited.headers['ratelimit-policy'], '"public";q=1;w=60');
        assert.match(limited.body.error.message, /at most 1 in 60 s per client address; retry in 45 s/);
        assert.equal(nextWindow.status, 200, nextWindow.text);
      },
      { publicRateLimit: 1 },
    );
  });

  it('request without a key does not count against the limit', async () => {
    await withApi(
      async (api) => {
        await givenSku(api, 'TOTE', { onHand: 5 });

        const rejected = [];
        for (let i = 0; i < 3; i += 1) rejected.push(await api.get('/v1/availability/TOTE', { key: 'none' }));
        const allowed = await api.get('/v1/availability/TOTE', { key: 'public' });

        assert.deepEqual(rejected.map((response) => response.status), [401, 401, 401]);
        assert.equal(allowed.status, 200, allowed.text);
      },
      { publicRateLimit: 1 },
    );
  });
});

describe(`HTTP request metrics (${testDatabase})`, () => {
  it('responses are counted by method, route and status', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      await api.get('/v1/availability/TOTE', { key: 'public' });
      await api.get('/v1/availability/TOTE', { key: 'public' });
      await api.get('/v1/availability/NOPE', { key: 'public' });
      await api.get('/v1/availability/TOTE', { key: 'none' });
      await api.get('/v1/no-such-path', { key: 'none' });

      const metrics = (await api.get('/metrics', { key: 'none' })).text;

      assert.match(metrics, /^restock_http_requests_total\{method="GET",route="\/v1\/availability\/:sku",status="200"\} 2$/m);
      assert.match(metrics, /^restock_http_requests_total\{method="GET",route="\/v1\/availability\/:sku",status="404"\} 1$/m);
      assert.match(metrics, /^restock_http_requests_total\{method="GET",route="\/v1\/availability\/:sku",status="401"\} 1$/m);
      assert.match(metrics, /^restock_http_requests_total\{method="GET",route="unmatched",status="404"\} 1$/m);
      assert.match(metrics, /^restock_http_request_duration_seconds_count\{method="GET",route="\/v1\/availability\/:sku"\} 4$/m);
    });
  });
});
