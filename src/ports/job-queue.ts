// JobQueue: durable background work (scans, rescans, webhook deliveries) on the metadata
// database. A job is leased to one worker at a time; a worker that dies loses its lease
// when it expires and the job runs again elsewhere, so handlers must be idempotent.
// Adapter: SQL on Kysely (SQLite and PostgreSQL). Every adapter runs
// src/jobs/job-queue.suite.ts.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** queued -> running -> done | queued (retry) | dead. `done` and `dead` are finished. */
export type JobState = 'queued' | 'running' | 'done' | 'dead';
export type FinishedJobState = 'done' | 'dead';

export interface NewJob {
  kind: string;
  payload: JsonValue;
  /**
   * At most one unfinished (queued or running) job holds a given key: enqueueing it again
   * meanwhile returns the existing job. Once that job has finished, the key is free again.
   */
  dedupeKey?: string;
  /** Not claimed before this moment (default: now). */
  runAt?: Date;
  /** Attempts before the job is dead (default: the queue's). At least 1. */
  maxAttempts?: number;
}

export interface EnqueueResult {
  id: string;
  /** True when an unfinished job with the same dedupe key existed; `id` is that job's. */
  deduplicated: boolean;
}

/**
 * Who holds a job, and for which attempt. Every call after claim() names the lease, so a
 * worker whose lease expired (and whose job another worker, or itself, claimed again) is
 * refused rather than finishing someone else's attempt.
 */
export interface JobLease {
  id: string;
  owner: string;
  /** 1 for the first run; counts claims, so a run killed mid-way counts too. */
  attempt: number;
}

export interface ClaimedJob extends JobLease {
  kind: string;
  payload: JsonValue;
  dedupeKey: string | null;
  maxAttempts: number;
  leaseUntil: Date;
}

export interface ClaimOptions {
  /** Only jobs of these kinds. */
  kinds: readonly string[];
  /** Unique per worker process (or pool): `host:pid:random`. */
  owner: string;
  leaseMs: number;
  /** At most this many jobs. */
  limit: number;
}

export interface JobFailure {
  message: string;
  /** False: dead at once, whatever attempts are left (the same input will fail again). */
  retryable: boolean;
}

/** What fail() did: `retrying` (queued again after a backoff), `dead`, or `lost` (not our lease). */
export type FailOutcome = 'retrying' | 'dead' | 'lost';

export interface JobRecord {
  id: string;
  kind: string;
  payload: JsonValue;
  dedupeKey: string | null;
  state: JobState;
  runAt: Date;
  attempts: number;
  maxAttempts: number;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type JobCounts = Record<JobState, number>;

export interface JobStats extends JobCounts {
  byKind: Record<string, JobCounts>;
}

export interface JobFilter {
  state?: JobState;
  kind?: string;
  /** Newest first; default 100. */
  limit?: number;
}

export interface JobQueue {
  enqueue(job: NewJob): Promise<EnqueueResult>;
  /**
   * Leases up to `limit` jobs whose run-at has come and that nobody holds (never leased, or
   * the lease expired). Jobs whose lease expired on their last attempt become dead instead.
   */
  claim(options: ClaimOptions): Promise<ClaimedJob[]>;
  /** Extends a held lease to now + leaseMs. False when the lease is no longer ours. */
  heartbeat(lease: JobLease, leaseMs: number): Promise<boolean>;
  /** Marks the job done. False when the lease is no longer ours (someone else runs it). */
  complete(lease: JobLease): Promise<boolean>;
  /** Retries after a backoff when retryable and attempts are left; dead otherwise. */
  fail(lease: JobLease, failure: JobFailure): Promise<FailOutcome>;
  /**
   * Queues the job again after `delayMs` WITHOUT spending the attempt: the worker could not
   * run it for a reason outside the job (the scanner it needs is down). False when the lease
   * is no longer ours.
   */
  postpone(lease: JobLease, delayMs: number, reason: string): Promise<boolean>;
  /**
   * Queues a dead job again with fresh attempts. False when it is not dead, or an
   * unfinished job with its dedupe key exists already.
   */
  retry(id: string): Promise<boolean>;
  get(id: string): Promise<JobRecord | undefined>;
  /** For an admin view. */
  list(filter?: JobFilter): Promise<JobRecord[]>;
  /** Counts by state and kind, for /metrics and /readyz. */
  stats(): Promise<JobStats>;
  /** Deletes finished jobs (default: `done` only) last updated before `finishedBefore`. */
  prune(options: { finishedBefore: Date; states?: readonly FinishedJobState[] }): Promise<number>;
  /**
   * Calls `listener` after a job is enqueued (or retried) in this process, so local
   * workers claim at once instead of at their next poll. Returns the unsubscribe.
   */
  onEnqueued(listener: (kind: string) => void): () => void;
}
