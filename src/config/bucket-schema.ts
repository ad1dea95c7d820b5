// The config of bucket scanning (docs/buckets.md): which S3 buckets are watched, where their
// event notifications come from (an AMQP queue, POST /buckets/events, or polling), what is
// done with an infected object, and where results are published. `buckets:` in the file;
// `scangate bucket watch` builds one entry from its flags (src/cli/bucket-flags.ts).
import { z } from 'zod';

const scannerName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a scanner name from scanning.scanners');
const amqpUrl = z.string().regex(/^amqps?:\/\//, 'expected an amqp:// or amqps:// URL');
/** A queue or exchange name as RabbitMQ takes it (up to 255 bytes of UTF-8). */
const amqpName = z.string().min(1).max(255);

const s3 = z
  .object({
    /** e.g. `http://minio:9000`; absent for AWS itself. */
    endpoint: z.string().url().optional(),
    region: z.string().min(1).default('us-east-1'),
    /** Path-style addressing (`ENDPOINT/BUCKET/KEY`), as MinIO, Ceph and s3rver want. */
    forcePathStyle: z.boolean().default(false),
    /** Without both, the AWS SDK's own chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, instance roles. */
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => (c.accessKeyId === undefined) === (c.secretAccessKey === undefined), 'give both accessKeyId and secretAccessKey, or neither');

const amqp = z
  .object({
    url: amqpUrl,
    /** The queue the bucket's notifications arrive in; declared durable, with a dead-letter exchange. */
    queue: amqpName,
    /** Where poison messages go (default `QUEUE.dead`, a fanout exchange bound to the queue `QUEUE.dead`). */
    deadLetterExchange: amqpName.optional(),
    deadLetterQueue: amqpName.optional(),
    /** Messages wait here for their retry (per-message TTL), then return to the queue (default `QUEUE.retry`). */
    retryQueue: amqpName.optional(),
    /** Bind the queue to the exchange the object store publishes to (MinIO's `exchange`, `routing_key`). */
    bind: z
      .object({
        exchange: amqpName,
        routingKey: z.string().default(''),
        /** Declared durable with this type; it must match how the object store declares it. */
        type: z.enum(['direct', 'fanout', 'topic']).default('direct'),
      })
      .strict()
      .optional(),
  })
  .strict();

const webhook = z
  .object({
    /** Events for this bucket on POST /buckets/events must carry `Authorization: Bearer TOKEN` (MinIO's auth_token). */
    token: z.string().min(1).optional(),
  })
  .strict();

const poll = z
  .object({
    intervalSeconds: z.number().positive().default(60),
    /** Only keys under this prefix. */
    prefix: z.string().default(''),
  })
  .strict();

const publish = z
  .object({
    /** Default: amqp.url. */
    url: amqpUrl.optional(),
    /** Declared durable (an empty name publishes through the default exchange, to the queue named by the routing key). */
    exchange: z.string().max(255),
    exchangeType: z.enum(['direct', 'fanout', 'topic']).default('topic'),
    routingKey: z.string().default('bucket.object.scanned'),
    /** Publish clean results too (like REPORT_CLEAN); by default only infected, too-large and errors. */
    reportClean: z.boolean().default(false),
  })
  .strict();

/** `delete`, `tag` or `quarantine:BUCKET`. */
export type OnInfected = { action: 'delete' } | { action: 'tag' } | { action: 'quarantine'; bucket: string };

export function parseOnInfected(value: string): OnInfected | undefined {
  if (value === 'delete' || value === 'tag') return { action: value };
  const quarantine = /^quarantine:([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/.exec(value);
  return quarantine ? { action: 'quarantine', bucket: quarantine[1]! } : undefined;
}

const retry = z
  .object({
    /** Tries of an object whose scan or action fails before its message is dead-lettered. */
    maxAttempts: z.number().int().positive().default(5),
    baseSeconds: z.number().positive().default(5),
    capSeconds: z.number().positive().default(300),
  })
  .strict();

export const bucketSchema = z
  .object({
    /** Names the watcher in logs and results; default the bucket's name. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, ., - and _').optional(),
    /** The S3 bucket watched. */
    bucket: z.string().min(1).max(255),
    s3: s3.default(() => s3.parse({})),
    amqp: amqp.optional(),
    /** Accept this bucket's events on POST /buckets/events (serve only). */
    webhook: webhook.optional(),
    /** List the bucket every interval and handle what is not yet handled (a fallback for missed events). */
    poll: poll.optional(),
    /** The scanners (of scanning.scanners) that must pass an object; default every one. */
    scanners: z.array(scannerName).min(1).optional(),
    onInfected: z.string().refine((v) => parseOnInfected(v) !== undefined, 'expected delete, tag or quarantine:BUCKET').default('tag'),
    /** Objects larger than this are tagged `too-large` (never clean) without a scan. */
    maxSizeBytes: z.number().int().positive().default(1024 * 1024 * 1024),
    /** Objects handled at once in this process (also the AMQP prefetch). */
    concurrency: z.number().int().positive().default(2),
    retry: retry.default(() => retry.parse({})),
    publish: publish.optional(),
    /**
     * Trust an ETag as the content's identity in the verdict cache when the object carries no
     * SHA-256 checksum. ETags are MD5 (of the bytes, or of the parts): false scans such objects
     * every time rather than trust MD5.
     */
    cacheByEtag: z.boolean().default(true),
  })
  .strict()
  .refine((b) => b.amqp !== undefined || b.webhook !== undefined || b.poll !== undefined, {
    message: 'a bucket needs a source of events: amqp, webhook or poll',
  })
  .refine((b) => b.onInfected !== `quarantine:${b.bucket}`, {
    message: 'the quarantine bucket must be another bucket than the one watched',
    path: ['onInfected'],
  })
  .refine((b) => b.publish === undefined || b.publish.url !== undefined || b.amqp !== undefined, {
    message: 'publish needs a url when the bucket has no amqp',
    path: ['publish', 'url'],
  });

export type BucketConfig = z.infer<typeof bucketSchema>;

/** The watcher's name: its own, or the bucket's. */
export const bucketLabel = (bucket: Pick<BucketConfig, 'name' | 'bucket'>): string => bucket.name ?? bucket.bucket;

export const bucketsSchema = z
  .array(bucketSchema)
  .default([])
  .superRefine((buckets, ctx) => {
    const names = buckets.map(bucketLabel);
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate) ctx.addIssue({ code: 'custom', message: `bucket watcher ${duplicate} is configured twice (give each a distinct name)` });
    // POST /buckets/events finds the watcher by the bucket a record names.
    const hooked = buckets.filter((b) => b.webhook).map((b) => b.bucket);
    const twice = hooked.find((name, i) => hooked.indexOf(name) !== i);
    if (twice) ctx.addIssue({ code: 'custom', message: `bucket ${twice} has two watchers with a webhook; give it one` });
  });
