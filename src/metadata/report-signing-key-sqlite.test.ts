import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { reportSigningKeyStoreSuite } from './report-signing-key-store.suite.js';
import { SqlReportSigningKeyStore } from './sql-report-signing-key-store.js';

reportSigningKeyStoreSuite('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scangate-report-keys-sqlite-'));
  const db = openDatabase({ driver: 'sqlite' }, dir);
  return {
    open: async (now) => {
      await migrateToLatest(db, 'sqlite');
      return new SqlReportSigningKeyStore(db, { clock: now });
    },
    dispose: async () => {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
