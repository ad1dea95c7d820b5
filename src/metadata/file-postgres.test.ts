import { afterAll } from 'vitest';
import { openDatabase } from './database.js';
import { fileStoreSuite } from './file-store.suite.js';
import { migrateToLatest } from './migrations/index.js';
import { SqlFileStore } from './sql-file-store.js';
import { SqlQuarantineStore } from './sql-quarantine-store.js';
import { ThrowawayDatabasePool } from './testing/pg-database.js';

// Unreachable PostgreSQL fails these tests with a message saying so; they never skip.
const databases = new ThrowawayDatabasePool('scangate_test_files');
afterAll(() => databases.dropAll());

fileStoreSuite('PostgreSQL', async () => {
  const database = await databases.acquire();
  const db = openDatabase({ driver: 'postgres', url: database.url, poolSize: 8 }, '.');
  return {
    open: async (clock) => {
      await migrateToLatest(db, 'postgres');
      return { store: new SqlFileStore(db, { clock, walkPageSize: 2 }), quarantine: new SqlQuarantineStore(db) };
    },
    dispose: async () => {
      await db.destroy();
      await databases.release(database);
    },
  };
});
