// Consumes a bucket's S3 event notifications from its AMQP queue, at most `prefetch` at once,
// and acks a message only once every object it names has been handled (decided and acted
// on): a worker that dies mid-way leaves its messages unacked, and the broker gives them to
// another. Several workers (processes) on one queue share its messages; the claim in the
// database keeps a message delivered twice from being handled twice.
//
// What becomes of a message:
// - handled, a duplicate, gone, busy elsewhere: ack;
// - not a notification (unparseable), or for another bucket: dead-lettered at once;
// - failed, retryable, tries left: republished to QUEUE.retry with a backoff TTL and the
//   try counted in the x-scangate-attempts header, then acked;
// - failed for good (not retryable, or out of tries): the error result published, then
//   dead-lettered with the reason (the object keeps its `error` tag, never clean);
// - scanners down: back to QUEUE.retry with the same count (no try spent), then acked.
// Republishing waits for the broker's confirm before the ack, so no message is lost between.
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { BucketConfig } from '../config/bucket-schema.js';
import { backoffDelayMs } from '../jobs/backoff.js';
import { AmqpLink } from './amqp-link.js';
import { declareTopology, topologyOf, type AmqpSourceConfig, type AmqpTopology } from './amqp-topology.js';
import type { FailedOutcome, ObjectProcessor, ObjectTrigger, ProcessOutcome } from './object-processor.js';
import { parseNotification, triggerOf } from './s3-events.js';

export const attemptsHeader = 'x-scangate-attempts';
export const reasonHeader = 'x-scangate-reason';
const lastErrorHeader = 'x-scangate-last-error';

/** How long a message waits while the scanners are down. */
const unavailableRetryMs = 5_000;
/** Running handlers get this long to finish on stop, then they are aborted (their messages return to the queue). */
const stopGraceMs = 10_000;
const reconnect = { baseMs: 1_000, capMs: 30_000 };

export interface AmqpSourceOptions {
  /** The S3 bucket the notifications must be about. */
  bucket: string;
  amqp: AmqpSourceConfig;
  prefetch: number;
  retry: BucketConfig['retry'];
  processor: ObjectProcessor;
  logger: Logger;
}

type Verdict = { kind: 'ack' } | { kind: 'retry'; attempts: number; delayMs: number; error: Error } | { kind: 'dead'; reason: string; attempts: number };

