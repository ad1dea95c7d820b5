// The ScanCampaignStore conformance suite: every adapter's test file hands it a factory and runs
// it unchanged. Each test gets an empty, migrated database and a clock that moves when told.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../jobs/testing/test-clock.js';
import type { CampaignItemKey, NewCampaign, ScanCampaignStore } from '../ports/scan-campaign-store.js';
import { digestOf } from './testing/fixtures.js';

export interface ScanCampaignStoreHarness {
  /** A store over this harness's migrated database, stamping rows with `clock`. Once per test. */
  open(clock: () => Date): Promise<ScanCampaignStore>;
  /** Closes the store's connections and drops or empties the database. */
  dispose(): Promise<void>;
}

export type ScanCampaignStoreFactory = () => Promise<ScanCampaignStoreHarness>;

const campaign = (extra: Partial<NewCampaign> = {}): NewCampaign => ({
  scope: { kind: 'all' },
  scanners: null,
  trigger: 'manual',
  schedule: null,
  createdBy: 'admin',
  limits: { maxInFlight: 10, perMinute: null },
  ...extra,
});

export function scanCampaignStoreSuite(name: string, factory: ScanCampaignStoreFactory): void {
  describe(`ScanCampaignStore: ${name}`, () => {
    let harness: ScanCampaignStoreHarness;
    let clock: TestClock;
    let store: ScanCampaignStore;

    beforeEach(async () => {
      harness = await factory();
      clock = new TestClock();
      store = await harness.open(clock.now);
    });

    afterEach(() => harness.dispose());

    const item = (id: string, label: string, scanner = 'trivy'): CampaignItemKey => ({ campaign: id, scanner, digest: digestOf(label) });
    const add = (id: string, label: string, scanner = 'trivy', repository = 'lib/app') => store.addItem({ ...item(id, label, scanner), repository });

    it('creates running campaigns, gets and lists them newest first, by state and schedule', async () => {
      const first = await store.createCampaign(campaign({ scope: { kind: 'namespace', namespace: 'lib' }, scanners: ['trivy'], limits: { maxInFlight: 3, perMinute: 60 } }));
      expect(first).toEqual({
        id: first.id,
        scope: { kind: 'namespace', namespace: 'lib' },
        scanners: ['trivy'],
        trigger: 'manual',
        schedule: null,
        createdBy: 'admin',
        limits: { maxInFlight: 3, perMinute: 60 },
        state: 'running',
        error: null,
        total: null,
        enqueued: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
        cursor: null,
        walkDone: false,
        step: 0,
        startedAt: clock.now(),
        finishedAt: null,
        progressedAt: clock.now(),
      });
      clock.advance(1000);
      const second = await store.createCampaign(campaign({ trigger: 'schedule', schedule: 'nightly', scope: { kind: 'repository', repository: 'lib/app' } }));
      expect(await store.getCampaign(first.id)).toEqual(first);
      expect(await store.getCampaign('nope')).toBeUndefined();
      expect((await store.listCampaigns()).map((c) => c.id)).toEqual([second.id, first.id]);
      expect((await store.listCampaigns({ schedule: 'nightly' })).map((c) => c.id)).toEqual([second.id]);
      expect((await store.listCampaigns({ limit: 1 })).map((c) => c.id)).toEqual([second.id]);
      await store.stopCampaign(second.id);
      expect((await store.listCampaigns({ state: 'running' })).map((c) => c.id)).toEqual([first.id]);
    });

    it('adds an item per (scanner, digest) once, counting it as enqueued', async () => {
      const c = await store.createCampaign(campaign());
      expect(await add(c.id, 'a')).toBe('added');
      expect(await add(c.id, 'a', 'trivy', 'other/app')).toBe('exists');
      expect(await add(c.id, 'a', 'clair')).toBe('added');
      clock.advance(30_000);
      expect(await add(c.id, 'b')).toBe('added');
      expect((await store.getCampaign(c.id))?.enqueued).toBe(3);
      await store.setItemJob(item(c.id, 'a'), 'job-1');
      expect(await store.getItem(item(c.id, 'a'))).toEqual({ ...item(c.id, 'a'), repository: 'lib/app', state: 'queued', jobId: 'job-1', error: null, createdAt: new Date(clock.now().getTime() - 30_000) });
      expect(await store.getItem(item(c.id, 'zzz'))).toBeUndefined();
      expect(await store.countItemsSince(c.id, new Date(clock.now().getTime() - 10_000))).toBe(1);
      expect(await store.countItemsSince(c.id, new Date(clock.now().getTime() - 60_000))).toBe(3);
      expect((await store.listItems(c.id, 'queued', 2)).map((i) => [i.scanner, i.digest])).toEqual([
        ['clair', digestOf('a')],
        ['trivy', digestOf('a')],
      ]);
    });

    it('saves a step of the walk once, and finishes the campaign with its last scan', async () => {
      const c = await store.createCampaign(campaign());
      await store.setTotal(c.id, 5);
      await add(c.id, 'a');
      await add(c.id, 'b');
      const cursor = { repository: 'lib/app', digest: digestOf('b') };
      expect(await store.advanceWalk(c.id, 0, { cursor, walkDone: false })).toBe(true);
      expect(await store.advanceWalk(c.id, 0, { cursor: null, walkDone: true })).toBe(false);
      expect(await store.getCampaign(c.id)).toMatchObject({ step: 1, cursor, walkDone: false, total: 5 });
      clock.advance(5000);
      expect(await store.finishItem(item(c.id, 'a'), { state: 'completed' })).toEqual({ counted: true, campaignFinished: false });
      expect(await store.finishItem(item(c.id, 'a'), { state: 'failed', error: 'again' })).toEqual({ counted: false, campaignFinished: false });
      expect((await store.getCampaign(c.id))?.progressedAt).toEqual(clock.now());
      expect(await store.finishIfDone(c.id)).toBe(false);
      // The walk ends: the total becomes what was queued.
      expect(await store.advanceWalk(c.id, 1, { cursor, walkDone: true })).toBe(true);
      expect(await store.getCampaign(c.id)).toMatchObject({ total: 2, walkDone: true, state: 'running' });
      expect(await store.finishItem(item(c.id, 'b'), { state: 'failed', error: 'adapter said 422' })).toEqual({ counted: true, campaignFinished: true });
      const finished = await store.getCampaign(c.id);
      expect(finished).toMatchObject({ state: 'finished', enqueued: 2, completed: 1, failed: 1, finishedAt: clock.now() });
      // Failed scans stay listed; completed ones are forgotten.
      expect(await store.listItems(c.id, 'completed', 10)).toEqual([]);
      expect(await store.listItems(c.id, 'failed', 10)).toMatchObject([{ digest: digestOf('b'), error: 'adapter said 422' }]);
      expect(await store.advanceWalk(c.id, 2, { cursor: null, walkDone: true })).toBe(false);
    });

    it('finishes a walked campaign with nothing in flight', async () => {
      const c = await store.createCampaign(campaign());
      await store.advanceWalk(c.id, 0, { cursor: null, walkDone: true });
      expect(await store.finishIfDone(c.id)).toBe(true);
      expect(await store.getCampaign(c.id)).toMatchObject({ state: 'finished', total: 0 });
      expect(await store.finishIfDone(c.id)).toBe(false);
    });

    it('stops a campaign: queued scans are cancelled, nothing is added or counted after', async () => {
      const c = await store.createCampaign(campaign());
      for (const label of ['a', 'b', 'c']) await add(c.id, label);
      await store.finishItem(item(c.id, 'a'), { state: 'completed' });
      clock.advance(1000);
      const stopped = await store.stopCampaign(c.id);
      expect(stopped).toMatchObject({ state: 'stopped', enqueued: 3, completed: 1, cancelled: 2, finishedAt: clock.now() });
      expect(await store.getItem(item(c.id, 'b'))).toBeUndefined();
      expect(await add(c.id, 'd')).toBe('not-running');
      expect(await store.finishItem(item(c.id, 'c'), { state: 'completed' })).toEqual({ counted: false, campaignFinished: false });
      expect(await store.stopCampaign(c.id)).toEqual(stopped);
      expect(await store.stopCampaign('nope')).toBeUndefined();
      expect(await store.failCampaign(c.id, 'too late')).toBe(false);
    });

    it('fails a running campaign with its reason', async () => {
      const c = await store.createCampaign(campaign());
      await add(c.id, 'a');
      expect(await store.failCampaign(c.id, 'the walk broke')).toBe(true);
      expect(await store.getCampaign(c.id)).toMatchObject({ state: 'failed', error: 'the walk broke', cancelled: 1 });
    });

    it('counts concurrent scans exactly', async () => {
      const c = await store.createCampaign(campaign());
      const labels = Array.from({ length: 12 }, (_, i) => `image-${i}`);
      expect(await Promise.all(labels.map((label) => add(c.id, label)))).toEqual(labels.map(() => 'added'));
      await store.advanceWalk(c.id, 0, { cursor: null, walkDone: true });
      const results = await Promise.all(labels.flatMap((label) => [store.finishItem(item(c.id, label), { state: 'completed' }), store.finishItem(item(c.id, label), { state: 'completed' })]));
      expect(results.filter((r) => r.counted)).toHaveLength(12);
      expect(results.filter((r) => r.campaignFinished)).toHaveLength(1);
      expect(await store.getCampaign(c.id)).toMatchObject({ state: 'finished', enqueued: 12, completed: 12 });
    });

    it('decides a tick once: started, or skipped while the previous campaign runs, for every caller', async () => {
      const tickAt = new Date('2030-01-01T02:00:00Z');
      const scheduled = campaign({ trigger: 'schedule', schedule: 'nightly', createdBy: 'scheduler' });
      const decisions = await Promise.all(Array.from({ length: 4 }, () => store.decideTick({ schedule: 'nightly', tickAt }, scheduled)));
      const started = decisions.filter((d) => d.outcome === 'started');
      expect(started).toHaveLength(1);
      const id = started[0]!.outcome === 'started' ? started[0]!.campaign.id : '';
      for (const d of decisions.filter((d) => d.outcome !== 'started')) expect(d).toMatchObject({ outcome: 'decided', tick: { outcome: 'started', campaignId: id } });
      expect(await store.listCampaigns({ schedule: 'nightly' })).toHaveLength(1);

      clock.advance(60_000);
      const next = new Date('2030-01-01T02:01:00Z');
      const skipped = await store.decideTick({ schedule: 'nightly', tickAt: next }, scheduled);
      expect(skipped).toEqual({
        outcome: 'skipped',
        tick: { schedule: 'nightly', tickAt: next, outcome: 'skipped', campaignId: id, reason: `campaign ${id} of the previous tick is still running`, recordedAt: clock.now() },
      });
      await store.stopCampaign(id);
      expect((await store.decideTick({ schedule: 'nightly', tickAt: new Date('2030-01-01T02:02:00Z') }, scheduled)).outcome).toBe('started');
      expect((await store.decideTick({ schedule: 'other', tickAt }, { ...scheduled, schedule: 'other' })).outcome).toBe('started');
      expect((await store.listTicks('nightly', 10)).map((t) => [t.tickAt.toISOString(), t.outcome])).toEqual([
        ['2030-01-01T02:02:00.000Z', 'started'],
        ['2030-01-01T02:01:00.000Z', 'skipped'],
        ['2030-01-01T02:00:00.000Z', 'started'],
      ]);
    });
  });
}
