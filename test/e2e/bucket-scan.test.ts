// Bucket scanning end to end, with real parts: s3rver as the S3 server, the machine's
// RabbitMQ, a real clamd with the test signatures, SQLite for what was handled. s3rver's
// event records are published to the queue by the test, re-shaped as AWS sends them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptsHeader, reasonHeader } from '../../src/buckets/amqp-source.js';
import type { BucketScanResult } from '../../src/buckets/result.js';
import { startBucketWatchers, type BucketWatchers } from '../../src/buckets/watchers.js';
import { bucketSchema, type BucketConfig } from '../../src/config/bucket-schema.js';
import { openDatabase } from '../../src/metadata/database.js';
import { migrateToLatest } from '../../src/metadata/migrations/index.js';
import { SqlBucketScanStore } from '../../src/metadata/sql-bucket-scan-store.js';
import type { Scanner } from '../../src/ports/scanner.js';
import { ClamdScanner } from '../../src/scanners/clamd/clamd-scanner.js';
import { eicarBytes } from '../../src/scanners/clamd/test-signatures.js';
import { CommandScanner } from '../../src/scanners/command/command-scanner.js';
import { openTestAmqp, ownTopology, testAmqpUrl, uniqueName, type Collector, type TestAmqp } from '../support/amqp.js';
import { startClamd, type RunningClamd } from '../support/clamd.js';
import { cleanEnv, spawnScangate } from '../support/run-scangate.js';
import { freePort } from '../support/server-process.js';
import { startScangate } from '../support/scangate-server.js';
import { s3rverCredentials, startS3rver, uniqueBucket, type RunningS3 } from '../support/s3rver.js';

const logger = pino({ level: process.env['SCANGATE_TEST_LOG'] ?? 'silent' });

let clamd: RunningClamd;
let s3: RunningS3;
let amqp: TestAmqp;
let dataDir: string;
let db: ReturnType<typeof openDatabase>;
let store: SqlBucketScanStore;
let clamav: Scanner;
const running: BucketWatchers[] = [];

beforeAll(async () => {
  [clamd, s3, amqp] = await Promise.all([startClamd(), startS3rver(), openTestAmqp()]);
  dataDir = await mkdtemp(join(tmpdir(), 'scangate-bucket-e2e-'));
  db = openDatabase({ driver: 'sqlite' }, dataDir);
  await migrateToLatest(db, 'sqlite');
  store = new SqlBucketScanStore(db);
  clamav = new ClamdScanner({ name: 'clamav', address: clamd.tcpAddress });
});

afterAll(async () => {
  await Promise.allSettled(running.map((w) => w.stop()));
  await amqp?.dispose();
  await db?.destroy();
  await Promise.allSettled([clamd?.dispose(), s3?.stop(), dataDir && rm(dataDir, { recursive: true, force: true })]);
});

interface Setup {
  bucket: string;
  queue: string;
  results: Collector<BucketScanResult>;
  watchers: BucketWatchers;
}

/** A bucket, its queue, a watcher on both publishing every result, and a collector of those results. */
async function watch(overrides: Partial<BucketConfig> & Record<string, unknown> = {}, scanners: Scanner[] = [clamav]): Promise<Setup> {
  const bucket = uniqueBucket('uploads');
  const queue = uniqueName('bucket');
  const exchange = uniqueName('results');
  await s3.createBucket(bucket);
  ownTopology(amqp, queue);
  const results = await amqp.collect<BucketScanResult>(exchange);
  const config = bucketSchema.parse({
    bucket,
    s3: s3.config,
    amqp: { url: testAmqpUrl, queue },
    publish: { exchange, reportClean: true },
    ...overrides,
  });
  const watchers = await startBucketWatchers({ buckets: [config], scanners, store, logger });
  running.push(watchers);
  return { bucket, queue, results, watchers };
}

const byKey = (results: BucketScanResult[]) => new Map(results.map((r) => [r.key, r]));

