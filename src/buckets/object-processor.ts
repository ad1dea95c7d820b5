// Handles one object event, whatever brought it (an AMQP message, POST /buckets/events, the
// poller): find the object's current version, claim it (so that duplicates and concurrent
// workers do it once), judge it (too large, or scanned), act (tag, delete, quarantine),
// record the decision with its result, then publish the result. Each step is safe to repeat:
// a redelivered event for a decided version only publishes a result that was not published
// yet, and an event for an object that is gone, or already overwritten, is about the version
// that is there now (its own event will be a duplicate).
//
// The caller owns the retry policy (AMQP: attempts header and dead letters; HTTP: 503; poll:
// the next round). Every failure here tags the object `error` (never clean) and says whether
// trying again could help.
import type { Logger } from 'pino';
import type { BucketConfig } from '../config/bucket-schema.js';
import { isDecided, type BucketObjectRecord, type BucketScanStore, type DecidedStatus } from '../ports/bucket-scan-store.js';
import { ScannerError, type EngineVersion, type Scanner } from '../ports/scanner.js';
import type { Events } from '../ports/event-sink.js';
import { bucketObjectEvent } from './bucket-event.js';
import type { ObjectActions, TakenAction } from './object-actions.js';
import { bucketObjectScanned, isReported, type BucketResultPublisher, type BucketScanResult } from './result.js';
import { ObjectChangedError, ObjectGoneError, type BucketObjects, type ObjectHead, type ObjectVersion } from './s3-objects.js';
import { currentEngines, scanObject, ScannersUnavailableError } from './scan-object.js';
import { scannerTagText, TooManyTagsError } from './scan-tags.js';

export interface ObjectTrigger {
  bucket: string;
  key: string;
  /** The version the event was about, when it says. */
  etag?: string;
  /** Its size, when the event says (with `etag`, it saves a HeadObject). */
  size?: number;
  /** Its version id, in a versioned bucket. */
  versionId?: string;
  /** Which try of this event this is (1 for the first), when the source counts. */
  attempt?: number;
}

export type ProcessOutcome =
  | { kind: 'decided'; result: BucketScanResult }
  /** Decided before (a redelivery, a second event, the poller after an event). */
  | { kind: 'duplicate' }
  /** No such object: deleted before it was handled, or while. */
  | { kind: 'gone' }
  /** Another worker holds it now. */
  | { kind: 'busy' }
  /** The scanners do not answer: nothing was tried, no attempt spent. */
  | { kind: 'unavailable'; error: Error }
  | { kind: 'failed'; error: Error; retryable: boolean; attempt: number; version?: ObjectVersion & { size: number }; tagged: boolean };

export type FailedOutcome = Extract<ProcessOutcome, { kind: 'failed' }>;

export interface ObjectProcessorDeps {
  watcher: string;
  config: Pick<BucketConfig, 'maxSizeBytes' | 'cacheByEtag' | 'retry'>;
  reportClean: boolean;
  objects: BucketObjects;
  store: BucketScanStore;
  scanners: readonly Scanner[];
  actions: ObjectActions;
  publisher: BucketResultPublisher;
  /** Domain events (`bucket.object.scanned`, for webhooks and the event log); absent: none. */
  events?: Events;
  logger: Logger;
  /** Unique per watcher instance: host:pid:random. */
  owner: string;
  leaseMs?: number;
}

const defaultLeaseMs = 60_000;
/** Overwritten this many times while being handled: give up for now and retry later. */
const maxRounds = 3;

export class ObjectProcessor {
  readonly #leaseMs: number;

  constructor(private readonly deps: ObjectProcessorDeps) {
    // With no scanner every object would pass as clean: never.
    if (deps.scanners.length === 0) throw new Error(`bucket watcher ${deps.watcher}: no scanners`);
    this.#leaseMs = deps.leaseMs ?? defaultLeaseMs;
  }

  get watcher(): string {
    return this.deps.watcher;
  }

  async process(trigger: ObjectTrigger, signal?: AbortSignal): Promise<ProcessOutcome> {
    try {
      return await this.#process(trigger, signal);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      // S3 or the database failed before anything was claimed: nothing to tag or record.
      return { kind: 'failed', error: asError(err), retryable: true, attempt: trigger.attempt ?? 1, tagged: false };
    }
  }

