import { afterAll } from 'vitest';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { scannerRegistrationStoreSuite } from './scanner-registration-store.suite.js';
import { SqlScannerRegistrationStore } from './sql-scanner-registration-store.js';
import { ThrowawayDatabasePool } from './testing/pg-database.js';

// Unreachable PostgreSQL fails these tests with a message saying so; they never skip.
const databases = new ThrowawayDatabasePool('scangate_test_scanner_reg');
afterAll(() => databases.dropAll());

scannerRegistrationStoreSuite('PostgreSQL', async () => {
  const database = await databases.acquire();
  const db = openDatabase({ driver: 'postgres', url: database.url, poolSize: 4 }, '.');
  return {
    open: async (clock) => {
      await migrateToLatest(db, 'postgres');
      return new SqlScannerRegistrationStore(db, { clock });
    },
    dispose: async () => {
      await db.destroy();
      await databases.release(database);
    },
  };
});
