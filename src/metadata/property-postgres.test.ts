import { afterAll } from 'vitest';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { propertyStoreSuite } from './property-store.suite.js';
import { SqlFileStore } from './sql-file-store.js';
import { SqlMetadataStore } from './sql-metadata-store.js';
import { SqlPropertyStore } from './sql-property-store.js';
import { ThrowawayDatabasePool } from './testing/pg-database.js';

// Unreachable PostgreSQL fails these tests with a message saying so; they never skip.
const databases = new ThrowawayDatabasePool('scangate_test_properties');
afterAll(() => databases.dropAll());

propertyStoreSuite('PostgreSQL', async () => {
  const database = await databases.acquire();
  const db = openDatabase({ driver: 'postgres', url: database.url, poolSize: 8 }, '.');
  return {
    open: async (clock) => {
      await migrateToLatest(db, 'postgres');
      return { store: new SqlPropertyStore(db, { clock }), metadata: new SqlMetadataStore(db, { ownsDatabase: false }), files: new SqlFileStore(db, { clock }) };
    },
    dispose: async () => {
      await db.destroy();
      await databases.release(database);
    },
  };
});
