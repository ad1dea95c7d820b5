// Starts one watcher per `buckets:` entry: its S3 client, its scanners (of those configured),
// its result publisher, the processor that handles its objects, and its sources of events
// (an AMQP queue and a poller, started here; webhook events arrive through the intake, which
// `serve` mounts at POST /buckets/events). `serve` and `scangate bucket watch` both use it.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { bucketLabel, parseOnInfected, type BucketConfig } from '../config/bucket-schema.js';
import { ConfigError } from '../config/load.js';
import type { BucketScanStore } from '../ports/bucket-scan-store.js';
import type { Events } from '../ports/event-sink.js';
import type { Scanner } from '../ports/scanner.js';
import { AmqpEventSource } from './amqp-source.js';
import { BucketEventIntake, type WebhookTarget } from './event-intake.js';
import { ObjectActions } from './object-actions.js';
import { ObjectProcessor } from './object-processor.js';
import { PollSource } from './poll-source.js';
import type { BucketResultPublisher } from './result.js';
import { resultPublisherFor } from './result-publishers.js';
import { S3BucketObjects, type BucketObjects } from './s3-objects.js';

export interface BucketWatchDeps {
  buckets: readonly BucketConfig[];
  /** Every configured scanner; each bucket takes those it names (default all). */
  scanners: readonly Scanner[];
  store: BucketScanStore;
  logger: Logger;
  /** Where results go instead of the configured publisher (tests). */
  publisherFor?: (bucket: BucketConfig) => BucketResultPublisher;
  /** Domain events: each decision also becomes a `bucket.object.scanned` event. */
  events?: Events;
}

export interface BucketWatcher {
  name: string;
  config: BucketConfig;
  processor: ObjectProcessor;
  amqp?: AmqpEventSource;
  poll?: PollSource;
  stop(): Promise<void>;
}

export interface BucketWatchers {
  watchers: BucketWatcher[];
  /** POST /buckets/events, when some bucket takes webhook events. */
  intake?: BucketEventIntake;
  stop(): Promise<void>;
}

export async function startBucketWatchers(deps: BucketWatchDeps): Promise<BucketWatchers> {
  const watchers: BucketWatcher[] = [];
  const stopAll = async () => {
    await Promise.allSettled(watchers.map((w) => w.stop()));
  };
  try {
    for (const bucket of deps.buckets) watchers.push(await startWatcher(bucket, deps));
  } catch (err) {
    await stopAll();
    throw err;
  }
  const targets = new Map<string, WebhookTarget>();
  for (const w of watchers) {
    if (!w.config.webhook) continue;
    targets.set(w.config.bucket, { processor: w.processor, maxAttempts: w.config.retry.maxAttempts, ...(w.config.webhook.token ? { token: w.config.webhook.token } : {}) });
  }
  let stopped: Promise<void> | undefined;
  return { watchers, ...(targets.size > 0 ? { intake: new BucketEventIntake(targets) } : {}), stop: () => (stopped ??= stopAll()) };
}

async function startWatcher(config: BucketConfig, deps: BucketWatchDeps): Promise<BucketWatcher> {
  const name = bucketLabel(config);
  const logger = deps.logger.child({ bucketWatcher: name });
  const scanners = scannersOf(config, deps.scanners, name);
  const objects: BucketObjects = new S3BucketObjects(config.s3);
  const publisher = deps.publisherFor?.(config) ?? resultPublisherFor(config, logger);
  const processor = new ObjectProcessor({
    watcher: name,
    config,
    reportClean: config.publish?.reportClean ?? false,
    objects,
    store: deps.store,
    scanners,
    actions: new ObjectActions(objects, parseOnInfected(config.onInfected)!),
    publisher,
    ...(deps.events ? { events: deps.events } : {}),
    logger,
    owner: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
  });
  const amqp = config.amqp
    ? new AmqpEventSource({ bucket: config.bucket, amqp: config.amqp, prefetch: config.concurrency, retry: config.retry, processor, logger })
    : undefined;
  const poll = config.poll
    ? new PollSource({
        bucket: config.bucket,
        prefix: config.poll.prefix,
        intervalMs: config.poll.intervalSeconds * 1000,
        concurrency: config.concurrency,
        maxAttempts: config.retry.maxAttempts,
        objects,
        store: deps.store,
        processor,
        logger,
      })
    : undefined;
  const stop = async () => {
    await Promise.allSettled([amqp?.stop(), poll?.stop()]);
    await publisher.close().catch(() => {});
    objects.close();
  };
  try {
    await amqp?.start();
  } catch (err) {
    await stop();
    throw new Error(`bucket watcher ${name}: ${(err as Error).message}`, { cause: err });
  }
  poll?.start();
  logger.info(
    { bucket: config.bucket, scanners: scanners.map((s) => s.name), onInfected: config.onInfected, sources: [amqp && 'amqp', config.webhook && 'webhook', poll && 'poll'].filter(Boolean) },
    'bucket watcher started',
  );
  return { name, config, processor, ...(amqp ? { amqp } : {}), ...(poll ? { poll } : {}), stop };
}

function scannersOf(config: BucketConfig, all: readonly Scanner[], name: string): Scanner[] {
  if (!config.scanners) {
    if (all.length === 0) throw new ConfigError('the configuration', [`buckets.${name}: there are no scanners (scanning.scanners)`]);
    return [...all];
  }
  const unknown = config.scanners.filter((s) => !all.some((scanner) => scanner.name === s));
  if (unknown.length > 0) throw new ConfigError('the configuration', [`buckets.${name}.scanners: no scanner is named ${unknown.join(', ')}`]);
  return all.filter((s) => config.scanners!.includes(s.name));
}

/** The watchers of `serve` (config `buckets:`), on the scan gate's scanners; none without buckets. */
export async function startServeBucketWatchers(
  config: { buckets: readonly BucketConfig[]; scanning: { enabled: boolean } },
  deps: Omit<BucketWatchDeps, 'buckets'>,
): Promise<BucketWatchers | undefined> {
  if (config.buckets.length === 0) return undefined;
  if (!config.scanning.enabled) throw new ConfigError('the configuration', ['buckets: bucket scanning needs scanning.enabled (it has no scanners with --no-scan)']);
  return startBucketWatchers({ ...deps, buckets: config.buckets });
}