export class AmqpEventSource {
  readonly #link: AmqpLink;
  readonly #topology: AmqpTopology;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #channel: Channel | undefined;
  #consumerTag: string | undefined;
  #stopping = false;
  #reconnects = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: AmqpSourceOptions) {
    this.#link = new AmqpLink(options.amqp.url, options.logger);
    this.#topology = topologyOf(options.amqp);
  }

  get topology(): AmqpTopology {
    return this.#topology;
  }

  /**
   * Declares the queues and starts consuming. A broker that cannot be reached yet is retried
   * in the background (a broker down must not stop `serve`, and may start after scangate);
   * one that refuses the credentials or the declarations rejects: that is the config.
   */
  async start(): Promise<void> {
    try {
      await this.#consume();
    } catch (err) {
      if (isRefusal(err)) throw err;
      this.options.logger.warn({ err, queue: this.#topology.queue }, 'AMQP broker not reachable yet: retrying');
      this.#reconnectLater();
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#reconnectTimer);
    if (this.#channel && this.#consumerTag) await this.#channel.cancel(this.#consumerTag).catch(() => {});
    const settled = Promise.allSettled([...this.#inFlight]);
    const grace = new Promise((resolve) => setTimeout(resolve, stopGraceMs).unref());
    await Promise.race([settled, grace]);
    this.#abort.abort(new Error('the bucket watcher is stopping'));
    await Promise.allSettled([...this.#inFlight]);
    // Closing the channel returns whatever is still unacked to the queue.
    await this.#channel?.close().catch(() => {});
    await this.#link.close();
  }

  async #consume(): Promise<void> {
    const connection = await this.#link.connection();
    const channel = await connection.createChannel();
    channel.on('error', (err: Error) => this.options.logger.warn({ err, queue: this.#topology.queue }, 'AMQP channel failed'));
    channel.on('close', () => this.#lost(channel));
    await declareTopology(channel, this.options.amqp);
    await channel.prefetch(this.options.prefetch);
    const { consumerTag } = await channel.consume(this.#topology.queue, (message) => {
      // The broker cancelled us (the queue was deleted): start over on a fresh channel.
      if (message === null) return void channel.close().catch(() => {});
      this.#track(this.#handle(channel, message));
    });
    // From here on a close of this channel means: consume again.
    this.#channel = channel;
    this.#consumerTag = consumerTag;
    this.#reconnects = 0;
    this.options.logger.info({ queue: this.#topology.queue, prefetch: this.options.prefetch }, 'consuming bucket events');
  }

  /** The channel (or its connection) went away: consume again on a fresh one, with backoff. */
  #lost(channel: Channel): void {
    if (this.#stopping || channel !== this.#channel) return;
    this.#channel = undefined;
    this.#reconnectLater();
  }

  #reconnectLater(): void {
    const delay = Math.max(reconnect.baseMs, backoffDelayMs(++this.#reconnects, reconnect));
    this.options.logger.warn({ queue: this.#topology.queue, delayMs: delay }, 'AMQP channel closed or not open: reconnecting');
    this.#reconnectTimer = setTimeout(() => {
      this.#consume().catch((err: unknown) => {
        this.options.logger.warn({ err, queue: this.#topology.queue }, 'AMQP reconnect failed');
        if (!this.#stopping) this.#reconnectLater();
      });
    }, delay);
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  async #handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    const tried = Number(message.properties.headers?.[attemptsHeader] ?? 0);
    const attempt = (Number.isSafeInteger(tried) && tried >= 0 ? tried : 0) + 1;
    let verdict: Verdict;
    try {
      verdict = await this.#judge(message, attempt);
    } catch (err) {
      if (this.#abort.signal.aborted) return; // stopping: the channel's close requeues it
      this.options.logger.error({ err, queue: this.#topology.queue }, 'bucket event handling failed');
      verdict = this.#retryOrDead(attempt, err as Error);
    }
    await this.#settle(channel, message, verdict);
  }

  async #judge(message: ConsumeMessage, attempt: number): Promise<Verdict> {
    const notification = parseNotification(message.content);
    if (notification.kind === 'invalid') return { kind: 'dead', reason: notification.reason, attempts: attempt };
    if (notification.kind === 'test') return { kind: 'ack' };
    const foreign = notification.created.find((e) => e.bucket !== this.options.bucket);
    if (foreign) return { kind: 'dead', reason: `an event for bucket ${foreign.bucket}; this queue is for ${this.options.bucket}`, attempts: attempt };
    let verdict: Verdict = { kind: 'ack' };
    for (const event of notification.created) {
      const trigger: ObjectTrigger = { ...triggerOf(event), attempt };
      const outcome = await this.options.processor.process(trigger, this.#abort.signal);
      this.#log(trigger, outcome);
      verdict = worse(verdict, await this.#verdictOf(trigger, outcome));
    }
    return verdict;
  }

  async #verdictOf(trigger: ObjectTrigger, outcome: ProcessOutcome): Promise<Verdict> {
    if (outcome.kind === 'unavailable') return { kind: 'retry', attempts: trigger.attempt! - 1, delayMs: unavailableRetryMs, error: outcome.error };
    if (outcome.kind !== 'failed') return { kind: 'ack' };
    const verdict = this.#retryOrDead(outcome.attempt, outcome.error, outcome);
    if (verdict.kind === 'dead') await this.options.processor.reportFailure(trigger, outcome);
    return verdict;
  }

  #retryOrDead(attempt: number, error: Error, outcome?: FailedOutcome): Verdict {
    const retryable = outcome?.retryable ?? true;
    if (retryable && attempt < this.options.retry.maxAttempts) {
      const backoff = { baseMs: this.options.retry.baseSeconds * 1000, capMs: this.options.retry.capSeconds * 1000 };
      return { kind: 'retry', attempts: attempt, delayMs: Math.max(1000, backoffDelayMs(attempt, backoff)), error };
    }
    const why = retryable ? `failed ${attempt} times` : 'failed, and retrying cannot help';
    return { kind: 'dead', reason: `${why}: ${error.message}`, attempts: attempt };
  }

  async #settle(channel: Channel, message: ConsumeMessage, verdict: Verdict): Promise<void> {
    try {
      if (verdict.kind === 'retry') {
        await this.#link.publish('', this.#topology.retryQueue, message.content, {
          ...copiedProperties(message),
          expiration: String(verdict.delayMs),
          headers: { ...carriedHeaders(message), [attemptsHeader]: verdict.attempts, [lastErrorHeader]: verdict.error.message.slice(0, 1000) },
        });
      } else if (verdict.kind === 'dead') {
        this.options.logger.warn({ queue: this.#topology.queue, reason: verdict.reason }, 'bucket event dead-lettered');
        await this.#link.publish(this.#topology.deadLetterExchange, '', message.content, {
          ...copiedProperties(message),
          headers: { ...carriedHeaders(message), [attemptsHeader]: verdict.attempts, [reasonHeader]: verdict.reason.slice(0, 1000), 'x-scangate-queue': this.#topology.queue },
        });
      }
      channel.ack(message);
    } catch (err) {
      // Not republished: leave it to the broker. A dead letter still goes to the DLX (the
      // queue's x-dead-letter-exchange); a retry comes back at once.
      this.options.logger.warn({ err, queue: this.#topology.queue }, 'could not republish a bucket event: handing it back to the broker');
      try {
        channel.nack(message, false, verdict.kind !== 'dead');
      } catch {
        // The channel is gone: the broker redelivers the message anyway.
      }
    }
  }

  #log(trigger: ObjectTrigger, outcome: ProcessOutcome): void {
    const fields = { bucket: trigger.bucket, key: trigger.key, outcome: outcome.kind, attempt: trigger.attempt };
    if (outcome.kind === 'decided') this.options.logger.info({ ...fields, status: outcome.result.status, action: outcome.result.action }, 'bucket object handled');
    else if (outcome.kind === 'failed' || outcome.kind === 'unavailable') this.options.logger.warn({ ...fields, err: outcome.error }, 'bucket object not handled');
    else this.options.logger.debug(fields, 'bucket event needed nothing');
  }
}

/** The broker answered, and said no: bad credentials, vhost or declarations (AMQP 403, 404, 406). */
function isRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown; cause?: { code?: unknown } } | null)?.code ?? (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return code === 403 || code === 404 || code === 406 || /ACCESS[-_]REFUSED|NOT_FOUND|PRECONDITION_FAILED/.test(String((err as Error)?.message));
}

/** Of two verdicts on one message's records, the one that must win: dead over retry over ack. */
function worse(a: Verdict, b: Verdict): Verdict {
  const rank = { ack: 0, retry: 1, dead: 2 } as const;
  return rank[b.kind] > rank[a.kind] ? b : a;
}

function copiedProperties(message: ConsumeMessage) {
  const { contentType, contentEncoding, messageId, correlationId, timestamp, type, appId } = message.properties;
  const defined = Object.entries({ contentType, contentEncoding, messageId, correlationId, timestamp, type, appId }).filter(([, v]) => v !== undefined && v !== null);
  return { persistent: true, ...Object.fromEntries(defined) };
}

/** The message's own headers, less the broker's dead-letter history (it grows with every round). */
function carriedHeaders(message: ConsumeMessage): Record<string, unknown> {
  const headers = { ...(message.properties.headers ?? {}) };
  for (const key of Object.keys(headers)) if (key === 'x-death' || key.startsWith('x-first-death') || key.startsWith('x-last-death')) delete headers[key];
  return headers;
}