describe('bucket watch over AMQP', () => {
  it('deletes EICAR, tags clean and too-large, handles a redelivered event once and dead-letters garbage', async () => {
    const { bucket, queue, results } = await watch({ onInfected: 'delete', maxSizeBytes: 64 * 1024, concurrency: 1 });
    const clean = await s3.put(bucket, 'docs/read me.txt', 'just text');
    const eicar = await s3.put(bucket, 'eicar.com', eicarBytes());
    const big = await s3.put(bucket, 'big.bin', Buffer.alloc(65 * 1024, 7));
    for (const put of [clean, eicar, big]) await amqp.send(queue, put.event);
    const first = byKey(await results.waitFor(3));

    expect(first.get('eicar.com')).toMatchObject({ status: 'infected', action: 'deleted', findings: [{ scanner: 'clamav', signature: expect.stringContaining('EICAR') }] });
    expect(await s3.exists(bucket, 'eicar.com')).toBe(false);
    expect(first.get('docs/read me.txt')).toMatchObject({ status: 'clean', action: 'tagged', etag: clean.etag, scanners: [{ name: 'clamav', cached: false }] });
    expect(await s3.tags(bucket, 'docs/read me.txt')).toMatchObject({ 'scan-status': 'clean', scanner: expect.stringMatching(/^clamav=ClamAV /) });
    expect(first.get('big.bin')).toMatchObject({ status: 'too-large', action: 'tagged', scanners: [] });
    expect((await s3.tags(bucket, 'big.bin'))?.['scan-status']).toBe('too-large');

    // The same events again (a redelivery), then a marker: with one message at a time, the
    // marker's result means the duplicates were consumed before it.
    await amqp.send(queue, clean.event);
    await amqp.send(queue, eicar.event);
    const marker = await s3.put(bucket, 'marker.txt', 'marker');
    await amqp.send(queue, marker.event);
    await results.waitFor(4);
    expect(results.messages.map((r) => r.key).sort()).toEqual(['big.bin', 'docs/read me.txt', 'eicar.com', 'marker.txt']);
    expect(await store.get({ bucket, key: 'docs/read me.txt', etag: clean.etag })).toMatchObject({ status: 'clean', attempts: 1 });

    await amqp.send(queue, 'this is not an S3 event');
    const dead = await amqp.take(`${queue}.dead`);
    expect(dead.content.toString()).toBe('this is not an S3 event');
    expect(dead.properties.headers?.[reasonHeader]).toBe('not JSON');
    expect(dead.properties.headers?.[attemptsHeader]).toBe(1);
  });

  it('moves EICAR to the quarantine bucket, tagged infected, and leaves nothing behind', async () => {
    const quarantine = uniqueBucket('quarantine');
    await s3.createBucket(quarantine);
    const { bucket, queue, results } = await watch({ onInfected: `quarantine:${quarantine}` });
    const eicar = await s3.put(bucket, 'in/eicar copy.com', eicarBytes());
    await amqp.send(queue, eicar.event);
    const [result] = await results.waitFor(1);
    expect(result).toMatchObject({ status: 'infected', action: 'quarantined', quarantine: { bucket: quarantine, key: `${bucket}/in/eicar copy.com` } });
    expect(await s3.exists(bucket, 'in/eicar copy.com')).toBe(false);
    expect(await s3.tags(quarantine, `${bucket}/in/eicar copy.com`)).toMatchObject({ 'scan-status': 'infected' });
  });

  it('consumes again on a fresh channel when the broker cancels it (the queue deleted under it)', async () => {
    const { bucket, queue, results } = await watch();
    await amqp.channel.deleteQueue(queue);
    await untilAsync(() => amqp.queueExists(queue), 30_000, () => `${queue} was not declared again`);
    const put = await s3.put(bucket, 'after-reconnect.txt', 'after');
    await amqp.send(queue, put.event);
    expect(await results.waitFor(1)).toMatchObject([{ key: 'after-reconnect.txt', status: 'clean' }]);
  });

  it('stops the start when the broker refuses the credentials, and retries a broker not reachable yet', async () => {
    const bucket = uniqueBucket('broker');
    const config = (url: string) => bucketSchema.parse({ bucket, s3: s3.config, amqp: { url, queue: uniqueName('never') } });
    const refused = startBucketWatchers({ buckets: [config(testAmqpUrl.replace('guest:guest', 'guest:wrong'))], scanners: [clamav], store, logger });
    await expect(refused).rejects.toThrow(/ACCESS.REFUSED|403/);
    const unreachable = await startBucketWatchers({ buckets: [config(`amqp://guest:guest@127.0.0.1:${await freePort()}`)], scanners: [clamav], store, logger });
    await unreachable.stop();
  });

  it('tags a scanner error `error`, retries it, then dead-letters it and publishes the error, never clean', async () => {
    const broken = new CommandScanner({ name: 'broken', command: ['/bin/sh', '-c', 'exit 3', 'scan', '{path}'] });
    const { bucket, queue, results } = await watch({ retry: { maxAttempts: 2, baseSeconds: 0.1, capSeconds: 0.1 } }, [broken]);
    const put = await s3.put(bucket, 'anything.txt', 'anything');
    await amqp.send(queue, put.event);
    const dead = await amqp.take(`${queue}.dead`);
    expect(dead.properties.headers?.[attemptsHeader]).toBe(2);
    expect(String(dead.properties.headers?.[reasonHeader])).toMatch(/^failed 2 times: broken: /);
    const [result] = await results.waitFor(1);
    expect(result).toMatchObject({ status: 'error', action: 'tagged', attempt: 2, error: expect.stringContaining('broken') });
    expect((await s3.tags(bucket, 'anything.txt'))?.['scan-status']).toBe('error');
    expect(await store.get({ bucket, key: 'anything.txt', etag: put.etag })).toMatchObject({ status: 'error', attempts: 2, failures: 2 });
  });
});