  /** Publishes the `error` result of a failure the caller gives up on (best effort). */
  async reportFailure(trigger: ObjectTrigger, outcome: FailedOutcome): Promise<void> {
    const version = outcome.version;
    const result: BucketScanResult = {
      ...this.#resultBase({ bucket: trigger.bucket, key: trigger.key, etag: version?.etag ?? trigger.etag ?? '', ...(version?.versionId ? { versionId: version.versionId } : {}) }, version?.size ?? 0),
      status: 'error',
      findings: [],
      scanners: [],
      action: outcome.tagged ? 'tagged' : 'none',
      error: outcome.error.message,
      attempt: outcome.attempt,
      scannedAt: new Date().toISOString(),
    };
    this.deps.events?.emit(bucketObjectEvent(result));
    await this.deps.publisher.publish(result).catch((err: unknown) => this.deps.logger.warn({ err, key: trigger.key }, 'could not publish an error result'));
  }

  async #process(trigger: ObjectTrigger, signal?: AbortSignal): Promise<ProcessOutcome> {
    const { store, objects } = this.deps;
    if (trigger.etag !== undefined) {
      const known = await store.get({ bucket: trigger.bucket, key: trigger.key, etag: trigger.etag });
      if (known && isDecided(known.status)) return this.#duplicate(known);
    }
    for (let round = 1; round <= maxRounds; round++) {
      const head = round === 1 ? this.#headFromEvent(trigger) ?? (await objects.head(trigger.bucket, trigger.key)) : await objects.head(trigger.bucket, trigger.key);
      if (!head) return { kind: 'gone' };
      const version: ObjectVersion = { bucket: trigger.bucket, key: trigger.key, etag: head.etag, ...(head.versionId ? { versionId: head.versionId } : {}) };
      let engines: Map<string, EngineVersion>;
      try {
        engines = await currentEngines(this.deps.scanners);
      } catch (err) {
        if (err instanceof ScannersUnavailableError) return { kind: 'unavailable', error: err };
        throw err;
      }
      // After a race a decided version is claimed again: a stale worker's tags may be on it.
      const claim = await store.claim(version, this.deps.owner, this.#leaseMs, { again: round > 1 });
      if (claim.kind === 'decided') return this.#duplicate(claim.record);
      if (claim.kind === 'busy') return { kind: 'busy' };
      const attempt = Math.max(trigger.attempt ?? 1, claim.record.attempts);
      const sized = { ...version, size: head.size };
      if (claim.record.abandoned >= this.deps.config.retry.maxAttempts) {
        const error = new Error(`handling this object stopped ${claim.record.abandoned} times without an outcome (the worker died on it): poison`);
        return this.#fail(sized, error, attempt, false);
      }
      let result: BucketScanResult;
      try {
        result = await this.#withLease(version, () => this.#judgeAndAct(version, head, engines, attempt, signal));
      } catch (err) {
        if (err instanceof ObjectChangedError || err instanceof ObjectGoneError || signal?.aborted) {
          await store.release(version, this.deps.owner);
          if (signal?.aborted) throw signal.reason;
          if (err instanceof ObjectGoneError) return { kind: 'gone' };
          this.deps.logger.info({ key: version.key, etag: version.etag }, 'object overwritten while handled: handling the new version');
          continue;
        }
        return this.#fail(sized, err, attempt, !(err instanceof TooManyTagsError) && !(err instanceof ScannerError && !err.retryable));
      }
      await store.decide(version, this.deps.owner, result.status as DecidedStatus, result);
      this.deps.events?.emit(bucketObjectEvent(result));
      return this.#publishDecided(version, result);
    }
    return { kind: 'failed', error: new Error(`s3://${trigger.bucket}/${trigger.key} was overwritten ${maxRounds} times while handled`), retryable: true, attempt: trigger.attempt ?? 1, tagged: false };
  }

