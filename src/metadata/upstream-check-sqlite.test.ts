import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { upstreamCheckStoreSuite } from './upstream-check-store.suite.js';
import { SqlUpstreamCheckStore } from './sql-upstream-check-store.js';

upstreamCheckStoreSuite('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scangate-checks-sqlite-'));
  const db = openDatabase({ driver: 'sqlite' }, dir);
  return {
    open: async () => {
      await migrateToLatest(db, 'sqlite');
      return new SqlUpstreamCheckStore(db);
    },
    dispose: async () => {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
