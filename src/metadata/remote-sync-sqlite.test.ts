import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { remoteSyncStoreSuite } from './remote-sync-store.suite.js';
import { SqlRemoteSyncStore } from './sql-remote-sync-store.js';

remoteSyncStoreSuite('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scangate-remote-syncs-sqlite-'));
  const db = openDatabase({ driver: 'sqlite' }, dir);
  return {
    open: async (clock) => {
      await migrateToLatest(db, 'sqlite');
      return new SqlRemoteSyncStore(db, { clock });
    },
    dispose: async () => {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
