// BucketScanStore: what bucket scanning remembers (src/buckets/). One record per object
// version, (bucket, key, ETag), so that a redelivered event, a second event for the same
// upload, or the poller's next round does the work once; and the bucket verdict cache, keyed
// by (content key, scanner, engine key), so the same bytes are not scanned twice for the same
// signature database. Adapter: SQL (src/metadata/sql-bucket-scan-store.ts); every adapter runs
// src/metadata/bucket-scan-store.suite.ts.
import type { VerdictRecord } from './quarantine-store.js';

/** One version of one object: S3 names a version of an unversioned key by its ETag. */
export interface ObjectVersionRef {
  bucket: string;
  key: string;
  /** Without quotes. */
  etag: string;
}

/**
 * scanning  -> claimed, no outcome yet (or its worker died: see `abandoned`);
 * clean, infected, too-large -> decided: events for this version change nothing any more;
 * error     -> the last try failed; the next event (a retry, the poller) tries again.
 */
export type BucketObjectStatus = 'scanning' | 'clean' | 'infected' | 'too-large' | 'error';
export type DecidedStatus = 'clean' | 'infected' | 'too-large';

export const decidedStatuses: readonly BucketObjectStatus[] = ['clean', 'infected', 'too-large'];
export const isDecided = (status: BucketObjectStatus): status is DecidedStatus => decidedStatuses.includes(status);

export interface BucketObjectRecord extends ObjectVersionRef {
  status: BucketObjectStatus;
  /** Claims so far (each start of work on this version). */
  attempts: number;
  /** Tries that failed with an error this process caught. */
  failures: number;
  /** Claims whose holder vanished (killed, crashed) with the lease still on: poison if it keeps happening. */
  abandoned: number;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  /** What was published (or is to be) about the outcome, as given to finish(). */
  result: unknown;
  /** When the result was published; null while it still has to be. */
  publishedAt: Date | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type ClaimOutcome =
  /** This owner holds the version until `leaseMs` from now (renew() extends it). */
  | { kind: 'claimed'; record: BucketObjectRecord }
  /** Decided already: nothing to do (publish the result if it is not yet). */
  | { kind: 'decided'; record: BucketObjectRecord }
  /** Another owner holds a live lease on it. */
  | { kind: 'busy'; record: BucketObjectRecord };

export interface ClaimOptions {
  /** Claim a decided version too (its tags may have been overwritten by a stale worker's). */
  again?: boolean;
}

/** One scan's outcome in the bucket verdict cache: as the registry's, keyed by content key. */
export type BucketVerdictRecord = Omit<VerdictRecord, 'digest'> & {
  /** `sha256:<hex>` when the object's checksum gives it, else `etag:<etag>`. */
  contentKey: string;
};

export interface BucketScanStore {
  get(ref: ObjectVersionRef): Promise<BucketObjectRecord | undefined>;
  /**
   * Starts work on a version unless it is decided or someone else holds it. Safe under
   * concurrency: of two claimers at once, one gets `claimed`. A claim that finds an expired
   * lease counts the previous holder as `abandoned`.
   */
  claim(ref: ObjectVersionRef, owner: string, leaseMs: number, options?: ClaimOptions): Promise<ClaimOutcome>;
  /** Extends the owner's lease; false when the owner no longer holds it. */
  renew(ref: ObjectVersionRef, owner: string, leaseMs: number): Promise<boolean>;
  /** Records the decision and its result, and ends the lease. */
  decide(ref: ObjectVersionRef, owner: string, status: DecidedStatus, result: unknown): Promise<void>;
  /** Records a failed try (status `error`, failures + 1) and ends the lease. */
  fail(ref: ObjectVersionRef, owner: string, error: string): Promise<void>;
  /** Ends the lease without an outcome (stopped, or the object changed under the scan). */
  release(ref: ObjectVersionRef, owner: string): Promise<void>;
  /** Marks the result of a decided version as published. */
  markPublished(ref: ObjectVersionRef): Promise<void>;
  /** Which of these keys of one bucket are decided at exactly the given ETag (the poller's question). */
  decidedAmong(bucket: string, objects: readonly { key: string; etag: string }[]): Promise<Set<string>>;

  recordVerdict(verdict: BucketVerdictRecord): Promise<void>;
  /** The cached verdict for exactly this content, scanner and engine key. */
  findVerdict(contentKey: string, scanner: string, engine: string): Promise<BucketVerdictRecord | undefined>;
}

/** The key decidedAmong() returns for one object. */
export const keyAtEtag = (key: string, etag: string): string => `${etag}\u0000${key}`;
