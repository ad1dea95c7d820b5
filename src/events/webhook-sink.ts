// The webhook sink: matches each event against the subscriptions and, for those that want
// it, writes the event, a delivery per subscription and a delivery job, in the background.
// emit() only appends to a batch; the batch is written on the next turn of the event loop
// (one transaction for however many events came meanwhile), so a request that emits pays for
// an array push and nothing else. An event no enabled subscription wants is never written:
// that keeps pulls, the busiest event, free unless someone subscribed to artifact.pulled.
//
// Durability: an event is durable once its batch is written, a few milliseconds after it
// happened; what a crash loses is that last batch, never a delivery already written (its job
// is on the durable queue, and pending deliveries are queued again at start: sweep()).
import type { Logger } from 'pino';
import type { DomainEvent } from '../domain/events.js';
import type { EventSink } from '../ports/event-sink.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { WebhookStore } from '../ports/webhook-store.js';
import { deliveryJob } from './webhooks/delivery-job.js';
import { wants, type SubscriptionCache } from './webhooks/subscription-cache.js';

/** Events held while the database does not answer; past this the oldest are dropped (and logged). */
const maxBuffered = 10_000;
const sweepPage = 500;
const retryFlushMs = 1_000;

export interface WebhookSinkDeps {
  store: Pick<WebhookStore, 'recordEvents' | 'pendingDeliveries'>;
  queue: Pick<JobQueue, 'enqueue'>;
  subscriptions: SubscriptionCache;
  logger: Pick<Logger, 'error' | 'warn' | 'info'>;
}

export class WebhookSink implements EventSink {
  #batch: DomainEvent[] = [];
  #scheduled = false;
  /** The flushes run one after another: the last one's end. */
  #flushed: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(private readonly deps: WebhookSinkDeps) {}

  emit(event: DomainEvent): void {
    if (this.#closed) {
      this.deps.logger.warn({ event: event.type, id: event.id }, 'an event came after the webhook sink closed; not sent');
      return;
    }
    this.#batch.push(event);
    if (this.#batch.length > maxBuffered) {
      const dropped = this.#batch.splice(0, this.#batch.length - maxBuffered);
      this.deps.logger.error({ dropped: dropped.length }, 'webhook events are not being written (database?); dropped the oldest');
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flushed = this.#flushed.then(() => this.#flush());
    });
  }

  /** Writes what is batched now (tests, and close()). */
  flush(): Promise<void> {
    this.#flushed = this.#flushed.then(() => this.#flush());
    return this.#flushed;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  /**
   * Queues a delivery job for every pending delivery (deduplicated against the jobs that
   * exist): the deliveries whose job was never written (a crash between the two writes) or
   * ran out of claims. Run at start and now and then; resolves to how many it looked at.
   */
  async sweep(): Promise<number> {
    let seen = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.store.pendingDeliveries(sweepPage, after);
      for (const delivery of page) await this.deps.queue.enqueue(deliveryJob(delivery.id, delivery.nextAttemptAt ?? undefined));
      seen += page.length;
      if (page.length < sweepPage) return seen;
      after = page.at(-1)!.id;
    }
  }

  async #flush(): Promise<void> {
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    try {
      const subscriptions = await this.deps.subscriptions.current();
      const items = batch
        .map((event) => ({ event, subscriptions: subscriptions.filter((s) => wants(s, event)).map((s) => s.name) }))
        .filter((item) => item.subscriptions.length > 0);
      if (items.length === 0) return;
      const deliveries = await this.deps.store.recordEvents(items);
      for (const delivery of deliveries) await this.deps.queue.enqueue(deliveryJob(delivery.id));
    } catch (err) {
      // Put them back (oldest first) for the next flush; emit() bounds the batch.
      this.#batch = [...batch, ...this.#batch];
      if (this.#closed) {
        this.#batch = [];
        this.deps.logger.error({ err, events: batch.length }, 'could not write webhook events while closing; they are not sent');
        return;
      }
      this.deps.logger.error({ err, events: batch.length }, 'could not write webhook events; trying again in a second');
      setTimeout(() => void this.flush(), retryFlushMs).unref();
    }
  }
}
