import { afterAll } from 'vitest';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { upstreamCheckStoreSuite } from './upstream-check-store.suite.js';
import { SqlUpstreamCheckStore } from './sql-upstream-check-store.js';
import { ThrowawayDatabasePool } from './testing/pg-database.js';

// Unreachable PostgreSQL fails these tests with a message saying so; they never skip.
const databases = new ThrowawayDatabasePool('scangate_test_checks');
afterAll(() => databases.dropAll());

upstreamCheckStoreSuite('PostgreSQL', async () => {
  const database = await databases.acquire();
  const db = openDatabase({ driver: 'postgres', url: database.url, poolSize: 4 }, '.');
  return {
    open: async () => {
      await migrateToLatest(db, 'postgres');
      return new SqlUpstreamCheckStore(db);
    },
    dispose: async () => {
      await db.destroy();
      await databases.release(database);
    },
  };
});
