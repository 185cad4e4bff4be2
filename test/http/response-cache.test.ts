import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseCache } from '../../src/http/response-cache.js';

/** Creates a cache over a generation counter that the test moves by hand. */
function cacheOf(ttlMillis: number, maxEntries = 100) {
  const state = { generation: 0 };
  const cache = new ResponseCache<string>({ ttlMillis, maxEntries, generation: () => state.generation });
  return { cache, state };
}

describe('ResponseCache', () => {
  it('entry is served within its time to live', () => {
    const { cache } = cacheOf(1000);

    cache.set('a', 'first', 0, 10_000);

    assert.equal(cache.get('a', 10_000), 'first');
    assert.equal(cache.get('a', 10_999), 'first');
  });

  it('entry expires at its time to live', () => {
    const { cache } = cacheOf(1000);
    cache.set('a', 'first', 0, 10_000);

    assert.equal(cache.get('a', 11_000), undefined);
    assert.equal(cache.size, 0);
  });

  it('entry is not served before it was read', () => {
    const { cache } = cacheOf(1000);
    cache.set('a', 'first', 0, 10_000);

    assert.equal(cache.get('a', 9_999), undefined);
  });

  it('new generation drops every entry', () => {
    const { cache, state } = cacheOf(1000);
    cache.set('a', 'first', 0, 10_000);
    cache.set('b', 'second', 0, 10_000);

    state.generation = 1;

    assert.equal(cache.get('a', 10_000), undefined);
    assert.equal(cache.get('b', 10_000), undefined);
    assert.equal(cache.size, 0);
  });

  it('read that overlapped a commit is not stored', () => {
    const { cache, state } = cacheOf(1000);

    // The read began at generation 0, and a transaction ended before it finished.
    state.generation = 1;
    cache.set('a', 'maybe stale', 0, 10_000);

    assert.equal(cache.get('a', 10_000), undefined);
    assert.equal(cache.size, 0);
  });

  it('read after a commit is stored under the new generation', () => {
    const { cache, state } = cacheOf(1000);
    state.generation = 3;

    cache.set('a', 'fresh', 3, 10_000);

    assert.equal(cache.get('a', 10_000), 'fresh');
  });

  it('time to live 0 stores nothing', () => {
    const { cache } = cacheOf(0);

    cache.set('a', 'first', 0, 10_000);

    assert.equal(cache.enabled, false);
    assert.equal(cache.get('a', 10_000), undefined);
    assert.equal(cache.size, 0);
  });

  it('full cache drops the oldest entry', () => {
    const { cache } = cacheOf(1000, 2);

    cache.set('a', 'first', 0, 10_000);
    cache.set('b', 'second', 0, 10_001);
    cache.set('c', 'third', 0, 10_002);

    assert.equal(cache.size, 2);
    assert.equal(cache.get('a', 10_002), undefined);
    assert.equal(cache.get('b', 10_002), 'second');
    assert.equal(cache.get('c', 10_002), 'third');
  });

  it('stored again, a key becomes the newest', () => {
    const { cache } = cacheOf(1000, 2);

    cache.set('a', 'first', 0, 10_000);
    cache.set('b', 'second', 0, 10_001);
    cache.set('a', 'first again', 0, 10_002);
    cache.set('c', 'third', 0, 10_003);

    assert.equal(cache.get('a', 10_003), 'first again');
    assert.equal(cache.get('b', 10_003), undefined);
  });

  it('invalid options are rejected', () => {
    const generation = () => 0;

    assert.throws(() => new ResponseCache({ ttlMillis: -1, maxEntries: 10, generation }), /time to live -1/);
    assert.throws(() => new ResponseCache({ ttlMillis: 1.5, maxEntries: 10, generation }), /time to live 1.5/);
    assert.throws(() => new ResponseCache({ ttlMillis: 1000, maxEntries: 0, generation }), /cache size 0/);
  });
});
