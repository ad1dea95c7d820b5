// The JobQueue on the metadata database (Kysely; SQLite and PostgreSQL), one table `jobs`.
//
// Claiming is one UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING. On PostgreSQL the
// inner SELECT takes FOR UPDATE SKIP LOCKED, so concurrent claimers pass over each other's
// rows instead of queueing behind them; on SQLite the claim runs in a BEGIN IMMEDIATE
// transaction (see metadata/database.ts), which serialises writers across processes.
// Before each claim, jobs whose lease lapsed go back to queued (or dead on their last
// attempt), so the claim itself only walks the (state, run_at) index in order.
//
// Time comes from the application's clock (injectable), not the database's: one code path
// on both dialects (SQLite has no millisecond clock worth the name), and tests can move time
// to expire leases and pass backoffs. The cost is that hosts sharing a PostgreSQL database
// must keep their clocks in step (NTP) to well within a lease; leases are tens of seconds.
import { randomUUID } from 'node:crypto';
import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type {
  ClaimedJob,
  ClaimOptions,
  EnqueueResult,
  FailOutcome,
  FinishedJobState,
  JobFailure,
  JobFilter,
  JobLease,
  JobQueue,
  JobRecord,
  JobStats,
  NewJob,
} from '../ports/job-queue.js';
import { dialectOf, type DialectKind } from '../metadata/database.js';
import { encodeTimestamp } from '../metadata/rows.js';
import type { MetadataTables } from '../metadata/schema.js';
import { backoffDelayMs, defaultBackoff, type BackoffOptions } from './backoff.js';
import { decodeClaimedJob, decodeJobRecord, emptyStats, isUniqueViolation, truncateError } from './job-rows.js';

export interface SqlJobQueueOptions {
  /** The clock every timestamp comes from (default: the system clock). */
  clock?: () => Date;
  backoff?: BackoffOptions;
  /** For jobs enqueued without maxAttempts (default 5). */
  defaultMaxAttempts?: number;
}

/** The index predicate of jobs_dedupe_unfinished, as a literal (see the migration). */
const unfinishedPredicate = sql<boolean>`state in ('queued', 'running')`;
const defaultListLimit = 100;

type Jobs = ExpressionBuilder<MetadataTables, 'jobs'>;

export class SqlJobQueue implements JobQueue {
  readonly dialect: DialectKind;
  readonly #db: Kysely<MetadataTables>;
  readonly #clock: () => Date;
  readonly #backoff: BackoffOptions;
  readonly #defaultMaxAttempts: number;
  readonly #listeners = new Set<(kind: string) => void>();

  /** Shares `db` with the metadata store; the caller closes it (the queue never does). */
  constructor(db: Kysely<MetadataTables>, options: SqlJobQueueOptions = {}) {
    this.#db = db;
    this.dialect = dialectOf(db);
    this.#clock = options.clock ?? (() => new Date());
    this.#backoff = options.backoff ?? defaultBackoff;
    this.#defaultMaxAttempts = options.defaultMaxAttempts ?? 5;
  }

  async enqueue(job: NewJob): Promise<EnqueueResult> {
    const maxAttempts = job.maxAttempts ?? this.#defaultMaxAttempts;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, not ${maxAttempts}`);
    const now = this.#clock();
    const row = {
      id: randomUUID(),
      kind: job.kind,
      payload: JSON.stringify(job.payload),
      dedupe_key: job.dedupeKey ?? null,
      state: 'queued' as const,
      run_at: this.#time(job.runAt ?? now),
      attempts: 0,
      max_attempts: maxAttempts,
      created_at: this.#time(now),
      updated_at: this.#time(now),
    };
    // A holder of the key may finish between the INSERT that conflicts and the SELECT that
    // looks for it; then the key is free and the next round inserts.
    for (;;) {
      const inserted = await this.#db
        .insertInto('jobs')
        .values(row)
        .onConflict((oc) => oc.column('dedupe_key').where(unfinishedPredicate).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted) {
        this.#notify(job.kind);
        return { id: inserted.id, deduplicated: false };
      }
      const existing = await this.#db
        .selectFrom('jobs')
        .select('id')
        .where('dedupe_key', '=', row.dedupe_key)
        .where(unfinishedPredicate)
        .executeTakeFirst();
      if (existing) return { id: existing.id, deduplicated: true };
    }
  }