describe('bucket watchers inside serve', () => {
  it('take webhook events on POST /buckets/events and poll the bucket for the rest', async () => {
    const bucket = uniqueBucket('served');
    await s3.createBucket(bucket);
    const configFile = join(dataDir, `${bucket}.yml`);
    const bucketConfig = { bucket, s3: s3.config, webhook: { token: 'webhook-secret' }, poll: { intervalSeconds: 0.5 }, onInfected: 'delete' };
    await writeFile(configFile, JSON.stringify({ buckets: [bucketConfig] }));
    const server = await startScangate({ args: ['--config', configFile], scan: ['--clamd', clamd.tcpAddress] });
    try {
      const eicar = await s3.put(bucket, 'hooked/eicar.com', eicarBytes());
      const refused = await fetch(`${server.url}/buckets/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(eicar.event) });
      expect(refused.status).toBe(401);
      const res = await fetch(`${server.url}/buckets/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer webhook-secret' },
        body: JSON.stringify(eicar.event),
      });
      const body = await res.json();
      // The poller may have got there first: then the webhook's event is a duplicate (or busy).
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ handled: [{ key: 'hooked/eicar.com', outcome: expect.stringMatching(/^(decided|duplicate|gone|busy)$/) }] });
      await untilAsync(async () => !(await s3.exists(bucket, 'hooked/eicar.com')), 30_000, () => server.logs());
      // No event for this one: the poller finds it.
      await s3.put(bucket, 'polled/clean.txt', 'no event was sent for this');
      await untilAsync(async () => (await s3.tags(bucket, 'polled/clean.txt'))?.['scan-status'] === 'clean', 30_000, () => server.logs());
    } finally {
      expect(await server.stop(), server.logs()).toEqual({ code: 0, signal: null });
    }
  });
});

describe('two workers on one queue', () => {
  it('split 200 objects, none lost and none done twice (one of them a `scangate bucket watch` process)', async () => {
    const objects = 200;
    const setup = await watch({ onInfected: 'delete', concurrency: 2 });
    const { bucket, queue, results } = setup;
    const exchange = setup.watchers.watchers[0]!.config.publish!.exchange;
    const child = spawnScangate(
      ['bucket', 'watch', '--data', dataDir, '--log-level', 'info', '--bucket', bucket, '--amqp', testAmqpUrl, '--queue', queue,
        '--s3-endpoint', s3.endpoint, '--path-style', '--clamd', clamd.tcpAddress, '--on-infected', 'delete',
        '--publish-exchange', exchange, '--report-clean', '--concurrency', '2'],
      { ...cleanEnv, AWS_ACCESS_KEY_ID: s3rverCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3rverCredentials.secretAccessKey },
      { mergeStderr: true },
    );
    try {
      await until(() => child.output().includes('scangate bucket watch started'), 30_000, () => `the child did not start:\n${child.output()}`);
      const events = [];
      for (let i = 0; i < objects; i++) events.push((await s3.put(bucket, `batch/object-${i}.txt`, `object ${i} ${Math.random()}`)).event);
      for (const event of events) await amqp.send(queue, event);
      const all = await results.waitFor(objects, 60_000);
      const keys = new Set(all.map((r) => r.key));
      expect(keys.size).toBe(objects);
      expect(all).toHaveLength(objects);
      expect(all.every((r) => r.status === 'clean')).toBe(true);
      const workers = new Map<string, number>();
      for (const r of all) workers.set(r.worker, (workers.get(r.worker) ?? 0) + 1);
      expect(workers.size, `results by worker: ${JSON.stringify([...workers])}`).toBe(2);
      for (let i = 0; i < objects; i++) {
        const key = `batch/object-${i}.txt`;
        expect((await s3.tags(bucket, key))?.['scan-status'], key).toBe('clean');
        const etag = all.find((r) => r.key === key)!.etag;
        expect((await store.get({ bucket, key, etag }))?.attempts, key).toBe(1);
      }
    } finally {
      child.child.kill('SIGTERM');
      expect(await child.exited, child.output()).toBe(0);
    }
  });
});

async function untilAsync(condition: () => Promise<boolean>, timeoutMs: number, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function until(condition: () => boolean, timeoutMs: number, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
