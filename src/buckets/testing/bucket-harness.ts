// What the bucket module tests share: a real S3 server (s3rver) with a fresh bucket, the
// real SQLite store in a temp dir, the deterministic TestScanner, and a processor over them
// whose results are kept in memory. The AMQP side (sources, publisher) runs in the e2e test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startS3rver, uniqueBucket, type RunningS3 } from '../../../test/support/s3rver.js';
import { bucketSchema, parseOnInfected, type BucketConfig } from '../../config/bucket-schema.js';
import { openDatabase } from '../../metadata/database.js';
import { migrateToLatest } from '../../metadata/migrations/index.js';
import { SqlBucketScanStore } from '../../metadata/sql-bucket-scan-store.js';
import type { DomainEvent } from '../../domain/events.js';
import type { Scanner } from '../../ports/scanner.js';
import { TestScanner } from '../../quarantine/testing/test-scanner.js';
import { ObjectActions } from '../object-actions.js';
import { ObjectProcessor } from '../object-processor.js';
import type { BucketResultPublisher, BucketScanResult } from '../result.js';
import { S3BucketObjects } from '../s3-objects.js';

export const silentLogger = pino({ level: 'silent' });

/** Keeps what is published; `failing` makes publish() reject (a broker that is down). */
export class MemoryPublisher implements BucketResultPublisher {
  readonly results: BucketScanResult[] = [];
  failing = false;

  async publish(result: BucketScanResult): Promise<void> {
    if (this.failing) throw new Error('the broker is down');
    this.results.push(result);
  }

  async close(): Promise<void> {}
}

export interface BucketHarness {
  s3: RunningS3;
  bucket: string;
  store: SqlBucketScanStore;
  scanner: TestScanner;
  publisher: MemoryPublisher;
  /** The domain events the processors emitted. */
  events: DomainEvent[];
  objects: S3BucketObjects;
  /** A processor for the harness's bucket; config overrides on top of a webhook-only bucket. */
  processor(overrides?: Record<string, unknown>, scanners?: Scanner[]): { processor: ObjectProcessor; config: BucketConfig };
  /** A fresh bucket on the same server. */
  newBucket(prefix?: string): Promise<string>;
  dispose(): Promise<void>;
}

export async function startBucketHarness(): Promise<BucketHarness> {
  const s3 = await startS3rver();
  const dir = await mkdtemp(join(tmpdir(), 'scangate-bucket-'));
  const db = openDatabase({ driver: 'sqlite' }, dir);
  await migrateToLatest(db, 'sqlite');
  const store = new SqlBucketScanStore(db);
  const bucket = uniqueBucket('uploads');
  await s3.createBucket(bucket);
  const scanner = new TestScanner('test');
  const publisher = new MemoryPublisher();
  const events: DomainEvent[] = [];
  const objects = new S3BucketObjects(s3.config);
  let instances = 0;
  return {
    s3,
    bucket,
    store,
    scanner,
    publisher,
    events,
    objects,
    processor: (overrides = {}, scanners = [scanner]) => {
      const config = bucketSchema.parse({ bucket, s3: s3.config, webhook: {}, ...overrides });
      const processor = new ObjectProcessor({
        watcher: 'test',
        config,
        reportClean: true,
        objects,
        store,
        scanners,
        actions: new ObjectActions(objects, parseOnInfected(config.onInfected)!),
        publisher,
        events: { emit: (event) => events.push(event) },
        logger: silentLogger,
        owner: `test-worker-${++instances}`,
      });
      return { processor, config };
    },
    newBucket: async (prefix = 'other') => {
      const name = uniqueBucket(prefix);
      await s3.createBucket(name);
      return name;
    },
    dispose: async () => {
      objects.close();
      await db.destroy();
      await s3.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
