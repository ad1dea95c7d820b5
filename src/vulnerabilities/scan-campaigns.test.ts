// Scan campaigns with a REAL Harbor scanner adapter (test/support/harbor-adapter.ts, which pulls
// each image back from scangate), real servers on one SQLite database:
// - images pushed before any adapter was configured are all scanned when one is (scan-all on
//   registration), once: a later start starts no second scan-all;
// - a campaign over everything reaches `finished` with its progress counted, scans an image held
//   by two repositories once, keeps at most maxInFlight of its scans queued at once (counted in
//   the job queue while it runs), and while it
//   runs the last completed reports keep serving the gate (no image blocked as unscanned);
// - a stop: nothing more queued, queued scans dropped;
// - `scangate rescan --repository R --wait` (the real binary) follows one to its end;
// - a restart mid-campaign: the server stops, a new one on the same database resumes the walk.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarborTestAdapter } from '../../test/support/harbor-adapter.js';
import { cleanEnv, runScangate } from '../../test/support/run-scangate.js';
import { configSchema, type ConfigInput } from '../config/schema.js';
import { basic } from '../http/auth/testing/auth-app.js';
import { pushImage } from '../http/auth/testing/push-image.js';
import { SqlJobQueue } from '../jobs/sql-job-queue.js';
import { startServer, type RunningServer } from '../main.js';
import { openDatabase } from '../metadata/database.js';
import { SqlScanCampaignStore } from '../metadata/sql-scan-campaign-store.js';
import { SqlVulnerabilityStore } from '../metadata/sql-vulnerability-store.js';
import type { CampaignRecord } from '../ports/scan-campaign-store.js';
import { adapterScanJobKind, type AdapterScanPayload } from './adapter-scan-job.js';
import { until } from './testing/adapter-server.js';

const logger = pino({ level: 'silent' });
let adapter: HarborTestAdapter;
let dataDir: string;
let server: RunningServer | undefined;
let admin: string;
let db: ReturnType<typeof openDatabase>;
let campaigns: SqlScanCampaignStore;
let queue: SqlJobQueue;
const digests: Record<string, string> = {};

const config = (more: ConfigInput = {}) =>
  configSchema.parse({
    listen: '127.0.0.1:0',
    data: dataDir,
    log: { level: 'silent' },
    storage: { driver: 'filesystem', fsync: false },
    scanning: { scanners: [{ name: 'pass', kind: 'command', command: ['sh', '-c', 'exit 0', 'sh', '{path}'] }], retry: { maxAttempts: 4, baseSeconds: 0.2, capSeconds: 1 } },
    ...more,
  });
const withAdapter = () => config({ vulnerabilityScanners: [{ name: 'marker', url: adapter.url }], vulnerabilityScanning: { onPush: false, timeoutSeconds: 30 } });

beforeAll(async () => {
  // Each report after one 302 with Refresh-After 1: a scan takes a second, long enough to act mid-campaign.
  adapter = await HarborTestAdapter.start({ refreshes: 1, refreshAfterSeconds: 1 });
  dataDir = await mkdtemp(join(tmpdir(), 'scangate-scan-campaigns-'));
  // Pushed while no adapter is configured.
  const before = await startServer(config(), logger);
  admin = basic('admin', (await readFile(join(dataDir, 'initial-admin-password'), 'utf8')).trim());
  digests['vulnerable'] = (await pushImage(before.app, admin, 'lib/app', 'v1', { layer: 'CVE-2099-0100 high' })).digest;
  // The same image in a second repository: one digest, scanned once per campaign.
  await pushImage(before.app, admin, 'other/app', 'v1', { layer: 'CVE-2099-0100 high' });
  digests['clean'] = (await pushImage(before.app, admin, 'lib/app', 'v2', { layer: 'nothing to see' })).digest;
  digests['tool'] = (await pushImage(before.app, admin, 'other/tool', 'v1', { layer: 'a clean tool' })).digest;
  await before.stop();
  db = openDatabase({ driver: 'sqlite' }, dataDir);
  campaigns = new SqlScanCampaignStore(db);
  queue = new SqlJobQueue(db);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await adapter?.stop().catch(() => {});
  await db?.destroy();
  await rm(dataDir, { recursive: true, force: true });
});

const campaignWhere = (what: string, id: string, test: (c: CampaignRecord) => boolean) =>
  until(what, async () => {
    const campaign = await campaigns.getCampaign(id);
    return campaign && test(campaign) ? campaign : undefined;
  });
const scanJobsOf = async (id: string) =>
  (await queue.list({ kind: adapterScanJobKind, limit: 1000 })).filter((job) => (job.payload as unknown as AdapterScanPayload).campaign === id && (job.state === 'queued' || job.state === 'running'));
const start = async (body: object) => {
  const res = await server!.app.inject({ method: 'POST', url: '/admin/vulnerability-scans', headers: { authorization: admin }, payload: body });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
};
const scannedDigests = (from: number) => adapter.scanRequests.slice(from).map((r) => r.body.artifact.digest);

