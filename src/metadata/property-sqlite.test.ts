import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { propertyStoreSuite } from './property-store.suite.js';
import { SqlFileStore } from './sql-file-store.js';
import { SqlMetadataStore } from './sql-metadata-store.js';
import { SqlPropertyStore } from './sql-property-store.js';

propertyStoreSuite('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scangate-properties-sqlite-'));
  const db = openDatabase({ driver: 'sqlite' }, dir);
  return {
    open: async (clock) => {
      await migrateToLatest(db, 'sqlite');
      return { store: new SqlPropertyStore(db, { clock }), metadata: new SqlMetadataStore(db, { ownsDatabase: false }), files: new SqlFileStore(db, { clock }) };
    },
    dispose: async () => {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
