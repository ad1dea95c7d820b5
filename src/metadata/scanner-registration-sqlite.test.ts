import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { scannerRegistrationStoreSuite } from './scanner-registration-store.suite.js';
import { SqlScannerRegistrationStore } from './sql-scanner-registration-store.js';

scannerRegistrationStoreSuite('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scangate-scanner-registrations-'));
  const db = openDatabase({ driver: 'sqlite' }, dir);
  return {
    open: async (clock) => {
      await migrateToLatest(db, 'sqlite');
      return new SqlScannerRegistrationStore(db, { clock });
    },
    dispose: async () => {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
