// The UpstreamCheckStore conformance suite: every adapter's test file hands it a factory and
// runs it unchanged. Each test gets an empty, migrated database.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UpstreamCheck, UpstreamCheckStore } from '../ports/upstream-check-store.js';

export interface UpstreamCheckStoreHarness {
  /** A store over this harness's migrated database. Once per test. */
  open(): Promise<UpstreamCheckStore>;
  /** Closes the store's connections and drops or empties the database. */
  dispose(): Promise<void>;
}

export type UpstreamCheckStoreFactory = () => Promise<UpstreamCheckStoreHarness>;

const check = (extra: Partial<UpstreamCheck> = {}): UpstreamCheck => ({
  remote: 'hub',
  kind: 'tag',
  subject: 'hub/library/alpine:3.20',
  fingerprint: 'f1',
  checkedAt: new Date('2024-05-01T10:00:00.123Z'),
  etag: null,
  lastModified: null,
  ...extra,
});

export function upstreamCheckStoreSuite(name: string, factory: UpstreamCheckStoreFactory): void {
  describe(`UpstreamCheckStore: ${name}`, () => {
    let harness: UpstreamCheckStoreHarness;
    let store: UpstreamCheckStore;

    beforeEach(async () => {
      harness = await factory();
      store = await harness.open();
    });

    afterEach(() => harness.dispose());

    it('records a check and reads it back by remote, kind and subject', async () => {
      const tag = check();
      const file = check({ kind: 'file', subject: 'dir/a b.txt', etag: '"abc"', lastModified: 'Wed, 01 May 2024 09:00:00 GMT' });
      await store.recordCheck(tag);
      await store.recordCheck(file);
      expect(await store.getCheck('hub', 'tag', tag.subject)).toEqual(tag);
      expect(await store.getCheck('hub', 'file', file.subject)).toEqual(file);
      expect(await store.getCheck('hub', 'file', tag.subject)).toBeUndefined();
      expect(await store.getCheck('other', 'tag', tag.subject)).toBeUndefined();
    });

    it('replaces the check of the same subject', async () => {
      await store.recordCheck(check({ kind: 'file', subject: 'a', etag: '"1"' }));
      const later = check({ kind: 'file', subject: 'a', fingerprint: 'f2', checkedAt: new Date('2024-05-02T00:00:00Z'), etag: null, lastModified: 'x' });
      await store.recordCheck(later);
      expect(await store.getCheck('hub', 'file', 'a')).toEqual(later);
    });

    it('forgets one check, or every check of a remote', async () => {
      await store.recordCheck(check({ subject: 'a' }));
      await store.recordCheck(check({ subject: 'b' }));
      await store.recordCheck(check({ remote: 'other', subject: 'a' }));
      await store.forgetCheck('hub', 'tag', 'a');
      expect(await store.getCheck('hub', 'tag', 'a')).toBeUndefined();
      expect(await store.forgetRemoteChecks('hub')).toBe(1);
      expect(await store.getCheck('hub', 'tag', 'b')).toBeUndefined();
      expect(await store.getCheck('other', 'tag', 'a')).toBeDefined();
    });
  });
}
