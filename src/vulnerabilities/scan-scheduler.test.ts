// Cron schedules of scan campaigns with two processes on one PostgreSQL database: two
// schedulers, each with its own connection pool and stores, polled at the same moments of a
// shared test clock. A tick starts exactly one campaign whoever polls first (and a restarted
// process polling it again starts none); a tick while the schedule's campaign still runs is
// skipped and recorded; a schedule made through the API ticks too, and disabling it stops its
// running campaign.
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { SqlJobQueue } from '../jobs/sql-job-queue.js';
import { TestClock } from '../jobs/testing/test-clock.js';
import { openDatabase } from '../metadata/database.js';
import { migrateToLatest } from '../metadata/migrations/index.js';
import { SqlScanCampaignStore } from '../metadata/sql-scan-campaign-store.js';
import { SqlScanScheduleStore } from '../metadata/sql-scan-schedule-store.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../metadata/testing/pg-database.js';
import { createCampaignServices, type CampaignServices } from './campaign-services.js';
import { campaignStepJobKind } from './scan-campaigns.js';
import { ScanScheduler } from './scan-scheduler.js';

const logger = pino({ level: 'silent' });
const clock = new TestClock(Date.parse('2030-01-01T00:00:00.500Z'));
const config = configSchema.parse({
  vulnerabilityScanners: [{ name: 'trivy', url: 'http://127.0.0.1:9' }],
  vulnerabilityScanning: { schedules: [{ name: 'minutely', cron: '* * * * *', scope: 'namespace:lib' }] },
});
let database: ThrowawayDatabase;
const processes: { db: ReturnType<typeof openDatabase>; services: CampaignServices; scheduler: ScanScheduler; queue: SqlJobQueue }[] = [];

function startProcess() {
  const db = openDatabase({ driver: 'postgres', url: database.url, poolSize: 3 }, '.');
  const queue = new SqlJobQueue(db, { clock: clock.now });
  const scanCampaigns = new SqlScanCampaignStore(db, { clock: clock.now });
  const scanSchedules = new SqlScanScheduleStore(db, { clock: clock.now });
  const services = createCampaignServices(config, { scanCampaigns, scanSchedules, queue }, { clock: clock.now });
  const scheduler = new ScanScheduler({ schedules: services.schedules, campaigns: services.campaigns, logger, clock: clock.now });
  const process = { db, services, scheduler, queue };
  processes.push(process);
  return process;
}

beforeAll(async () => {
  database = await createThrowawayDatabase('scangate_test_scan_scheduler');
  const db = openDatabase({ driver: 'postgres', url: database.url, poolSize: 1 }, '.');
  await migrateToLatest(db, 'postgres');
  await db.destroy();
});

afterAll(async () => {
  await Promise.all(processes.map((p) => p.db.destroy()));
  await database?.drop();
});

it('starts one campaign per tick with two schedulers on one database, skips a tick while it runs, and stops with its schedule', async () => {
  const a = startProcess();
  const b = startProcess();
  const pollBoth = async () => (await Promise.all([a.scheduler.poll(), b.scheduler.poll()])).flat();

  const first = await pollBoth();
  expect(first.map((d) => d.decision.outcome).sort()).toEqual(['decided', 'started']);
  expect(first.every((d) => d.tickAt.toISOString() === '2030-01-01T00:00:00.000Z')).toBe(true);
  const campaigns = await a.services.campaigns.list({ schedule: 'minutely' });
  expect(campaigns).toHaveLength(1);
  expect(campaigns[0]).toMatchObject({ trigger: 'schedule', createdBy: 'scheduler', scope: { kind: 'namespace', namespace: 'lib' }, state: 'running' });
  expect((await a.queue.list({ kind: campaignStepJobKind })).filter((j) => j.state === 'queued')).toHaveLength(1);
  // Polled again in the same minute, or by a process started since: no second campaign.
  expect(await pollBoth()).toEqual([]);
  const restarted = startProcess();
  expect((await restarted.scheduler.poll()).map((d) => d.decision.outcome)).toEqual(['decided']);

  // The next minute: the campaign still runs, so the tick is skipped, once, and recorded.
  clock.advance(60_000);
  const second = await pollBoth();
  expect(second.map((d) => d.decision.outcome).sort()).toEqual(['decided', 'skipped']);
  const view = await b.services.schedules.get('minutely');
  expect(view).toMatchObject({ source: 'config', enabled: true, nextTick: '2030-01-01T00:02:00.000Z' });
  expect(view.ticks).toEqual([
    { at: '2030-01-01T00:01:00.000Z', outcome: 'skipped', campaign: campaigns[0]!.id, reason: `campaign ${campaigns[0]!.id} of the previous tick is still running` },
    { at: '2030-01-01T00:00:00.000Z', outcome: 'started', campaign: campaigns[0]!.id, reason: null },
  ]);

  // A schedule made through the API (every second) ticks in every process, once.
  await a.services.schedules.create({ name: 'app', cron: '* * * * * *', scope: 'repository:lib/app', scanners: ['trivy'], enabled: true }, 'admin');
  clock.advance(1000);
  const api = (await pollBoth()).filter((d) => d.schedule === 'app');
  expect(api.map((d) => d.decision.outcome).sort()).toEqual(['decided', 'started']);
  const [appCampaign] = await a.services.campaigns.list({ schedule: 'app' });
  expect(appCampaign).toMatchObject({ scope: { kind: 'repository', repository: 'lib/app' }, scanners: ['trivy'], state: 'running' });

  // Disabled: its running campaign stops and no tick starts another.
  const { view: disabled } = await b.services.schedules.put({ name: 'app', cron: '* * * * * *', scope: 'repository:lib/app', scanners: ['trivy'], enabled: false }, 'admin');
  expect(disabled).toMatchObject({ enabled: false, nextTick: null, source: 'api' });
  expect((await a.services.campaigns.get(appCampaign!.id)).state).toBe('stopped');
  clock.advance(1000);
  expect((await pollBoth()).filter((d) => d.schedule === 'app')).toEqual([]);
  expect(await a.services.campaigns.list({ schedule: 'app' })).toHaveLength(1);
}, 30_000);
