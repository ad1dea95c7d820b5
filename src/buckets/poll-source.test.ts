import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infectedMarker, TestScanner } from '../quarantine/testing/test-scanner.js';
import { PollSource } from './poll-source.js';
import { silentLogger, startBucketHarness, type BucketHarness } from './testing/bucket-harness.js';

let h: BucketHarness;
beforeAll(async () => {
  h = await startBucketHarness();
});
afterAll(() => h?.dispose());

function pollerOn(bucket: string, scanners = [h.scanner], prefix = '') {
  const { processor } = h.processor({ bucket }, scanners);
  return new PollSource({ bucket, prefix, intervalMs: 60_000, concurrency: 2, maxAttempts: 2, objects: h.objects, store: h.store, processor, logger: silentLogger });
}

describe('PollSource', () => {
  it('handles what is not handled yet, remembers it, and handles a key again once it is overwritten', async () => {
    const bucket = await h.newBucket('polled');
    for (let i = 0; i < 5; i++) await h.s3.put(bucket, `file-${i}.txt`, `content ${i}`);
    await h.s3.put(bucket, 'bad.bin', `x ${infectedMarker}`);
    const poller = pollerOn(bucket);
    expect(await poller.pollOnce()).toEqual({ listed: 6, decided: 6, failed: 0, interrupted: false });
    expect((await h.s3.tags(bucket, 'bad.bin'))?.['scan-status']).toBe('infected');
    expect((await h.s3.tags(bucket, 'file-3.txt'))?.['scan-status']).toBe('clean');
    expect(await poller.pollOnce()).toEqual({ listed: 6, decided: 0, failed: 0, interrupted: false });
    await h.s3.put(bucket, 'file-3.txt', 'rewritten');
    expect(await poller.pollOnce()).toMatchObject({ listed: 6, decided: 1 });
  });

  it('lists only under its prefix', async () => {
    const bucket = await h.newBucket('prefixed');
    await h.s3.put(bucket, 'in/a.txt', 'a');
    await h.s3.put(bucket, 'out/b.txt', 'b');
    expect(await pollerOn(bucket, [h.scanner], 'in/').pollOnce()).toMatchObject({ listed: 1, decided: 1 });
    expect(await h.s3.tags(bucket, 'out/b.txt')).toEqual({});
  });

  it('stops a round while the scanners are down, and gives up on an object that keeps failing', async () => {
    const bucket = await h.newBucket('failing');
    await h.s3.put(bucket, 'a.txt', `never scanned before ${Math.random()}`);
    const scanner = new TestScanner('test');
    scanner.down = true;
    const poller = pollerOn(bucket, [scanner]);
    expect(await poller.pollOnce()).toMatchObject({ decided: 0, interrupted: true });
    scanner.down = false;
    scanner.scansFail = true;
    expect(await poller.pollOnce()).toMatchObject({ failed: 1 });
    const reported = h.publisher.results.length;
    expect(await poller.pollOnce()).toMatchObject({ failed: 1 });
    // The second failure is the last try (maxAttempts 2): its error result is published once.
    expect(h.publisher.results.slice(reported)).toMatchObject([{ key: 'a.txt', status: 'error', attempt: 2 }]);
    expect(await poller.pollOnce()).toMatchObject({ listed: 1, decided: 0, failed: 0 });
    expect((await h.s3.tags(bucket, 'a.txt'))?.['scan-status']).toBe('error');
  });
});
