import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bucketScanStoreSuite } from './bucket-scan-store.suite.js';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { SqlBucketScanStore } from './sql-bucket-scan-store.js';

bucketScanStoreSuite('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scangate-bucket-sqlite-'));
  const db = openDatabase({ driver: 'sqlite' }, dir);
  return {
    open: async (clock) => {
      await migrateToLatest(db, 'sqlite');
      const store = new SqlBucketScanStore(db, { clock });
      // One connection per process on SQLite (compose.ts): a second would block the first.
      return { store, second: store };
    },
    dispose: async () => {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
