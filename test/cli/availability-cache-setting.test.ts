import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readSettings } from '../../src/cli/config.js';

describe('RESTOCK_AVAILABILITY_CACHE_MS', () => {
  it('unset gives the default', () => {
    assert.equal(readSettings({}).availabilityCacheMillis, 1000);
    assert.equal(readSettings({ RESTOCK_AVAILABILITY_CACHE_MS: '' }).availabilityCacheMillis, 1000);
  });

  it('whole milliseconds are read', () => {
    assert.equal(readSettings({ RESTOCK_AVAILABILITY_CACHE_MS: '250' }).availabilityCacheMillis, 250);
    assert.equal(readSettings({ RESTOCK_AVAILABILITY_CACHE_MS: '0' }).availabilityCacheMillis, 0);
  });

  it('invalid values are rejected', () => {
    for (const text of ['-1', '1.5', 'one second']) {
      assert.throws(() => readSettings({ RESTOCK_AVAILABILITY_CACHE_MS: text }), new RegExp(`RESTOCK_AVAILABILITY_CACHE_MS must be a whole number.*"${text}"`));
    }
  });
});
