import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BucketEventIntake } from '../../buckets/event-intake.js';
import { startBucketHarness, type BucketHarness } from '../../buckets/testing/bucket-harness.js';
import { TestScanner } from '../../quarantine/testing/test-scanner.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';

let h: BucketHarness;
let t: TestApp;
let open: string;
const failing = new TestScanner('test');
const token = 'minio-webhook-token';

beforeAll(async () => {
  h = await startBucketHarness();
  open = await h.newBucket('open');
  failing.scansFail = true;
  const intake = new BucketEventIntake(
    new Map([
      [h.bucket, { processor: h.processor().processor, token, maxAttempts: 3 }],
      [open, { processor: h.processor({ bucket: open }, [failing]).processor, maxAttempts: 3 }],
    ]),
  );
  t = await startTestApp({}, { bucketEvents: intake });
});
afterAll(async () => {
  await t?.close();
  await h?.dispose();
});

const post = (payload: unknown, authorization?: string) =>
  t.app.inject({ method: 'POST', url: '/buckets/events', payload: payload as object, headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) } });

describe('POST /buckets/events', () => {
  it('handles the records of a MinIO webhook before answering', async () => {
    const put = await h.s3.put(h.bucket, 'web hook/file.txt', 'from a webhook');
    const res = await post({ EventName: 's3:ObjectCreated:Put', Key: `${h.bucket}/web hook/file.txt`, ...put.event }, `Bearer ${token}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ handled: [{ bucket: h.bucket, key: 'web hook/file.txt', outcome: 'decided', status: 'clean' }], ignored: [] });
    expect((await h.s3.tags(h.bucket, 'web hook/file.txt'))?.['scan-status']).toBe('clean');
    // Older MinIO versions send the token bare; the same event again is a duplicate.
    expect((await post(put.event, token)).json()).toMatchObject({ handled: [{ outcome: 'duplicate' }] });
  });

  it("refuses events without the bucket's token: 401 without one, 403 with another bucket's", async () => {
    const put = await h.s3.put(h.bucket, 'guarded.txt', 'guarded');
    const none = await post(put.event);
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="scangate-bucket-events"');
    expect(none.json()).toMatchObject({ errors: [{ code: 'UNAUTHORIZED' }] });
    const wrong = await post(put.event, 'Bearer not-the-token');
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toMatchObject({ errors: [{ code: 'DENIED', message: expect.stringContaining(h.bucket) }] });
    expect(await h.s3.tags(h.bucket, 'guarded.txt')).toEqual({});
  });

  it('answers 400 in the error shape for what is not a notification, or names a bucket not watched', async () => {
    const junk = await post({ hello: 'world' }, `Bearer ${token}`);
    expect(junk.statusCode).toBe(400);
    expect(junk.json()).toMatchObject({ errors: [{ code: 'UNSUPPORTED', message: expect.stringContaining('not an S3 event notification') }] });
    const notJson = await t.app.inject({ method: 'POST', url: '/buckets/events', payload: '{oops', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
    expect(notJson.statusCode).toBe(400);
    const put = await h.s3.put(h.bucket, 'elsewhere.txt', 'elsewhere');
    const renamed = { Records: put.event.Records.map((r) => ({ ...r, s3: { ...r.s3, bucket: { name: 'not-watched' } } })) };
    const unknown = await post(renamed, `Bearer ${token}`);
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ errors: [{ message: expect.stringContaining('not-watched') }] });
    expect((await post({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: h.bucket }, `Bearer ${token}`)).statusCode).toBe(200);
  });

  it('answers 503 with Retry-After while an object cannot be judged yet (tagged error meanwhile)', async () => {
    const put = await h.s3.put(open, 'later.txt', `later ${Math.random()}`);
    const res = await post(put.event);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('30');
    expect(res.json()).toMatchObject({ errors: [{ code: 'UNAVAILABLE', detail: { handled: [{ key: 'later.txt', outcome: 'failed' }] } }] });
    expect((await h.s3.tags(open, 'later.txt'))?.['scan-status']).toBe('error');
  });
});