describe('vulnerability scan campaigns through a Harbor scanner adapter', () => {
  it('scans everything stored when an adapter is first configured, and only the first time', async () => {
    server = await startServer(withAdapter(), logger);
    const [registration] = await until('the scan-all of the new adapter', async () => {
      const list = await campaigns.listCampaigns({});
      return list.length > 0 ? list : undefined;
    });
    expect(registration).toMatchObject({ trigger: 'registration', scanners: ['marker'], scope: { kind: 'all' } });
    const finished = await campaignWhere('the scan-all to finish', registration!.id, (c) => c.state === 'finished');
    expect(finished).toMatchObject({ total: 3, enqueued: 3, completed: 3, failed: 0 });
    expect(scannedDigests(0).sort()).toEqual(Object.values(digests).sort());
    expect(adapter.problems).toEqual([]);
  }, 60_000);

  it('runs a campaign to its end within its limit while the last reports keep serving the gate', async () => {
    const findings = new SqlVulnerabilityStore(db);
    await findings.putGate({ scope: 'lib', severity: 'high', blockUnscanned: true }, 'test');
    const pull = async (tag: string) => (await server!.app.inject({ method: 'GET', url: `/v2/lib/app/manifests/${tag}`, headers: { authorization: admin } })).statusCode;
    const before = adapter.scanRequests.length;
    const id = await start({ scope: 'all', maxInFlight: 2 });
    let most = 0;
    const pulls = new Set<string>();
    for (let campaign = await campaigns.getCampaign(id); campaign?.state === 'running'; campaign = await campaigns.getCampaign(id)) {
      most = Math.max(most, (await scanJobsOf(id)).length, campaign.enqueued - campaign.completed - campaign.failed);
      pulls.add(`v1 ${await pull('v1')}`).add(`v2 ${await pull('v2')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Three images, and never more than two of their scans queued or running at once.
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
    // Blocked for its CVE and served as clean, as before: never held back as unscanned.
    expect([...pulls].sort()).toEqual(['v1 403', 'v2 200']);
    expect(await campaigns.getCampaign(id)).toMatchObject({ state: 'finished', total: 3, completed: 3, failed: 0, cancelled: 0 });
    expect(scannedDigests(before).sort()).toEqual(Object.values(digests).sort());
    const progress = (await server!.app.inject({ method: 'GET', url: `/admin/vulnerability-scans/${id}`, headers: { authorization: admin } })).json();
    expect(progress).toMatchObject({ state: 'finished', progress: { total: 3, completed: 3, inFlight: 0, walked: true }, failures: [] });
    await findings.deleteGate('lib');
  }, 60_000);

  it('stops: nothing more is queued and its queued scans are dropped', async () => {
    const before = adapter.scanRequests.length;
    const id = await start({ scope: 'all', maxInFlight: 1 });
    await campaignWhere('a first queued scan', id, (c) => c.enqueued >= 1);
    const stop = await server!.app.inject({ method: 'POST', url: `/admin/vulnerability-scans/${id}/stop`, headers: { authorization: admin } });
    expect(stop.json()).toMatchObject({ state: 'stopped' });
    const stopped = stop.json().progress;
    expect(stopped.cancelled + stopped.completed).toBe(stopped.enqueued);
    await until('the dropped scan jobs to be gone', async () => ((await scanJobsOf(id)).length === 0 ? true : undefined));
    expect((await campaigns.getCampaign(id))?.enqueued).toBe(stopped.enqueued);
    // At most the scan that was running when it stopped reached the adapter.
    expect(scannedDigests(before).length).toBeLessThanOrEqual(stopped.enqueued);
    expect(stopped.enqueued).toBeLessThan(3);
  }, 60_000);

  it('scangate rescan --repository --wait follows a campaign to its end; --status and --stop show one', async () => {
    const flags = ['--data', dataDir, '--adapter', `marker=${adapter.url}`, '--log-level', 'silent'];
    const run = await runScangate(['rescan', ...flags, '--repository', 'lib/app', '--wait'], cleanEnv);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const id = /started vulnerability scan campaign (\S+) \(scope repository:lib\/app, scanners: every registered one\)/.exec(run.stdout)?.[1];
    expect(run.stdout).toContain(`campaign ${id} finished: scope repository:lib/app, 2 of 2 scanned, 0 failed, 0 cancelled, 0 in flight`);
    const status = await runScangate(['rescan', ...flags, '--status', id!], cleanEnv);
    expect(status.stdout).toMatch(new RegExp(`^campaign ${id} finished: .*\n  trigger manual, by cli, scanners: every registered one\n  started .*, ended .*\n$`));
    const unknown = await runScangate(['rescan', ...flags, '--stop', 'nope'], cleanEnv);
    expect([unknown.code, unknown.stderr]).toEqual([2, 'scangate: no vulnerability scan campaign nope\n']);
  }, 60_000);

  it('resumes a campaign after a restart on the same database', async () => {
    const before = adapter.scanRequests.length;
    const id = await start({ scope: 'all', maxInFlight: 1 });
    await campaignWhere('a first completed scan', id, (c) => c.completed >= 1);
    await server!.stop();
    server = undefined;
    const halfway = await campaigns.getCampaign(id);
    expect(halfway).toMatchObject({ state: 'running' });
    expect(halfway!.completed).toBeLessThan(3);
    server = await startServer(withAdapter(), logger);
    const finished = await campaignWhere('the resumed campaign to finish', id, (c) => c.state !== 'running');
    expect(finished).toMatchObject({ state: 'finished', total: 3, completed: 3, failed: 0 });
    expect(new Set(scannedDigests(before))).toEqual(new Set(Object.values(digests)));
    // The adapter was seen before: no second scan-all.
    expect(await campaigns.listCampaigns({})).toHaveLength(5);
    expect((await campaigns.listCampaigns({})).filter((c) => c.trigger === 'registration')).toHaveLength(1);
  }, 60_000);
});