  async claim(options: ClaimOptions): Promise<ClaimedJob[]> {
    if (options.kinds.length === 0 || options.limit < 1) return [];
    const now = this.#clock();
    const rows = await this.#writeBatch(async (db) => {
      await this.#reapExpiredLeases(db, now);
      const due = db
        .selectFrom('jobs')
        .select('id')
        .where('state', '=', 'queued')
        .where('run_at', '<=', this.#time(now))
        .where('kind', 'in', options.kinds)
        // In jobs_state_run_at order: the scan stops after `limit` rows, however long the backlog.
        .orderBy('state')
        .orderBy('run_at')
        .limit(options.limit);
      return db
        .updateTable('jobs')
        .set({
          state: 'running',
          lease_owner: options.owner,
          lease_until: this.#time(new Date(now.getTime() + options.leaseMs)),
          attempts: sql`attempts + 1`,
          updated_at: this.#time(now),
        })
        .where('id', 'in', this.dialect === 'postgres' ? due.forUpdate().skipLocked() : due)
        .returningAll()
        .execute();
    });
    return rows.map(decodeClaimedJob).sort((a, b) => a.runAt - b.runAt).map((claimed) => claimed.job);
  }

  async heartbeat(lease: JobLease, leaseMs: number): Promise<boolean> {
    const now = this.#clock();
    const result = await this.#db
      .updateTable('jobs')
      .set({ lease_until: this.#time(new Date(now.getTime() + leaseMs)), updated_at: this.#time(now) })
      .where((eb) => this.#held(eb, lease))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async complete(lease: JobLease): Promise<boolean> {
    const now = this.#time(this.#clock());
    const result = await this.#db
      .updateTable('jobs')
      .set({ state: 'done', lease_until: null, updated_at: now })
      .where((eb) => this.#held(eb, lease))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async fail(lease: JobLease, failure: JobFailure): Promise<FailOutcome> {
    const now = this.#clock();
    const retryAt = this.#time(new Date(now.getTime() + backoffDelayMs(lease.attempt, this.#backoff)));
    // One statement, so no other writer can come between reading attempts and writing state.
    const attemptsLeft = sql<boolean>`attempts < max_attempts`;
    const row = await this.#db
      .updateTable('jobs')
      .set({
        state: failure.retryable ? sql`case when ${attemptsLeft} then 'queued' else 'dead' end` : 'dead',
        run_at: failure.retryable ? sql`case when ${attemptsLeft} then ${retryAt} else run_at end` : sql`run_at`,
        lease_until: null,
        last_error: truncateError(failure.message),
        updated_at: this.#time(now),
      })
      .where((eb) => this.#held(eb, lease))
      .returning('state')
      .executeTakeFirst();
    if (!row) return 'lost';
    return row.state === 'queued' ? 'retrying' : 'dead';
  }

  async postpone(lease: JobLease, delayMs: number, reason: string): Promise<boolean> {
    const now = this.#clock();
    const result = await this.#db
      .updateTable('jobs')
      .set({
        state: 'queued',
        attempts: sql`attempts - 1`,
        run_at: this.#time(new Date(now.getTime() + delayMs)),
        lease_until: null,
        last_error: truncateError(reason),
        updated_at: this.#time(now),
      })
      .where((eb) => this.#held(eb, lease))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async retry(id: string): Promise<boolean> {
    const now = this.#time(this.#clock());
    let result;
    try {
      result = await this.#db
        .updateTable('jobs')
        .set({ state: 'queued', attempts: 0, run_at: now, lease_until: null, updated_at: now })
        .where('id', '=', id)
        .where('state', '=', 'dead')
        .returning('kind')
        .executeTakeFirst();
    } catch (error) {
      // An unfinished job with the same dedupe key was queued after this one died.
      if (isUniqueViolation(error)) return false;
      throw error;
    }
    if (!result) return false;
    this.#notify(result.kind);
    return true;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const row = await this.#db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && decodeJobRecord(row);
  }

  async list(filter: JobFilter = {}): Promise<JobRecord[]> {
    let query = this.#db.selectFrom('jobs').selectAll();
    if (filter.state !== undefined) query = query.where('state', '=', filter.state);
    if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(filter.limit ?? defaultListLimit)
      .execute();
    return rows.map(decodeJobRecord);
  }

  async stats(): Promise<JobStats> {
    const rows = await this.#db
      .selectFrom('jobs')
      .select(['kind', 'state', (eb) => eb.fn.countAll().as('count')])
      .groupBy(['kind', 'state'])
      .execute();
    const stats = emptyStats();
    for (const row of rows) {
      const count = Number(row.count);
      stats[row.state] += count;
      stats.byKind[row.kind] ??= { queued: 0, running: 0, done: 0, dead: 0 };
      stats.byKind[row.kind]![row.state] += count;
    }
    return stats;
  }

  async prune(options: { finishedBefore: Date; states?: readonly FinishedJobState[] }): Promise<number> {
    const states = options.states ?? ['done'];
    if (states.length === 0) return 0;
    const result = await this.#db
      .deleteFrom('jobs')
      .where('state', 'in', states)
      .where('updated_at', '<', this.#time(options.finishedBefore))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  onEnqueued(listener: (kind: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #held(eb: Jobs, lease: JobLease) {
    return eb.and([
      eb('id', '=', lease.id),
      eb('state', '=', 'running'),
      eb('lease_owner', '=', lease.owner),
      eb('attempts', '=', lease.attempt),
    ]);
  }

  /**
   * Jobs whose lease lapsed (their worker died or hung) are queued again, at their old
   * run-at so they go first; on their last attempt they are dead instead: a job that kills
   * its worker every time must not take down workers for ever.
   */
  async #reapExpiredLeases(db: Kysely<MetadataTables>, now: Date): Promise<void> {
    const time = this.#time(now);
    const expired = db.selectFrom('jobs').select('id').where('state', '=', 'running').where('lease_until', '<=', time);
    await db
      .updateTable('jobs')
      .set({
        state: sql`case when attempts >= max_attempts then 'dead' else 'queued' end`,
        lease_until: null,
        last_error: sql`'lease expired on attempt ' || attempts || ' (held by ' || lease_owner || ')'`,
        updated_at: time,
      })
      .where('id', 'in', this.dialect === 'postgres' ? expired.forUpdate().skipLocked() : expired)
      .execute();
  }

  /**
   * Runs a few writes as one batch. On SQLite in a BEGIN IMMEDIATE transaction, which takes
   * the write lock up front (and waits for it) so that the statements see and change one
   * state. On PostgreSQL each statement is atomic on its own and SKIP LOCKED keeps them
   * safe under concurrency: no transaction, two round trips fewer per claim.
   */
  #writeBatch<T>(writes: (db: Kysely<MetadataTables>) => Promise<T>): Promise<T> {
    return this.dialect === 'sqlite' ? this.#db.transaction().execute(writes) : writes(this.#db);
  }

  #time(moment: Date): Date | number {
    return encodeTimestamp(this.dialect, moment);
  }

  #notify(kind: string): void {
    for (const listener of this.#listeners) {
      try {
        listener(kind);
      } catch {
        // A wake-up is a hint; a listener's failure must not fail the enqueue that committed.
      }
    }
  }
}
