import { afterAll } from 'vitest';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { webhookStoreSuite } from './webhook-store.suite.js';
import { SqlWebhookStore } from './sql-webhook-store.js';
import { ThrowawayDatabasePool } from './testing/pg-database.js';

// Unreachable PostgreSQL fails these tests with a message saying so; they never skip.
const databases = new ThrowawayDatabasePool('scangate_test_webhook');
afterAll(() => databases.dropAll());

webhookStoreSuite('PostgreSQL', async () => {
  const database = await databases.acquire();
  const db = openDatabase({ driver: 'postgres', url: database.url, poolSize: 4 }, '.');
  return {
    open: async (clock) => {
      await migrateToLatest(db, 'postgres');
      return new SqlWebhookStore(db, { clock });
    },
    dispose: async () => {
      await db.destroy();
      await databases.release(database);
    },
  };
});