  /**
   * What the event says the object is, when it says enough: its ETag and size (and version).
   * It saves a HeadObject per object; if the event is stale, the GET (refused unless the ETag
   * matches) or the ETag checks around the action find out, and the next round asks S3.
   * Not when ETags are not trusted as content keys: then HeadObject's SHA-256 checksum is wanted.
   */
  #headFromEvent(trigger: ObjectTrigger): ObjectHead | undefined {
    if (trigger.etag === undefined || trigger.size === undefined || !this.deps.config.cacheByEtag) return undefined;
    return { etag: trigger.etag, size: trigger.size, ...(trigger.versionId ? { versionId: trigger.versionId } : {}) };
  }

  async #judgeAndAct(version: ObjectVersion, head: ObjectHead, engines: Map<string, EngineVersion>, attempt: number, signal?: AbortSignal): Promise<BucketScanResult> {
    const { config } = this.deps;
    const scannedAt = new Date();
    const judged =
      head.size > config.maxSizeBytes
        ? undefined
        : await scanObject({ objects: this.deps.objects, store: this.deps.store, scanners: this.deps.scanners, cacheByEtag: config.cacheByEtag }, version, head, engines, signal);
    const status: DecidedStatus = judged ? judged.verdict : 'too-large';
    const scans = judged?.scans ?? [];
    const taken = await this.deps.actions.apply(version, { status, at: scannedAt, scanner: scannerTagText(scans) });
    return {
      ...this.#resultBase(version, head.size),
      status,
      findings: scans.flatMap((s) => s.findings.map((f) => ({ scanner: s.scanner, signature: f.signature }))),
      scanners: scans.map((s) => ({ name: s.scanner, engine: s.engine, cached: s.cached })),
      ...describeAction(taken),
      attempt,
      scannedAt: scannedAt.toISOString(),
    };
  }

  #resultBase(version: ObjectVersion, size: number): Pick<BucketScanResult, 'type' | 'watcher' | 'bucket' | 'key' | 'etag' | 'versionId' | 'size' | 'worker'> {
    return {
      type: bucketObjectScanned,
      watcher: this.deps.watcher,
      bucket: version.bucket,
      key: version.key,
      etag: version.etag,
      ...(version.versionId ? { versionId: version.versionId } : {}),
      size,
      worker: this.deps.owner,
    };
  }

  /** Tags the object `error` (best effort), records the failure, and says whether to retry. */
  async #fail(version: ObjectVersion & { size: number }, err: unknown, attempt: number, retryable: boolean): Promise<FailedOutcome> {
    const error = asError(err);
    this.deps.logger.warn({ key: version.key, etag: version.etag, attempt, retryable, err: error }, 'bucket object could not be judged: tagged error');
    const tagged = await this.deps.actions.tag(version, { status: 'error', at: new Date(), scanner: '' }).then(
      () => true,
      (tagErr: unknown) => (this.deps.logger.warn({ err: tagErr, key: version.key }, 'could not tag the object error'), false),
    );
    await this.deps.store.fail(version, this.deps.owner, error.message);
    return { kind: 'failed', error, retryable, attempt, version, tagged };
  }

  async #publishDecided(version: ObjectVersion, result: BucketScanResult): Promise<ProcessOutcome> {
    try {
      if (isReported(result, this.deps.reportClean)) await this.deps.publisher.publish(result);
      await this.deps.store.markPublished(version);
    } catch (err) {
      // Decided and acted on; only the news is missing. The retry finds it decided and publishes.
      return { kind: 'failed', error: new Error(`publishing the result failed: ${asError(err).message}`, { cause: err }), retryable: true, attempt: result.attempt, tagged: true };
    }
    return { kind: 'decided', result };
  }

  async #duplicate(record: BucketObjectRecord): Promise<ProcessOutcome> {
    if (record.publishedAt === null && record.result !== null) {
      const outcome = await this.#publishDecided(record, record.result as BucketScanResult);
      if (outcome.kind === 'failed') return outcome;
    }
    return { kind: 'duplicate' };
  }

  async #withLease<T>(version: ObjectVersion, work: () => Promise<T>): Promise<T> {
    const renew = setInterval(() => {
      this.deps.store.renew(version, this.deps.owner, this.#leaseMs).catch((err: unknown) => this.deps.logger.warn({ err }, 'could not renew the lease on a bucket object'));
    }, this.#leaseMs / 3);
    renew.unref();
    try {
      return await work();
    } finally {
      clearInterval(renew);
    }
  }
}

function describeAction(taken: TakenAction): Pick<BucketScanResult, 'action' | 'quarantine'> {
  return taken.action === 'quarantined' ? { action: 'quarantined', quarantine: taken.to } : { action: taken.action };
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
