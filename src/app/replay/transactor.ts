import type { Kysely } from 'kysely';
import type { Clock } from '../../domain/clock.js';
import type { DatabaseKind } from '../../store/database.js';
import type { Database } from '../../store/schema.js';
import { Work, type Store } from '../../store/store.js';

/** The part of a store that a replay uses: its database, and transactions at instants the replay sets. */
export interface Transactor {
  readonly db: Kysely<Database>;
  readonly kind: DatabaseKind;
  transaction<T>(body: (work: Work) => Promise<T>): Promise<T>;
}

/**
 * Runs transactions on a store's database at the instants of `clock`
 * instead of the store's own clock, so that a store serving on the system
 * clock can load a history. Each transaction writes its events and runs its
 * before-commit work like `Store.transaction`, but is not retried: a load
 * runs before the store serves anything, so nothing competes with it.
 */
export function clockedTransactor(store: Store, clock: Clock): Transactor {
  return {
    db: store.db,
    kind: store.kind,
    async transaction<T>(body: (work: Work) => Promise<T>): Promise<T> {
      try {
        return await store.db.transaction().execute(async (tx) => {
          const work = new Work(tx, store.kind, clock());
          const result = await body(work);
          await work.flush();
          return result;
        });
      } finally {
        store.noteTransactionEnd();
      }
    },
  };
}
