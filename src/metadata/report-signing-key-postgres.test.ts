import { afterAll } from 'vitest';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { reportSigningKeyStoreSuite } from './report-signing-key-store.suite.js';
import { SqlReportSigningKeyStore } from './sql-report-signing-key-store.js';
import { ThrowawayDatabasePool } from './testing/pg-database.js';

// Unreachable PostgreSQL fails these tests with a message saying so; they never skip.
const databases = new ThrowawayDatabasePool('scangate_test_report_keys');
afterAll(() => databases.dropAll());

reportSigningKeyStoreSuite('PostgreSQL', async () => {
  const database = await databases.acquire();
  const db = openDatabase({ driver: 'postgres', url: database.url, poolSize: 2 }, '.');
  return {
    open: async (now) => {
      await migrateToLatest(db, 'postgres');
      return new SqlReportSigningKeyStore(db, { clock: now });
    },
    dispose: async () => {
      await db.destroy();
      await databases.release(database);
    },
  };
});
