import { afterAll } from 'vitest';
import { openDatabase } from '../metadata/database.js';
import { migrateToLatest } from '../metadata/migrations/index.js';
import { ThrowawayDatabasePool } from '../metadata/testing/pg-database.js';
import { jobQueueSuite } from './job-queue.suite.js';
import { SqlJobQueue } from './sql-job-queue.js';
import { claimerProcessesTest } from './testing/claimer-processes.js';

// Unreachable PostgreSQL fails these tests with a message saying so; they never skip.
const databases = new ThrowawayDatabasePool('scangate_test_jobs');
afterAll(() => databases.dropAll());

jobQueueSuite('PostgreSQL', async () => {
  const database = await databases.acquire();
  const db = openDatabase({ driver: 'postgres', url: database.url, poolSize: 8 }, '.');
  return {
    open: async (options) => {
      await migrateToLatest(db, 'postgres');
      return new SqlJobQueue(db, options);
    },
    dispose: async () => {
      await db.destroy();
      await databases.release(database);
    },
  };
});

claimerProcessesTest('PostgreSQL', async () => {
  const database = await databases.acquire();
  return { database: { driver: 'postgres', url: database.url, poolSize: 4 }, dispose: () => databases.release(database) };
});
