// The ScanScheduleStore conformance suite: every adapter's test file hands it a factory and runs
// it unchanged. Each test gets an empty, migrated database and a clock that moves when told.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../jobs/testing/test-clock.js';
import type { ScanScheduleDefinition, ScanScheduleStore } from '../ports/scan-schedule-store.js';

export interface ScanScheduleStoreHarness {
  /** A store over this harness's migrated database, stamping rows with `clock`. Once per test. */
  open(clock: () => Date): Promise<ScanScheduleStore>;
  dispose(): Promise<void>;
}

const schedule = (name: string, extra: Partial<ScanScheduleDefinition> = {}): ScanScheduleDefinition => ({
  name,
  cron: '0 2 * * *',
  timezone: null,
  scope: { kind: 'all' },
  scanners: null,
  enabled: true,
  ...extra,
});

export function scanScheduleStoreSuite(name: string, factory: () => Promise<ScanScheduleStoreHarness>): void {
  describe(`ScanScheduleStore: ${name}`, () => {
    let harness: ScanScheduleStoreHarness;
    let clock: TestClock;
    let store: ScanScheduleStore;

    beforeEach(async () => {
      harness = await factory();
      clock = new TestClock();
      store = await harness.open(clock.now);
    });

    afterEach(() => harness.dispose());

    it('creates, lists by name, gets, updates and deletes schedules', async () => {
      const nightly = schedule('nightly', { scope: { kind: 'namespace', namespace: 'lib' }, scanners: ['trivy'], timezone: 'Europe/Paris' });
      const created = await store.createSchedule(nightly, 'user:alice');
      expect(created).toEqual({ schedule: nightly, createdAt: clock.now(), updatedAt: clock.now(), updatedBy: 'user:alice' });
      await store.createSchedule(schedule('a-first', { scope: { kind: 'repository', repository: 'lib/app' } }), 'admin');
      expect((await store.listSchedules()).map((s) => s.schedule.name)).toEqual(['a-first', 'nightly']);
      expect(await store.createSchedule(schedule('nightly', { cron: '* * * * *' }), 'admin')).toBeUndefined();
      expect((await store.getSchedule('nightly'))?.schedule.cron).toBe('0 2 * * *');

      clock.advance(1000);
      const disabled = { ...nightly, enabled: false };
      expect(await store.updateSchedule(disabled, 'user:bob')).toEqual({ schedule: disabled, createdAt: created!.createdAt, updatedAt: clock.now(), updatedBy: 'user:bob' });
      expect(await store.updateSchedule(schedule('nope'), 'admin')).toBeUndefined();
      expect(await store.deleteSchedule('nightly')).toBe(true);
      expect(await store.deleteSchedule('nightly')).toBe(false);
      expect(await store.getSchedule('nightly')).toBeUndefined();
    });
  });
}
