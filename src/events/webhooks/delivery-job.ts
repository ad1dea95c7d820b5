// The `webhook-delivery` job: one attempt at one delivery (an event for a subscription). The
// delivery row is the state machine; the job is its durable timer. An attempt is counted before
// the POST, so a process killed mid-POST has spent it; the lease lapses and the job runs again
// elsewhere (or after a restart) as the next attempt, with the same webhook-id.
//
// A failure to retry postpones the job (the queue's attempts are not spent: the delivery
// counts its own, by the schedule in retry-schedule.ts); a delivery out of attempts, or
// answered 410, is dead and its job done. Idempotent: a delivery no longer pending is not sent.
import type { Logger } from 'pino';
import type { ClaimedJob, JsonValue, NewJob } from '../../ports/job-queue.js';
import type { Delivery, DeliveryAttempt, Subscription, WebhookStore } from '../../ports/webhook-store.js';
import type { Sender, SendResult } from './http-sender.js';
import { renderPayload } from './payloads.js';
import { isDelivered, isRetryable, retryDelayMs, type RetrySchedule } from './retry-schedule.js';
import { signedHeaders, signingSecrets } from './signing.js';

export const deliveryJobKind = 'webhook-delivery';

/**
 * Claims a delivery job may take before it is dead: claims that did not end in an attempt
 * recorded (the process died, the database failed). Its attempts proper are the delivery's.
 */
const jobClaims = 20;

export function deliveryJob(deliveryId: string, runAt?: Date): NewJob {
  return { kind: deliveryJobKind, payload: { delivery: deliveryId }, dedupeKey: `webhook:${deliveryId}`, maxAttempts: jobClaims, ...(runAt ? { runAt } : {}) };
}

export interface DeliveryJobDeps {
  store: WebhookStore;
  send: Sender;
  retry: RetrySchedule;
  timeoutMs: number;
  publicUrl: string;
  logger: Pick<Logger, 'info' | 'warn'>;
  clock?: () => Date;
  random?: () => number;
  /** Told each attempt's outcome and how long its POST took (metrics). */
  observe?: (subscription: string, outcome: DeliveryAttempt['outcome'], seconds: number) => void;
}

/** What the pool reads from a thrown error: queued again after `postponeMs`, no queue attempt spent. */
function postponed(message: string, ms: number): Error {
  return Object.assign(new Error(message), { postponeMs: ms });
}

export function deliveryJobHandler(deps: DeliveryJobDeps) {
  const clock = deps.clock ?? (() => new Date());
  return async (job: ClaimedJob, signal: AbortSignal): Promise<void> => {
    const id = parsePayload(job.payload);
    const delivery = await deps.store.getDelivery(id);
    if (!delivery || delivery.state !== 'pending') return;
    const subscription = await deps.store.getSubscription(delivery.subscription);
    if (!subscription) return;
    const started = await deps.store.startAttempt(id, clock());
    if (!started) return;
    const attempt = await attemptOnce(deps, clock, started, subscription, signal);
    const final = attempt.outcome !== 'retrying';
    const nextAttemptAt = final ? null : new Date(attempt.startedAt.getTime() + attempt.delayMs);
    const recorded = await deps.store.finishAttempt(attempt.record, { lastError: attempt.record.error, nextAttemptAt });
    // Replayed while this attempt ran (the replay's job was folded into this one): run its round.
    if (!recorded) throw postponed('replayed during an attempt: starting the new round', 0);
    logAttempt(deps, started, subscription, attempt.record, attempt.delayMs);
    deps.observe?.(subscription.name, attempt.outcome, attempt.record.durationMs / 1000);
    if (!final) throw postponed(`attempt ${started.attempts} failed: ${attempt.record.error}`, attempt.delayMs);
  };
}

interface AttemptOutcome {
  outcome: DeliveryAttempt['outcome'];
  record: DeliveryAttempt;
  startedAt: Date;
  delayMs: number;
}

/** Sends (unless there is nothing it may send) and decides the outcome; records nothing. */
async function attemptOnce(deps: DeliveryJobDeps, clock: () => Date, delivery: Delivery, subscription: Subscription, signal: AbortSignal): Promise<AttemptOutcome> {
  const startedAt = clock();
  const refuse = (error: string): AttemptOutcome => {
    const record = attemptRecord(delivery, startedAt, 'dead', { result: { error }, durationMs: 0, snippet: null });
    return { outcome: 'dead', record, startedAt, delayMs: 0 };
  };
  // Attempts counted but never recorded: the process died during them.
  if (delivery.attempts > deps.retry.maxAttempts) return refuse(`no attempts left (${deps.retry.maxAttempts}; the process stopped during the last)`);
  if (!subscription.enabled) return refuse('the subscription is disabled (replay the delivery once it is enabled)');
  const event = await deps.store.getEvent(delivery.eventId);
  if (!event) return refuse('the event is no longer stored');
  const { body, contentType } = renderPayload(event, { format: subscription.format, payload: subscription.payload, publicUrl: deps.publicUrl });
  const headers = { 'content-type': contentType, ...signedHeaders(event.id, startedAt, body, signingSecrets(subscription, startedAt)) };
  const sent = await deps.send(subscription.url, headers, body, deps.timeoutMs, signal);
  if (isDelivered(sent.result)) return { outcome: 'delivered', record: attemptRecord(delivery, startedAt, 'delivered', sent), startedAt, delayMs: 0 };
  const retry = isRetryable(sent.result) && delivery.attempts < deps.retry.maxAttempts;
  const outcome = retry ? 'retrying' : 'dead';
  const delayMs = retry ? retryDelayMs(delivery.attempts, deps.retry, sent.result, startedAt, deps.random) : 0;
  return { outcome, record: attemptRecord(delivery, startedAt, outcome, sent), startedAt, delayMs };
}

function attemptRecord(delivery: Delivery, startedAt: Date, outcome: DeliveryAttempt['outcome'], sent: SendResult): DeliveryAttempt {
  const { result } = sent;
  const status = 'status' in result ? result.status : null;
  const error = 'error' in result ? result.error : status !== null && (status < 200 || status >= 300) ? `HTTP ${status}` : null;
  return {
    deliveryId: delivery.id,
    replay: delivery.replays,
    attempt: delivery.attempts,
    startedAt,
    durationMs: sent.durationMs,
    statusCode: status,
    error,
    responseSnippet: sent.snippet,
    outcome,
  };
}

function logAttempt(deps: DeliveryJobDeps, delivery: Delivery, subscription: Subscription, record: DeliveryAttempt, delayMs: number): void {
  const details = { subscription: subscription.name, delivery: delivery.id, event: delivery.eventId, type: delivery.eventType, attempt: record.attempt, status: record.statusCode, durationMs: Math.round(record.durationMs) };
  if (record.outcome === 'delivered') deps.logger.info(details, 'webhook delivered');
  else if (record.outcome === 'dead') deps.logger.warn({ ...details, error: record.error }, 'webhook delivery is dead (no more attempts; it can be replayed)');
  else deps.logger.warn({ ...details, error: record.error, retryInMs: delayMs }, 'webhook delivery failed; will retry');
}

function parsePayload(payload: JsonValue): string {
  const id = (payload as { delivery?: unknown } | null)?.delivery;
  if (typeof id !== 'string') throw Object.assign(new Error(`malformed webhook-delivery job payload: ${JSON.stringify(payload)}`), { retryable: false });
  return id;
}
