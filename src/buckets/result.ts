// The outcome of handling one bucket object, as it is published (AMQP, the log) and kept with
// the object's record until it has been. `type` names it the way scangate's domain events do,
// so an adapter to the event sink can pass it on as the `bucket.object.scanned` event.
import type { ScanStatus } from './scan-tags.js';

export const bucketObjectScanned = 'bucket.object.scanned';

export interface BucketScanResult {
  type: typeof bucketObjectScanned;
  /** The watcher's name (config `buckets[].name`, default the bucket's). */
  watcher: string;
  bucket: string;
  key: string;
  /** Without quotes. */
  etag: string;
  versionId?: string;
  size: number;
  status: ScanStatus;
  /** What each scanner found; empty unless infected. */
  findings: { scanner: string; signature: string }[];
  /** Who judged it, with which engine and signature database, and whether from the verdict cache. */
  scanners: { name: string; engine: string; cached: boolean }[];
  /** What was done to the object; `none` when it could not be tagged (an error result). */
  action: 'tagged' | 'deleted' | 'quarantined' | 'none';
  /** Where an infected object now is, when moved. */
  quarantine?: { bucket: string; key: string };
  /** Why the object could not be judged (status `error`). */
  error?: string;
  /** Which try this was (1 for the first). */
  attempt: number;
  /** ISO 8601. */
  scannedAt: string;
  /** The process (host:pid:instance) that handled it. */
  worker: string;
}

/** Where results go. The lead's event sink adapter implements this too. */
export interface BucketResultPublisher {
  /** Resolves once the result is safely handed over (e.g. confirmed by the broker). */
  publish(result: BucketScanResult): Promise<void>;
  close(): Promise<void>;
}

/** Whether a result is published: clean ones only with `reportClean`. */
export function isReported(result: Pick<BucketScanResult, 'status'>, reportClean: boolean): boolean {
  return result.status !== 'clean' || reportClean;
}
