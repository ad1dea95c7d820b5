// The RemoteSyncStore conformance suite: every adapter's test file hands it a factory and runs
// it unchanged. Each test gets an empty, migrated database and a clock that moves when told.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../jobs/testing/test-clock.js';
import type { RemoteSyncProgress, RemoteSyncStore } from '../ports/remote-sync-store.js';

export interface RemoteSyncStoreHarness {
  /** A store over this harness's migrated database, stamping records with `clock`. Once per test. */
  open(clock: () => Date): Promise<RemoteSyncStore>;
  /** Closes the store's connections and drops or empties the database. */
  dispose(): Promise<void>;
}

export type RemoteSyncStoreFactory = () => Promise<RemoteSyncStoreHarness>;

const progress = (extra: Partial<RemoteSyncProgress> = {}): RemoteSyncProgress => ({
  itemsTotal: 3,
  itemsDone: 1,
  itemsFailed: 0,
  bytesTotal: 5_000_000_000,
  bytesDone: 1024,
  current: 'library/app:v1',
  ...extra,
});

export function remoteSyncStoreSuite(name: string, factory: RemoteSyncStoreFactory): void {
  describe(`RemoteSyncStore: ${name}`, () => {
    let harness: RemoteSyncStoreHarness;
    let clock: TestClock;
    let store: RemoteSyncStore;

    beforeEach(async () => {
      harness = await factory();
      clock = new TestClock();
      store = await harness.open(clock.now);
    });

    afterEach(() => harness.dispose());

    it('creates a queued sync, and returns it instead of a second one while it is unfinished', async () => {
      const { sync, created } = await store.createSync({ id: 's1', remote: 'hub', selection: { repositories: ['library/app'], tags: ['v1'] }, requestedBy: 'admin' });
      expect(created).toBe(true);
      expect(sync).toEqual({
        id: 's1',
        remote: 'hub',
        selection: { repositories: ['library/app'], tags: ['v1'] },
        state: 'queued',
        requestedBy: 'admin',
        createdAt: clock.now(),
        startedAt: null,
        finishedAt: null,
        updatedAt: clock.now(),
        attempts: 0,
        progress: { itemsTotal: 0, itemsDone: 0, itemsFailed: 0, bytesTotal: 0, bytesDone: 0, current: null },
        outcomes: {},
        problems: [],
        error: null,
        jobId: null,
      });
      const again = await store.createSync({ id: 's2', remote: 'hub', selection: {}, requestedBy: 'user:bob' });
      expect(again).toEqual({ sync, created: false });
      expect((await store.createSync({ id: 's3', remote: 'dl', selection: {}, requestedBy: 'admin' })).created).toBe(true);
      expect(await store.activeSync('hub')).toEqual(sync);
      expect(await store.getSync('s2')).toBeUndefined();
    });

    it('runs, records progress, retries and finishes; then the remote may be synced again', async () => {
      await store.createSync({ id: 's1', remote: 'hub', selection: {}, requestedBy: 'admin' });
      await store.setJob('s1', 'job-1');
      clock.advance(1000);
      expect(await store.markRunning('s1')).toBe(true);
      const started = clock.now();
      await store.recordProgress('s1', progress());
      expect(await store.getSync('s1')).toMatchObject({ state: 'running', attempts: 1, startedAt: started, progress: progress(), jobId: 'job-1' });
      await store.markRetrying('s1', 'upstream down');
      expect(await store.getSync('s1')).toMatchObject({ state: 'queued', error: 'upstream down' });
      clock.advance(1000);
      expect(await store.markRunning('s1')).toBe(true);
      // Progress starts over with each attempt; the first start stays.
      expect(await store.getSync('s1')).toMatchObject({ state: 'running', attempts: 2, startedAt: started, progress: { itemsDone: 0, current: null } });
      clock.advance(1000);
      const done = progress({ itemsDone: 3, itemsFailed: 1, current: null });
      const problems = [{ item: 'hub/library/bad:v1', outcome: 'refused' as const, message: 'malware found' }];
      expect(await store.finishSync('s1', { state: 'completed', progress: done, outcomes: { synced: 2, refused: 1 }, problems, error: null })).toBe(true);
      expect(await store.getSync('s1')).toMatchObject({ state: 'completed', finishedAt: clock.now(), progress: done, outcomes: { synced: 2, refused: 1 }, problems, error: null });
      expect(await store.activeSync('hub')).toBeUndefined();
      // Finished: nothing reopens it.
      expect(await store.markRunning('s1')).toBe(false);
      expect(await store.finishSync('s1', { state: 'failed', error: 'late' })).toBe(false);
      await store.recordProgress('s1', progress());
      await store.markRetrying('s1', 'late');
      expect(await store.getSync('s1')).toMatchObject({ state: 'completed', progress: done, error: null });
      expect((await store.createSync({ id: 's2', remote: 'hub', selection: {}, requestedBy: 'admin' })).created).toBe(true);
    });

    it('lists the syncs of a remote, newest first, up to a limit', async () => {
      for (const id of ['a', 'b', 'c']) {
        await store.createSync({ id, remote: 'hub', selection: {}, requestedBy: 'admin' });
        await store.finishSync(id, { state: 'failed', error: 'x' });
        clock.advance(1000);
      }
      await store.createSync({ id: 'other', remote: 'dl', selection: {}, requestedBy: 'admin' });
      expect((await store.listSyncs('hub', 2)).map((s) => s.id)).toEqual(['c', 'b']);
      expect((await store.listSyncs('dl', 10)).map((s) => s.id)).toEqual(['other']);
    });

    it('prunes the syncs that finished before a time, never an unfinished one', async () => {
      await store.createSync({ id: 'old', remote: 'hub', selection: {}, requestedBy: 'admin' });
      await store.finishSync('old', { state: 'completed' });
      await store.createSync({ id: 'stuck', remote: 'dl', selection: {}, requestedBy: 'admin' });
      clock.advance(60_000);
      const cutoff = clock.now();
      clock.advance(60_000);
      await store.createSync({ id: 'new', remote: 'hub', selection: {}, requestedBy: 'admin' });
      await store.finishSync('new', { state: 'failed', error: 'x' });
      expect(await store.pruneSyncs(cutoff)).toBe(1);
      expect(await store.getSync('old')).toBeUndefined();
      expect((await store.getSync('stuck'))?.state).toBe('queued');
      expect((await store.getSync('new'))?.state).toBe('failed');
      expect(await store.pruneSyncs(cutoff)).toBe(0);
    });
  });
}
