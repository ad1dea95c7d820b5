// `scangate bucket watch`: the bucket watchers of the config (and of the command's flags)
// without an HTTP listener, on the configured database and scanners. Several of them (and
// `serve` with the same `buckets:`) share each bucket's queue; the database keeps any object
// version from being handled twice.
import type { Logger } from 'pino';
import { composeMigrated } from '../compose.js';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createEvents } from '../events/runtime.js';
import { createScanners } from '../scanners/factory.js';
import { startBucketWatchers } from './watchers.js';

export interface RunningBucketWatch {
  /** Stops consuming, lets running scans finish (then aborts them), closes the database. Idempotent. */
  stop(): Promise<void>;
}

export async function startBucketWatch(config: Config, logger: Logger): Promise<RunningBucketWatch> {
  if (config.buckets.length === 0) {
    throw new ConfigError('the configuration', ['buckets: no bucket to watch (give --bucket with its flags, or buckets: in the config file)']);
  }
  if (!config.scanning.enabled) throw new ConfigError('the configuration', ['scanning.enabled: false leaves bucket watching nothing to scan with']);
  const services = await composeMigrated(config);
  const closers: (() => Promise<void>)[] = [() => services.close()];
  const stop = async () => {
    for (const close of closers.splice(0)) await close().catch((err: unknown) => logger.warn({ err }, 'error while stopping'));
  };
  try {
    const scanners = await createScanners(config.scanning, services.dataDir, logger);
    closers.unshift(() => scanners.close());
    // Decisions become `bucket.object.scanned` events; `serve` and `scangate worker` processes
    // on the same database deliver their webhooks (this process delivers none).
    const events = await createEvents({ config, store: services.webhooks, queue: services.queue, logger });
    closers.unshift(() => events.stop());
    const watchers = await startBucketWatchers({ buckets: config.buckets, scanners: scanners.scanners, store: services.bucketScans, events: events.events, logger });
    closers.unshift(() => watchers.stop());
    for (const w of watchers.watchers) {
      if (w.config.webhook && !w.amqp && !w.poll) logger.warn({ bucketWatcher: w.name }, 'this watcher only takes webhook events, which only `serve` receives: it does nothing here');
    }
    logger.info({ watchers: watchers.watchers.map((w) => w.name), database: config.database.driver }, 'scangate bucket watch started');
  } catch (err) {
    await stop();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return { stop: () => (stopped ??= stop()) };
}
