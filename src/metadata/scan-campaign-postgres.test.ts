import { afterAll } from 'vitest';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { scanCampaignStoreSuite } from './scan-campaign-store.suite.js';
import { scanScheduleStoreSuite } from './scan-schedule-store.suite.js';
import { SqlScanCampaignStore } from './sql-scan-campaign-store.js';
import { SqlScanScheduleStore } from './sql-scan-schedule-store.js';
import { ThrowawayDatabasePool } from './testing/pg-database.js';

// Unreachable PostgreSQL fails these tests with a message saying so; they never skip.
const databases = new ThrowawayDatabasePool('scangate_test_scan_campaigns');
afterAll(() => databases.dropAll());

async function postgresHarness<T>(make: (db: ReturnType<typeof openDatabase>, clock: () => Date) => T) {
  const database = await databases.acquire();
  const db = openDatabase({ driver: 'postgres', url: database.url, poolSize: 4 }, '.');
  return {
    open: async (clock: () => Date) => {
      await migrateToLatest(db, 'postgres');
      return make(db, clock);
    },
    dispose: async () => {
      await db.destroy();
      await databases.release(database);
    },
  };
}

scanCampaignStoreSuite('PostgreSQL', () => postgresHarness((db, clock) => new SqlScanCampaignStore(db, { clock })));
scanScheduleStoreSuite('PostgreSQL', () => postgresHarness((db, clock) => new SqlScanScheduleStore(db, { clock })));
