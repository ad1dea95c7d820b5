import { afterAll } from 'vitest';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { remoteSyncStoreSuite } from './remote-sync-store.suite.js';
import { SqlRemoteSyncStore } from './sql-remote-sync-store.js';
import { ThrowawayDatabasePool } from './testing/pg-database.js';

// Unreachable PostgreSQL fails these tests with a message saying so; they never skip.
const databases = new ThrowawayDatabasePool('scangate_test_remote_syncs');
afterAll(() => databases.dropAll());

remoteSyncStoreSuite('PostgreSQL', async () => {
  const database = await databases.acquire();
  const db = openDatabase({ driver: 'postgres', url: database.url, poolSize: 4 }, '.');
  return {
    open: async (clock) => {
      await migrateToLatest(db, 'postgres');
      return new SqlRemoteSyncStore(db, { clock });
    },
    dispose: async () => {
      await db.destroy();
      await databases.release(database);
    },
  };
});
