// The fallback source: list the bucket (ListObjectsV2) every interval and handle each object
// whose current version is not decided yet, as if its event had come. It catches what events
// missed (a notification target that was down, objects from before scanning began). What was
// handled is remembered in the database, so a round over a bucket already scanned costs one
// lookup per page of 1000 keys. A version that keeps failing is given up in this process after
// retry.maxAttempts (its `error` tag stays, and its error result is published once).
import type { Logger } from 'pino';
import { keyAtEtag, type BucketScanStore } from '../ports/bucket-scan-store.js';
import { inParallel } from '../remotes/sync.js';
import type { ObjectProcessor } from './object-processor.js';
import type { BucketObjects } from './s3-objects.js';

export interface PollSourceOptions {
  bucket: string;
  prefix: string;
  intervalMs: number;
  concurrency: number;
  maxAttempts: number;
  objects: BucketObjects;
  store: BucketScanStore;
  processor: ObjectProcessor;
  logger: Logger;
}

export interface PollRound {
  listed: number;
  /** Decided in this round. */
  decided: number;
  failed: number;
  /** The round stopped early: the scanners did not answer. */
  interrupted: boolean;
}

export class PollSource {
  readonly #abort = new AbortController();
  readonly #givenUp = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<unknown> | undefined;
  #stopped = false;

  constructor(private readonly options: PollSourceOptions) {}

  /** Polls now, then every interval (measured from the end of a round). */
  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort.abort(new Error('the bucket watcher is stopping'));
    await this.#round?.catch(() => {});
  }

  /** One pass over the bucket. */
  async pollOnce(): Promise<PollRound> {
    const { bucket, prefix, objects, store, processor } = this.options;
    const round: PollRound = { listed: 0, decided: 0, failed: 0, interrupted: false };
    let token: string | undefined;
    do {
      const page = await objects.list(bucket, prefix, token);
      token = page.next;
      round.listed += page.objects.length;
      const decided = await store.decidedAmong(bucket, page.objects);
      const todo = page.objects.filter((o) => !decided.has(keyAtEtag(o.key, o.etag)) && !this.#givenUp.has(keyAtEtag(o.key, o.etag)));
      await inParallel(todo, this.options.concurrency, async (object) => {
        if (round.interrupted || this.#abort.signal.aborted) return;
        const trigger = { bucket, key: object.key, etag: object.etag, size: object.size };
        const outcome = await processor.process(trigger, this.#abort.signal);
        if (outcome.kind === 'decided') round.decided++;
        if (outcome.kind === 'unavailable') round.interrupted = true;
        if (outcome.kind === 'failed') {
          round.failed++;
          if (!outcome.retryable || outcome.attempt >= this.options.maxAttempts) {
            this.#givenUp.add(keyAtEtag(object.key, object.etag));
            await processor.reportFailure(trigger, outcome);
          }
        }
      });
    } while (token !== undefined && !round.interrupted && !this.#abort.signal.aborted);
    return round;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#round = this.pollOnce().then(
        (round) => {
          if (round.decided + round.failed > 0 || round.interrupted) this.options.logger.info({ bucket: this.options.bucket, ...round }, 'bucket poll round');
        },
        (err: unknown) => {
          if (!this.#abort.signal.aborted) this.options.logger.warn({ err, bucket: this.options.bucket }, 'bucket poll round failed');
        },
      );
      void this.#round.finally(() => this.#schedule(this.options.intervalMs));
    }, delayMs);
  }
}
