import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { scanCampaignStoreSuite } from './scan-campaign-store.suite.js';
import { scanScheduleStoreSuite } from './scan-schedule-store.suite.js';
import { SqlScanCampaignStore } from './sql-scan-campaign-store.js';
import { SqlScanScheduleStore } from './sql-scan-schedule-store.js';

async function sqliteHarness<T>(make: (db: ReturnType<typeof openDatabase>, clock: () => Date) => T) {
  const dir = await mkdtemp(join(tmpdir(), 'scangate-scan-campaign-sqlite-'));
  const db = openDatabase({ driver: 'sqlite' }, dir);
  return {
    open: async (clock: () => Date) => {
      await migrateToLatest(db, 'sqlite');
      return make(db, clock);
    },
    dispose: async () => {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

scanCampaignStoreSuite('SQLite', () => sqliteHarness((db, clock) => new SqlScanCampaignStore(db, { clock })));
scanScheduleStoreSuite('SQLite', () => sqliteHarness((db, clock) => new SqlScanScheduleStore(db, { clock })));
