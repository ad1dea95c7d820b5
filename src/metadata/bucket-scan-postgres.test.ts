import { afterAll } from 'vitest';
import { bucketScanStoreSuite } from './bucket-scan-store.suite.js';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { SqlBucketScanStore } from './sql-bucket-scan-store.js';
import { ThrowawayDatabasePool } from './testing/pg-database.js';

// Unreachable PostgreSQL fails these tests with a message saying so; they never skip.
const databases = new ThrowawayDatabasePool('scangate_test_bucket');
afterAll(() => databases.dropAll());

bucketScanStoreSuite('PostgreSQL', async () => {
  const database = await databases.acquire();
  const db = openDatabase({ driver: 'postgres', url: database.url, poolSize: 4 }, '.');
  // A second pool: concurrent claims from what could be two processes.
  const other = openDatabase({ driver: 'postgres', url: database.url, poolSize: 4 }, '.');
  return {
    open: async (clock) => {
      await migrateToLatest(db, 'postgres');
      return { store: new SqlBucketScanStore(db, { clock }), second: new SqlBucketScanStore(other, { clock }) };
    },
    dispose: async () => {
      await db.destroy();
      await other.destroy();
      await databases.release(database);
    },
  };
});
