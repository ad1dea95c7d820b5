// The BucketScanStore conformance suite: every adapter's test file hands it a factory and runs
// it unchanged. Each test gets an empty, migrated database and a clock that moves when told.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../jobs/testing/test-clock.js';
import { keyAtEtag, type BucketScanStore, type ObjectVersionRef } from '../ports/bucket-scan-store.js';

export interface BucketScanStoreHarness {
  /** A store over this harness's migrated database, on `clock`. `second` opens another connection (pool) to the same database. */
  open(clock: () => Date): Promise<{ store: BucketScanStore; second: BucketScanStore }>;
  dispose(): Promise<void>;
}

export type BucketScanStoreFactory = () => Promise<BucketScanStoreHarness>;

const ref = (key: string, etag = 'e1', bucket = 'uploads'): ObjectVersionRef => ({ bucket, key, etag });
const lease = 30_000;

export function bucketScanStoreSuite(name: string, factory: BucketScanStoreFactory): void {
  describe(`BucketScanStore: ${name}`, () => {
    let harness: BucketScanStoreHarness;
    let clock: TestClock;
    let store: BucketScanStore;
    let second: BucketScanStore;

    beforeEach(async () => {
      harness = await factory();
      clock = new TestClock();
      ({ store, second } = await harness.open(clock.now));
    });

    afterEach(() => harness.dispose());

    it('claims a new version once; a second claimer finds it busy until the lease runs out', async () => {
      const first = await store.claim(ref('a.txt'), 'w1', lease);
      expect(first).toMatchObject({ kind: 'claimed', record: { status: 'scanning', attempts: 1, abandoned: 0, leaseOwner: 'w1' } });
      expect(first.record.leaseUntil).toEqual(new Date(clock.now().getTime() + lease));
      expect(await store.claim(ref('a.txt'), 'w2', lease)).toMatchObject({ kind: 'busy', record: { leaseOwner: 'w1' } });
      // Another version of the same key is another object.
      expect((await store.claim(ref('a.txt', 'e2'), 'w2', lease)).kind).toBe('claimed');
      clock.advance(lease + 1);
      // The first holder vanished with its lease on: counted, so a poison object shows.
      expect(await store.claim(ref('a.txt'), 'w2', lease)).toMatchObject({ kind: 'claimed', record: { attempts: 2, abandoned: 1, leaseOwner: 'w2' } });
    });

    it('gives exactly one of many concurrent claimers the version', async () => {
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? store : second).claim(ref('race.bin'), `w${i}`, lease)),
      );
      expect(outcomes.filter((o) => o.kind === 'claimed')).toHaveLength(1);
      expect(outcomes.filter((o) => o.kind === 'busy')).toHaveLength(7);
    });

    it('renews only the holder\'s lease', async () => {
      await store.claim(ref('a'), 'w1', lease);
      clock.advance(lease - 1);
      expect(await store.renew(ref('a'), 'w1', lease)).toBe(true);
      expect(await store.renew(ref('a'), 'w2', lease)).toBe(false);
      clock.advance(lease - 1);
      expect((await store.claim(ref('a'), 'w2', lease)).kind).toBe('busy');
    });

    it('keeps a decision and its result; decided versions are not claimed again unless asked', async () => {
      await store.claim(ref('a'), 'w1', lease);
      await store.decide(ref('a'), 'w1', 'infected', { status: 'infected', findings: ['Eicar'] });
      const decided = await store.claim(ref('a'), 'w2', lease);
      expect(decided).toMatchObject({ kind: 'decided', record: { status: 'infected', result: { status: 'infected', findings: ['Eicar'] }, publishedAt: null, leaseOwner: null } });
      clock.advance(5);
      await store.markPublished(ref('a'));
      expect((await store.get(ref('a')))?.publishedAt).toEqual(clock.now());
      const again = await store.claim(ref('a'), 'w2', lease, { again: true });
      expect(again).toMatchObject({ kind: 'claimed', record: { status: 'scanning', attempts: 2, abandoned: 0 } });
    });

    it('records failures of the holder only, and lets the next claim try again', async () => {
      await store.claim(ref('a'), 'w1', lease);
      await store.fail(ref('a'), 'w2', 'not mine');
      expect(await store.get(ref('a'))).toMatchObject({ status: 'scanning', failures: 0, leaseOwner: 'w1' });
      await store.fail(ref('a'), 'w1', 'clamd: connection refused');
      expect(await store.get(ref('a'))).toMatchObject({ status: 'error', failures: 1, lastError: 'clamd: connection refused', leaseOwner: null });
      expect(await store.claim(ref('a'), 'w2', lease)).toMatchObject({ kind: 'claimed', record: { attempts: 2, failures: 1, abandoned: 0 } });
      await store.release(ref('a'), 'w2');
      expect(await store.get(ref('a'))).toMatchObject({ status: 'scanning', leaseOwner: null, leaseUntil: null });
      expect((await store.claim(ref('a'), 'w3', lease)).record.abandoned).toBe(0);
    });

    it('answers which listed objects are decided at exactly their ETag', async () => {
      for (const [key, etag] of [['a', 'e1'], ['b', 'e1'], ['c', 'e1']] as const) {
        await store.claim(ref(key, etag), 'w', lease);
      }
      await store.decide(ref('a'), 'w', 'clean', {});
      await store.decide(ref('b'), 'w', 'too-large', {});
      await store.claim(ref('a', 'e1', 'other-bucket'), 'w', lease);
      await store.decide(ref('a', 'e1', 'other-bucket'), 'w', 'clean', {});
      const decided = await store.decidedAmong('uploads', [
        { key: 'a', etag: 'e1' },
        { key: 'b', etag: 'e2' },
        { key: 'c', etag: 'e1' },
        { key: 'd', etag: 'e1' },
      ]);
      expect([...decided]).toEqual([keyAtEtag('a', 'e1')]);
      expect((await store.decidedAmong('uploads', [])).size).toBe(0);
    });

    it('caches verdicts by content key, scanner and engine key; a second one replaces the first', async () => {
      const verdict = {
        contentKey: 'etag:5d41402abc4b2a76b9719d911017c592',
        scanner: 'clamav',
        engine: 'ClamAV 1.4.6/27000',
        verdict: 'infected' as const,
        findings: [{ signature: 'Eicar-Signature' }],
        durationMs: 12.4,
        scannedAt: clock.now(),
      };
      await store.recordVerdict(verdict);
      expect(await store.findVerdict(verdict.contentKey, 'clamav', 'ClamAV 1.4.6/27000')).toEqual({ ...verdict, durationMs: 12 });
      expect(await store.findVerdict(verdict.contentKey, 'clamav', 'ClamAV 1.4.6/27001')).toBeUndefined();
      expect(await store.findVerdict(verdict.contentKey, 'other', 'ClamAV 1.4.6/27000')).toBeUndefined();
      await store.recordVerdict({ ...verdict, verdict: 'clean', findings: [], durationMs: 3 });
      expect(await store.findVerdict(verdict.contentKey, 'clamav', 'ClamAV 1.4.6/27000')).toMatchObject({ verdict: 'clean', findings: [] });
    });

    it('keeps keys in any byte order and with any characters', async () => {
      const odd = ref('dir/a b+c%20ü😀.txt', 'abc-2');
      await store.claim(odd, 'w', lease);
      await store.decide(odd, 'w', 'clean', { key: odd.key });
      expect(await store.get(odd)).toMatchObject({ key: odd.key, status: 'clean', result: { key: odd.key } });
    });
  });
}
