// Assembles events from config: the recorder that emitters hold, its sinks (the log, the
// webhooks), the subscriptions of the config file synced into the database, the admin API's
// side, and the workers that deliver. `serve` and `scangate worker` both run deliveries; the
// queue's leases make each attempt run once among them.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ConfigSubscription } from '../config/webhook-schema.js';
import type { Config } from '../config/schema.js';
import { WorkerPool } from '../jobs/worker-pool.js';
import type { EventSink, Events } from '../ports/event-sink.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { NewSubscription, WebhookStore } from '../ports/webhook-store.js';
import { LogEventSink } from './log-sink.js';
import { EventRecorder } from './recorder.js';
import { WebhookSink } from './webhook-sink.js';
import { deliveryJobHandler, deliveryJobKind, type DeliveryJobDeps } from './webhooks/delivery-job.js';
import { sendWithUndici, type Sender } from './webhooks/http-sender.js';
import { SubscriptionCache } from './webhooks/subscription-cache.js';
import { WebhookAdmin } from './webhooks/webhook-admin.js';

export interface EventsDeps {
  config: Config;
  store: WebhookStore;
  queue: JobQueue;
  logger: Logger;
  /** How deliveries are POSTed (default: undici). */
  send?: Sender;
  /** Told each delivery attempt's outcome and duration (Prometheus: scangate_webhook_*). */
  observeDelivery?: DeliveryJobDeps['observe'];
}

export interface EventsRuntime {
  /** What emitters hold. */
  events: Events;
  /** The admin API's side of webhooks. */
  admin: WebhookAdmin;
  /** The webhook sink (tests flush it). */
  webhooks: WebhookSink;
  /** Runs delivery jobs in this process, queues again deliveries left pending, prunes old ones. */
  startDeliveries(): void;
  /** Stops delivering (running attempts get a few seconds), then writes the last events. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Long enough for the heartbeat (every third of it) to keep a slow POST leased; short enough
 * that a delivery cut off by a crash is tried again within seconds of a restart.
 */
const leaseMs = 10_000;
const housekeepingMs = 60 * 60_000;

export async function createEvents(deps: EventsDeps): Promise<EventsRuntime> {
  const { config, store, queue, logger } = deps;
  const webhooks = config.webhooks;
  const { conflicts } = await store.syncConfigSubscriptions(webhooks.subscriptions.map(fromConfig));
  for (const name of conflicts) logger.warn({ webhook: name }, 'a webhook of the config file has the name of one made through the admin API; the API one is kept (rename one of them)');
  const subscriptions = new SubscriptionCache(store);
  const sink = new WebhookSink({ store, queue, subscriptions, logger });
  const sinks: EventSink[] = config.events.log === 'off' ? [sink] : [new LogEventSink(logger, config.events.log), sink];
  const recorder = new EventRecorder(sinks, logger);
  const admin = new WebhookAdmin({ store, queue, subscriptions, rotationGraceSeconds: webhooks.rotationGraceSeconds });
  const publicUrl = webhooks.publicUrl ?? `http://${config.listen}`;
  const pool = new WorkerPool({
    queue,
    owner: `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}:webhooks`,
    handlers: {
      [deliveryJobKind]: deliveryJobHandler({
        store,
        send: deps.send ?? sendWithUndici,
        retry: { maxAttempts: webhooks.retry.maxAttempts, baseMs: webhooks.retry.baseSeconds * 1000, capMs: webhooks.retry.capSeconds * 1000 },
        timeoutMs: webhooks.timeoutSeconds * 1000,
        publicUrl,
        logger,
        ...(deps.observeDelivery ? { observe: deps.observeDelivery } : {}),
      }),
    },
    concurrency: webhooks.concurrency,
    leaseMs,
    pollMs: 1_000,
    logger,
  });
  let started = false;
  let housekeeping: NodeJS.Timeout | undefined;
  const tidy = async () => {
    try {
      const queued = await sink.sweep();
      const pruned = await store.prune(new Date(Date.now() - webhooks.retentionDays * 24 * 60 * 60_000));
      if (pruned > 0) logger.info({ pruned }, 'pruned finished webhook deliveries past webhooks.retentionDays');
      if (queued > 0) logger.info({ pending: queued }, 'webhook deliveries pending: their jobs are queued');
    } catch (err) {
      logger.warn({ err }, 'webhook housekeeping failed; trying again later');
    }
  };
  let stopped: Promise<void> | undefined;
  return {
    events: recorder,
    admin,
    webhooks: sink,
    startDeliveries() {
      if (started) return;
      started = true;
      pool.start();
      void tidy();
      housekeeping = setInterval(() => void tidy(), housekeepingMs).unref();
    },
    stop: () =>
      (stopped ??= (async () => {
        clearInterval(housekeeping);
        if (started) await pool.stop({ deadlineMs: 5_000 });
        await recorder.close();
      })()),
  };
}

function fromConfig(subscription: ConfigSubscription): NewSubscription {
  const { secret, previousSecret, ...settings } = subscription;
  return { ...settings, source: 'config', secret, previousSecret: previousSecret ?? null, previousSecretExpiresAt: null };
}
