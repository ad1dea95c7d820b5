import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { webhookStoreSuite } from './webhook-store.suite.js';
import { SqlWebhookStore } from './sql-webhook-store.js';

webhookStoreSuite('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scangate-webhook-sqlite-'));
  const db = openDatabase({ driver: 'sqlite' }, dir);
  return {
    open: async (clock) => {
      await migrateToLatest(db, 'sqlite');
      return new SqlWebhookStore(db, { clock });
    },
    dispose: async () => {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
