import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './database.js';
import { fileStoreSuite } from './file-store.suite.js';
import { migrateToLatest } from './migrations/index.js';
import { SqlFileStore } from './sql-file-store.js';
import { SqlQuarantineStore } from './sql-quarantine-store.js';

fileStoreSuite('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scangate-files-sqlite-'));
  const db = openDatabase({ driver: 'sqlite' }, dir);
  return {
    open: async (clock) => {
      await migrateToLatest(db, 'sqlite');
      return { store: new SqlFileStore(db, { clock, walkPageSize: 2 }), quarantine: new SqlQuarantineStore(db) };
    },
    dispose: async () => {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
