import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../metadata/database.js';
import { migrateToLatest } from '../metadata/migrations/index.js';
import { jobQueueSuite } from './job-queue.suite.js';
import { SqlJobQueue } from './sql-job-queue.js';
import { claimerProcessesTest } from './testing/claimer-processes.js';

jobQueueSuite('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scangate-jobs-sqlite-'));
  // One connection per process on SQLite (see SqlMetadataStoreOptions.ownsDatabase).
  const db = openDatabase({ driver: 'sqlite' }, dir);
  return {
    open: async (options) => {
      await migrateToLatest(db, 'sqlite');
      return new SqlJobQueue(db, options);
    },
    dispose: async () => {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

claimerProcessesTest('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scangate-jobs-sqlite-processes-'));
  return { database: { driver: 'sqlite', path: join(dir, 'scangate.db') }, dispose: () => rm(dir, { recursive: true, force: true }) };
});
