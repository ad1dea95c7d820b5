import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanResult, ScanSubject } from '../ports/scanner.js';
import { infectedMarker, TestScanner } from '../quarantine/testing/test-scanner.js';
import { startBucketHarness, type BucketHarness } from './testing/bucket-harness.js';

let h: BucketHarness;
beforeAll(async () => {
  h = await startBucketHarness();
});
afterAll(() => h?.dispose());

let keys = 0;
const newKey = (name: string) => `k${++keys}/${name}`;

describe('ObjectProcessor', () => {
  it('judges, tags and publishes an object once; its event again is a duplicate', async () => {
    const { processor } = h.processor();
    const key = newKey('report.pdf');
    const put = await h.s3.put(h.bucket, key, 'quarterly figures');
    const outcome = await processor.process({ bucket: h.bucket, key, etag: put.etag });
    expect(outcome).toMatchObject({ kind: 'decided', result: { status: 'clean', action: 'tagged', etag: put.etag, key, attempt: 1, scanners: [{ name: 'test', cached: false }] } });
    expect(await h.s3.tags(h.bucket, key)).toEqual({ 'scan-status': 'clean', 'scanned-at': expect.any(String), scanner: 'test=TestEngine 1.0/1' });
    expect(await processor.process({ bucket: h.bucket, key, etag: put.etag })).toEqual({ kind: 'duplicate' });
    expect(h.publisher.results.filter((r) => r.key === key)).toHaveLength(1);
  });

  it('emits each decision, clean ones too, as a bucket.object.scanned domain event', async () => {
    const quarantine = await h.newBucket('quarantine');
    const { processor } = h.processor({ onInfected: `quarantine:${quarantine}` });
    const key = newKey('event.bin');
    const put = await h.s3.put(h.bucket, key, `x ${infectedMarker}`);
    await processor.process({ bucket: h.bucket, key, etag: put.etag });
    await processor.process({ bucket: h.bucket, key, etag: put.etag });
    expect(h.events.filter((e) => e.type === 'bucket.object.scanned' && e.data.key === key)).toEqual([
      expect.objectContaining({
        type: 'bucket.object.scanned',
        repository: null,
        actor: 'scanner:test',
        data: { bucket: h.bucket, key, etag: put.etag, size: put.event.Records[0]!.s3.object.size, verdict: 'infected', signatures: ['Test.Marker'], scanners: ['test'], action: 'quarantined', movedTo: quarantine },
      }),
    ]);
  });

  it('handles the version that is there now: an event for an overwritten object judges the new upload', async () => {
    const { processor } = h.processor();
    const key = newKey('a.txt');
    const first = await h.s3.put(h.bucket, key, 'first');
    const second = await h.s3.put(h.bucket, key, `second ${infectedMarker}`);
    // The stale event names the first upload's ETag and size: the GET finds another ETag.
    expect(await processor.process({ bucket: h.bucket, key, etag: first.etag, size: 5 })).toMatchObject({ kind: 'decided', result: { etag: second.etag, status: 'infected' } });
    expect(await processor.process({ bucket: h.bucket, key, etag: second.etag })).toEqual({ kind: 'duplicate' });
    expect((await h.store.get({ bucket: h.bucket, key, etag: first.etag }))?.status).not.toBe('clean');
  });

  it('finds an object deleted before its scan gone, and records nothing', async () => {
    const { processor } = h.processor();
    const key = newKey('never-there.txt');
    expect(await processor.process({ bucket: h.bucket, key, etag: 'd41d8cd98f00b204e9800998ecf8427e' })).toEqual({ kind: 'gone' });
    expect(await processor.process({ bucket: h.bucket, key, etag: 'd41d8cd98f00b204e9800998ecf8427e', size: 10 })).toEqual({ kind: 'gone' });
    expect(h.publisher.results.some((r) => r.key === key)).toBe(false);
  });

  it("keeps the object's own tags and overwrites a scan-status the uploader set", async () => {
    const { processor } = h.processor();
    const key = newKey('forged.bin');
    const put = await h.s3.put(h.bucket, key, `payload ${infectedMarker}`);
    await h.objects.putTags({ bucket: h.bucket, key, etag: put.etag }, [{ Key: 'owner', Value: 'alice' }, { Key: 'scan-status', Value: 'clean' }]);
    await processor.process({ bucket: h.bucket, key, etag: put.etag });
    expect(await h.s3.tags(h.bucket, key)).toMatchObject({ owner: 'alice', 'scan-status': 'infected' });
  });

  it('never lets a verdict land on another upload: overwritten during the scan, the new version is judged', async () => {
    const key = newKey('swap.bin');
    const put = await h.s3.put(h.bucket, key, 'harmless at first');
    /** Scans, then (once) overwrites the object with malware before the verdict is acted on. */
    class SwappingScanner extends TestScanner {
      swapped = false;
      override async scan(subject: ScanSubject): Promise<ScanResult> {
        const result = await super.scan(subject);
        if (!this.swapped) {
          this.swapped = true;
          await h.s3.put(h.bucket, key, `now ${infectedMarker}`);
        }
        return result;
      }
    }
    const { processor } = h.processor({}, [new SwappingScanner('test')]);
    const outcome = await processor.process({ bucket: h.bucket, key, etag: put.etag });
    expect(outcome).toMatchObject({ kind: 'decided', result: { status: 'infected' } });
    expect(outcome.kind === 'decided' && outcome.result.etag).not.toBe(put.etag);
    expect((await h.s3.tags(h.bucket, key))?.['scan-status']).toBe('infected');
    expect(h.publisher.results.filter((r) => r.key === key).map((r) => r.status)).toEqual(['infected']);
  });

  it('scans the same content once: the same bytes under another key come from the verdict cache, unless ETags are not trusted', async () => {
    const { processor } = h.processor();
    const body = `shared content ${Math.random()}`;
    const one = newKey('one.txt');
    const two = newKey('two.txt');
    await processor.process({ bucket: h.bucket, key: one, etag: (await h.s3.put(h.bucket, one, body)).etag });
    const scanned = h.scanner.scanned.length;
    const cached = await processor.process({ bucket: h.bucket, key: two, etag: (await h.s3.put(h.bucket, two, body)).etag });
    expect(cached).toMatchObject({ kind: 'decided', result: { status: 'clean', scanners: [{ name: 'test', cached: true }] } });
    expect(h.scanner.scanned.length).toBe(scanned);
    const three = newKey('three.txt');
    const { processor: distrustful } = h.processor({ cacheByEtag: false });
    await distrustful.process({ bucket: h.bucket, key: three, etag: (await h.s3.put(h.bucket, three, body)).etag });
    expect(h.scanner.scanned.length).toBe(scanned + 1);
  });

  it('tags an object over the size limit too-large, without scanning it', async () => {
    const { processor } = h.processor({ maxSizeBytes: 10 });
    const key = newKey('big.txt');
    const scanned = h.scanner.scanned.length;
    const outcome = await processor.process({ bucket: h.bucket, key, etag: (await h.s3.put(h.bucket, key, 'more than ten bytes')).etag });
    expect(outcome).toMatchObject({ kind: 'decided', result: { status: 'too-large', scanners: [], findings: [] } });
    expect((await h.s3.tags(h.bucket, key))?.['scan-status']).toBe('too-large');
    expect(h.scanner.scanned.length).toBe(scanned);
  });

  it('waits while the scanners are down, spending no attempt', async () => {
    const scanner = new TestScanner('test');
    scanner.down = true;
    const { processor } = h.processor({}, [scanner]);
    const key = newKey('waiting.txt');
    const put = await h.s3.put(h.bucket, key, 'waiting');
    expect(await processor.process({ bucket: h.bucket, key, etag: put.etag })).toMatchObject({ kind: 'unavailable' });
    expect(await h.store.get({ bucket: h.bucket, key, etag: put.etag })).toBeUndefined();
  });

  it('tags a failed scan error (never clean) and tries again on the next event', async () => {
    const scanner = new TestScanner('test');
    scanner.scansFail = true;
    const { processor } = h.processor({}, [scanner]);
    const key = newKey('flaky.txt');
    const put = await h.s3.put(h.bucket, key, 'flaky');
    const failed = await processor.process({ bucket: h.bucket, key, etag: put.etag });
    expect(failed).toMatchObject({ kind: 'failed', retryable: true, attempt: 1, tagged: true });
    expect((await h.s3.tags(h.bucket, key))?.['scan-status']).toBe('error');
    expect(await h.store.get({ bucket: h.bucket, key, etag: put.etag })).toMatchObject({ status: 'error', failures: 1 });
    scanner.scansFail = false;
    expect(await processor.process({ bucket: h.bucket, key, etag: put.etag, attempt: 2 })).toMatchObject({ kind: 'decided', result: { status: 'clean', attempt: 2 } });
    expect((await h.s3.tags(h.bucket, key))?.['scan-status']).toBe('clean');
  });

  it('keeps a decision whose publishing failed, and publishes it on the next event', async () => {
    const { processor } = h.processor();
    const key = newKey('news.txt');
    const put = await h.s3.put(h.bucket, key, 'news');
    h.publisher.failing = true;
    try {
      expect(await processor.process({ bucket: h.bucket, key, etag: put.etag })).toMatchObject({ kind: 'failed', retryable: true });
    } finally {
      h.publisher.failing = false;
    }
    expect(await h.store.get({ bucket: h.bucket, key, etag: put.etag })).toMatchObject({ status: 'clean', publishedAt: null });
    expect(await processor.process({ bucket: h.bucket, key, etag: put.etag })).toEqual({ kind: 'duplicate' });
    expect(h.publisher.results.filter((r) => r.key === key)).toHaveLength(1);
    expect((await h.store.get({ bucket: h.bucket, key, etag: put.etag }))?.publishedAt).not.toBeNull();
  });

  it('does not retry an object whose own tags leave no room for the scan tags', async () => {
    const { processor } = h.processor();
    const key = newKey('tagged-full.txt');
    const put = await h.s3.put(h.bucket, key, 'full');
    await h.objects.putTags({ bucket: h.bucket, key, etag: put.etag }, Array.from({ length: 9 }, (_, i) => ({ Key: `t${i}`, Value: 'x' })));
    expect(await processor.process({ bucket: h.bucket, key, etag: put.etag })).toMatchObject({ kind: 'failed', retryable: false, tagged: false });
  });

  it('gives one of two concurrent workers the object', async () => {
    const key = newKey('contended.txt');
    const put = await h.s3.put(h.bucket, key, 'contended');
    const outcomes = await Promise.all([h.processor().processor, h.processor().processor].map((p) => p.process({ bucket: h.bucket, key, etag: put.etag })));
    expect(outcomes.filter((o) => o.kind === 'decided')).toHaveLength(1);
    expect(outcomes.map((o) => o.kind).sort()).toEqual([expect.stringMatching(/^(busy|duplicate)$/), 'decided'].sort());
  });

  it('gives up on an object its workers keep dying on (poison)', async () => {
    const { processor } = h.processor({ retry: { maxAttempts: 2 } });
    const key = newKey('poison.bin');
    const put = await h.s3.put(h.bucket, key, 'poison');
    const version = { bucket: h.bucket, key, etag: put.etag };
    // Two workers claimed it and vanished (their leases ran out with them).
    await h.store.claim(version, 'ghost-1', 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await h.store.claim(version, 'ghost-2', 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const outcome = await processor.process({ bucket: h.bucket, key, etag: put.etag });
    expect(outcome).toMatchObject({ kind: 'failed', retryable: false, error: { message: expect.stringContaining('poison') } });
    expect((await h.s3.tags(h.bucket, key))?.['scan-status']).toBe('error');
  });
});
