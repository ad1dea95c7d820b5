import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { quarantineStoreSuite } from './quarantine-store.suite.js';
import { SqlMetadataStore } from './sql-metadata-store.js';
import { SqlQuarantineStore } from './sql-quarantine-store.js';

quarantineStoreSuite('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scangate-quarantine-sqlite-'));
  // One connection per process on SQLite (see SqlMetadataStoreOptions.ownsDatabase).
  const db = openDatabase({ driver: 'sqlite' }, dir);
  return {
    open: async (clock) => {
      await migrateToLatest(db, 'sqlite');
      return { store: new SqlQuarantineStore(db, { clock }), metadata: new SqlMetadataStore(db, { ownsDatabase: false }) };
    },
    dispose: async () => {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
