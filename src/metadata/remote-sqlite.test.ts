import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { remoteStoreSuite } from './remote-store.suite.js';
import { SqlRemoteStore } from './sql-remote-store.js';

remoteStoreSuite('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scangate-remote-sqlite-'));
  const db = openDatabase({ driver: 'sqlite' }, dir);
  return {
    open: async (clock) => {
      await migrateToLatest(db, 'sqlite');
      return new SqlRemoteStore(db, { clock });
    },
    dispose: async () => {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
