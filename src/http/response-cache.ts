export interface ResponseCacheOptions {
  /** Time to live of an entry in milliseconds; 0 disables the cache. */
  ttlMillis: number;
  /** Maximum number of entries; past it, the oldest is dropped first. */
  maxEntries: number;
  /** The current commit generation; an entry stored under another one is never served. */
  generation: () => number;
}

/** The time to live of cached availability responses unless RESTOCK_AVAILABILITY_CACHE_MS sets another. */
export const DEFAULT_AVAILABILITY_CACHE_MILLIS = 1000;

interface Entry<V> {
  value: V;
  /** The instant the read began, in milliseconds. */
  storedAt: number;
}

/**
 * A bounded in-process cache of responses to reads, for endpoints that
 * browsers call far more often than the data changes.
 *
 * An entry is served only while two things hold. First, no transaction of
 * this process has ended since the read began (`generation`, such as
 * `Store.commitGeneration`, is unchanged), so a write in this process is
 * never hidden. Second, the entry is younger than `ttlMillis` on the
 * caller's clock, which bounds how long a write by another process, or the
 * passing of time itself (a new day, a release date), stays unseen.
 */
export class ResponseCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  /** The generation every entry in `entries` was read under. */
  private entriesGeneration: number;

  constructor(private readonly options: ResponseCacheOptions) {
    if (!Number.isInteger(options.ttlMillis) || options.ttlMillis < 0) {
      throw new Error(`Invalid cache time to live ${options.ttlMillis}: give a whole number of milliseconds, 0 to disable.`);
    }
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new Error(`Invalid cache size ${options.maxEntries}: give a whole number of entries, at least 1.`);
    }
    this.entriesGeneration = options.generation();
  }

  get enabled(): boolean {
    return this.options.ttlMillis > 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Returns the entry for `key` if it is still valid at `now` (milliseconds), else undefined. */
  get(key: string, now: number): V | undefined {
    if (!this.enabled) return undefined;
    this.dropIfStale();

    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    const age = now - entry.storedAt;
    // A clock set back (a test clock, a corrected system clock) makes the age negative; such an entry is not trusted.
    if (age < 0 || age >= this.options.ttlMillis) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /**
   * Stores `value`, read from a database at generation `readGeneration` by
   * a read that began at `readAt` (milliseconds). A value whose read
   * overlapped the end of a transaction is not stored, since it may predate
   * that transaction's writes.
   */
  set(key: string, value: V, readGeneration: number, readAt: number): void {
    if (!this.enabled) return;
    this.dropIfStale();
    if (readGeneration !== this.entriesGeneration) return;

    // Deleting first moves the key to the end of the insertion order, which is the eviction order.
    this.entries.delete(key);
    if (this.entries.size >= this.options.maxEntries) this.evictOldest();
    this.entries.set(key, { value, storedAt: readAt });
  }

  private dropIfStale(): void {
    const generation = this.options.generation();
    if (generation === this.entriesGeneration) return;
    this.entries.clear();
    this.entriesGeneration = generation;
  }

  private evictOldest(): void {
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }
}
