// The steps of a scan campaign over real SQLite stores and the real job queue, time moved by a
// test clock, each step job claimed and run here by hand: which scans a campaign queues (images
// of its scope once per digest and scanner), its limits (in flight, per minute), a stop, the
// settling of scans whose jobs ended without reporting, and scan-all on registration.
// Scans are settled by hand here; src/vulnerabilities/scan-campaigns.test.ts runs real ones.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Digest } from '../domain/digest.js';
import { SqlJobQueue } from '../jobs/sql-job-queue.js';
import { TestClock } from '../jobs/testing/test-clock.js';
import { openDatabase } from '../metadata/database.js';
import { SqlMetadataStore } from '../metadata/sql-metadata-store.js';
import { SqlScanCampaignStore } from '../metadata/sql-scan-campaign-store.js';
import { digestOf, newManifest } from '../metadata/testing/fixtures.js';
import type { ClaimedJob } from '../ports/job-queue.js';
import { adapterScanJobHandler, adapterScanJobKind, type AdapterScanJobDeps, type AdapterScanPayload } from './adapter-scan-job.js';
import { campaignStepHandler } from './campaign-walk.js';
import { campaignStepJobKind, ScanCampaigns, startRegistrationCampaign } from './scan-campaigns.js';

const logger = pino({ level: 'silent' });
const config = 'application/vnd.oci.image.config.v1+json';
let dir: string;
let db: ReturnType<typeof openDatabase>;
let clock: TestClock;
let queue: SqlJobQueue;
let store: SqlScanCampaignStore;
let metadata: SqlMetadataStore;
let campaigns: ScanCampaigns;
let step: (job: ClaimedJob) => Promise<void>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scangate-campaign-walk-'));
  db = openDatabase({ driver: 'sqlite' }, dir);
  metadata = new SqlMetadataStore(db, { ownsDatabase: false });
  await metadata.migrate();
  clock = new TestClock();
  queue = new SqlJobQueue(db, { clock: clock.now });
  store = new SqlScanCampaignStore(db, { clock: clock.now });
  const known = () => ['trivy', 'clair'];
  campaigns = new ScanCampaigns({ store, queue, knownScanners: known, defaults: { maxInFlight: 4 } });
  step = campaignStepHandler({ store, metadata, queue, scannersFor: known, knownScanners: known, scanMaxAttempts: 3, logger, clock: clock.now, pageSize: 2, idleMs: 1000, stallMs: 60_000 });
});

afterEach(async () => {
  await db.destroy();
  await rm(dir, { recursive: true, force: true });
});

async function putImages(images: [repository: string, label: string][]): Promise<void> {
  for (const [repository, label] of images) await metadata.putManifest(newManifest(repository, label, { artifactType: config }));
}

/** Runs the step jobs due now, until none is; moves the clock past each pause. Returns the steps run. */
async function runSteps(options: { pass?: boolean } = {}): Promise<number> {
  let ran = 0;
  for (;;) {
    const [job] = await queue.claim({ kinds: [campaignStepJobKind], owner: 'test', leaseMs: 60_000, limit: 1 });
    if (!job) return ran;
    await step(job);
    await queue.complete(job);
    ran += 1;
    // A step held by the limits queues the next after a pause: one pass runs it, not the next.
    if (options.pass === false || ran > 50) return ran;
  }
}

const unfinishedScans = async () => (await queue.list({ kind: adapterScanJobKind, limit: 1000 })).filter((j) => j.state === 'queued' || j.state === 'running');
const payloadOf = (job: { payload: unknown }) => job.payload as AdapterScanPayload;

/** Claims up to `n` scan jobs and reports them to their campaign as a scan job would. */
async function scan(n: number): Promise<ClaimedJob[]> {
  const jobs = await queue.claim({ kinds: [adapterScanJobKind], owner: 'scanner', leaseMs: 60_000, limit: n });
  for (const job of jobs) {
    const p = payloadOf(job);
    await store.finishItem({ campaign: p.campaign!, scanner: p.scanner, digest: p.digest }, { state: 'completed' });
    await queue.complete(job);
  }
  return jobs;
}

