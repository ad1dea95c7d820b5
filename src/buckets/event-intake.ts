// S3 event notifications pushed over HTTP (MinIO's webhook target, or anything that can POST
// the same JSON) to POST /buckets/events in `serve`. Each record is handled before the answer,
// so a 200 means "acted on": at-least-once rests on the sender retrying until it gets one
// (MinIO does, with its queue_dir). A record that cannot be handled yet (scanner down, S3
// error) answers 503 with Retry-After; one that failed for good is tagged `error`, its error
// result published, and counted as handled.
//
// A bucket's `webhook.token`, when set, must come as `Authorization: Bearer TOKEN` (MinIO's
// auth_token; a bare token is accepted too, as older MinIO versions send it that way).
import { timingSafeEqual } from 'node:crypto';
import { RegistryError } from '../domain/errors.js';
import type { ObjectProcessor, ProcessOutcome } from './object-processor.js';
import { parseNotification, triggerOf } from './s3-events.js';

export interface WebhookTarget {
  processor: ObjectProcessor;
  token?: string;
  maxAttempts: number;
}

export interface IntakeAnswer {
  handled: { bucket: string; key: string; outcome: ProcessOutcome['kind']; status?: string }[];
  ignored: string[];
}

const retryAfterSeconds = 30;
const challenge = 'Bearer realm="scangate-bucket-events"';

export class BucketEventIntake {
  /** Targets by S3 bucket name. */
  constructor(private readonly targets: ReadonlyMap<string, WebhookTarget>) {}

  async accept(body: unknown, authorization: string | undefined): Promise<IntakeAnswer> {
    const presented = presentedToken(authorization);
    const tokens = [...this.targets.values()].flatMap((t) => (t.token ? [t.token] : []));
    // Before reading the body: a caller with no token any bucket knows learns nothing of it.
    if (tokens.length > 0 && tokens.length === this.targets.size && !tokens.some((t) => sameToken(t, presented))) throw unauthorized();
    const notification = parseNotification(body);
    if (notification.kind === 'invalid') throw new RegistryError('UNSUPPORTED', `invalid body: ${notification.reason}`, { status: 400, detail: notification.reason });
    if (notification.kind === 'test') return { handled: [], ignored: ['s3:TestEvent'] };
    for (const event of notification.created) this.#authorize(event.bucket, presented);
    const answer: IntakeAnswer = { handled: [], ignored: notification.ignored };
    let retryLater: Error | undefined;
    for (const event of notification.created) {
      const target = this.targets.get(event.bucket)!;
      const trigger = triggerOf(event);
      const outcome = await target.processor.process(trigger);
      if (outcome.kind === 'unavailable' || (outcome.kind === 'failed' && outcome.retryable && outcome.attempt < target.maxAttempts)) {
        retryLater ??= outcome.error;
      } else if (outcome.kind === 'failed') {
        await target.processor.reportFailure(trigger, outcome);
      }
      answer.handled.push({ bucket: event.bucket, key: event.key, outcome: outcome.kind, ...(outcome.kind === 'decided' ? { status: outcome.result.status } : {}) });
    }
    if (retryLater) {
      throw new RegistryError('UNAVAILABLE', `not every object could be handled yet: ${retryLater.message}`, {
        headers: { 'Retry-After': String(retryAfterSeconds) },
        detail: answer,
      });
    }
    return answer;
  }

  #authorize(bucket: string, presented: string): void {
    const target = this.targets.get(bucket);
    if (!target) throw new RegistryError('UNSUPPORTED', `no bucket watcher takes webhook events for bucket ${bucket}`, { status: 400, detail: { bucket } });
    if (target.token && !sameToken(target.token, presented)) {
      if (presented === '') throw unauthorized();
      throw new RegistryError('DENIED', `the token is not bucket ${bucket}'s webhook token`, { detail: { bucket } });
    }
  }
}

function unauthorized(): RegistryError {
  return new RegistryError('UNAUTHORIZED', "bucket events need the bucket's webhook token: Authorization: Bearer TOKEN", { headers: { 'WWW-Authenticate': challenge } });
}

function presentedToken(authorization: string | undefined): string {
  if (!authorization) return '';
  return authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : authorization.trim();
}

function sameToken(expected: string, presented: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