describe('a scan campaign, step by step', () => {
  it('queues each image of its scope once per scanner, never more than maxInFlight at once, and finishes', async () => {
    await putImages([
      ['lib/a', 'one'],
      ['lib/a', 'two'],
      ['lib/b', 'one'],
      ['lib/b', 'three'],
      ['other/c', 'four'],
    ]);
    await metadata.putManifest(newManifest('lib/a', 'signature', { artifactType: config, subject: digestOf('one') }));
    const campaign = await campaigns.start({ scope: { kind: 'namespace', namespace: 'lib' }, trigger: 'manual', createdBy: 'admin' });
    const queued: AdapterScanPayload[] = [];
    let most = 0;
    for (let round = 0; round < 20 && (await store.getCampaign(campaign.id))?.state === 'running'; round++) {
      await runSteps({ pass: false });
      const unfinished = await unfinishedScans();
      most = Math.max(most, unfinished.length);
      clock.advance(1000);
      queued.push(...(await scan(1)).map(payloadOf));
    }
    const finished = await store.getCampaign(campaign.id);
    expect(finished).toMatchObject({ state: 'finished', total: 6, enqueued: 6, completed: 6, failed: 0 });
    expect(most).toBe(4);
    expect(queued.map((p) => `${p.scanner} ${p.repository}@${p.digest}`).sort()).toEqual(
      [
        ['clair', 'lib/a', 'one'],
        ['clair', 'lib/a', 'two'],
        ['clair', 'lib/b', 'three'],
        ['trivy', 'lib/a', 'one'],
        ['trivy', 'lib/a', 'two'],
        ['trivy', 'lib/b', 'three'],
      ]
        .map(([scanner, repository, label]) => `${scanner} ${repository}@${digestOf(label!)}`)
        .sort(),
    );
  });

  it('queues at most perMinute scans in any minute, only by the scanners it names', async () => {
    await putImages(['a', 'b', 'c', 'd', 'e'].map((label): [string, string] => ['lib/app', label]));
    const campaign = await campaigns.start({ scope: { kind: 'repository', repository: 'lib/app' }, scanners: ['clair'], trigger: 'manual', createdBy: 'admin', limits: { maxInFlight: 100, perMinute: 2 } });
    await runSteps({ pass: false });
    expect(await store.getCampaign(campaign.id)).toMatchObject({ enqueued: 2, total: 5 });
    await scan(2);
    clock.advance(30_000);
    await runSteps({ pass: false });
    expect((await store.getCampaign(campaign.id))?.enqueued).toBe(2);
    clock.advance(31_000);
    await runSteps({ pass: false });
    expect((await store.getCampaign(campaign.id))?.enqueued).toBe(4);
    expect((await unfinishedScans()).every((job) => payloadOf(job).scanner === 'clair')).toBe(true);
  });

  it('stops: nothing more is queued, and its queued scans are dropped without scanning', async () => {
    await putImages(['a', 'b', 'c'].map((label): [string, string] => ['lib/app', label]));
    const campaign = await campaigns.start({ scope: { kind: 'all' }, scanners: ['trivy'], trigger: 'manual', createdBy: 'admin', limits: { maxInFlight: 2 } });
    await runSteps({ pass: false });
    expect(await campaigns.stop(campaign.id)).toMatchObject({ state: 'stopped', enqueued: 2, cancelled: 2 });
    clock.advance(10_000);
    expect(await runSteps()).toBe(1);
    expect((await store.getCampaign(campaign.id))?.enqueued).toBe(2);
    // A scan job of the stopped campaign, claimed by a worker: it never reaches an adapter.
    const scanned: string[] = [];
    const client = { scan: async () => void scanned.push('scanned') };
    const handler = adapterScanJobHandler({ campaigns: store, clients: new Map([['trivy', client]]), logger } as unknown as AdapterScanJobDeps);
    const jobs = await queue.claim({ kinds: [adapterScanJobKind], owner: 'scanner', leaseMs: 60_000, limit: 10 });
    expect(jobs).toHaveLength(2);
    for (const job of jobs) await handler(job, new AbortController().signal);
    expect(scanned).toEqual([]);
  });

  it('settles scans whose jobs ended without reporting once it stalls, and queues a scan whose job was never queued', async () => {
    await putImages([
      ['lib/app', 'a'],
      ['lib/app', 'b'],
    ]);
    const campaign = await campaigns.start({ scope: { kind: 'all' }, scanners: ['trivy'], trigger: 'manual', createdBy: 'admin' });
    await runSteps({ pass: false });
    // A worker died holding a's scan on its last attempt: the job is dead, the campaign never heard.
    const [job] = await queue.claim({ kinds: [adapterScanJobKind], owner: 'scanner', leaseMs: 60_000, limit: 1 });
    await queue.fail(job!, { message: 'lease expired on attempt 3', retryable: false });
    // A step stopped between recording an item and queueing its job.
    const orphan = { campaign: campaign.id, scanner: 'trivy', digest: digestOf('orphan') as Digest };
    expect(await store.addItem({ ...orphan, repository: 'lib/app' })).toBe('added');
    clock.advance(61_000);
    await runSteps({ pass: false });
    const settled = await store.getCampaign(campaign.id);
    expect(settled).toMatchObject({ failed: 1, enqueued: 3 });
    expect(await store.listItems(campaign.id, 'failed', 10)).toMatchObject([{ digest: payloadOf(job!).digest, error: 'lease expired on attempt 3' }]);
    expect((await store.getItem(orphan))?.jobId).not.toBeNull();
    expect((await unfinishedScans()).map((j) => payloadOf(j).digest).sort()).toEqual([payloadOf(job!).digest === digestOf('a') ? digestOf('b') : digestOf('a'), digestOf('orphan')].sort());
  });

  it('scans everything by a newly registered scanner (even one the registry does not list yet); a running campaign is resumed once', async () => {
    const campaign = await startRegistrationCampaign(campaigns, 'grype');
    expect(campaign).toMatchObject({ trigger: 'registration', scanners: ['grype'], scope: { kind: 'all' }, createdBy: 'scangate' });
    expect(await campaigns.resumeRunning()).toBe(1);
    expect((await queue.list({ kind: campaignStepJobKind })).filter((j) => j.state === 'queued')).toHaveLength(1);
    await runSteps();
    expect(await store.getCampaign(campaign.id)).toMatchObject({ state: 'finished', total: 0 });
  });

  it('refuses scanners that are not registered', async () => {
    await expect(campaigns.start({ scope: { kind: 'all' }, scanners: ['nope'], trigger: 'manual', createdBy: 'admin' })).rejects.toThrow(/no vulnerability scanner is registered as nope/);
    const none = new ScanCampaigns({ store, queue, knownScanners: () => [], defaults: { maxInFlight: 1 } });
    await expect(none.start({ scope: { kind: 'all' }, trigger: 'manual', createdBy: 'admin' })).rejects.toThrow(/no vulnerability scanner is registered/);
  });
});
