// Turning `jobs` rows into the port's records, the same on both dialects (timestamps are
// Date on PostgreSQL and epoch milliseconds on SQLite; see metadata/rows.ts).
import type { Selectable } from 'kysely';
import type { ClaimedJob, JobRecord, JobStats, JsonValue } from '../ports/job-queue.js';
import { decodeTimestamp } from '../metadata/rows.js';
import type { JobsTable } from '../metadata/schema.js';

export type JobRow = Selectable<JobsTable>;

/** last_error keeps the start of a message: enough to diagnose, bounded in the table. */
const maxErrorLength = 4_000;

export function decodeJobRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    payload: JSON.parse(row.payload) as JsonValue,
    dedupeKey: row.dedupe_key,
    state: row.state,
    runAt: decodeTimestamp(row.run_at),
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until === null ? null : decodeTimestamp(row.lease_until),
    lastError: row.last_error,
    createdAt: decodeTimestamp(row.created_at),
    updatedAt: decodeTimestamp(row.updated_at),
  };
}

/** A freshly claimed row, with its run-at (ms) so a batch can be handed out oldest first. */
export function decodeClaimedJob(row: JobRow): { job: ClaimedJob; runAt: number } {
  const record = decodeJobRecord(row);
  if (record.leaseOwner === null || record.leaseUntil === null) throw new Error(`claimed job ${row.id} has no lease`);
  return {
    job: {
      id: record.id,
      owner: record.leaseOwner,
      attempt: record.attempts,
      kind: record.kind,
      payload: record.payload,
      dedupeKey: record.dedupeKey,
      maxAttempts: record.maxAttempts,
      leaseUntil: record.leaseUntil,
    },
    runAt: record.runAt.getTime(),
  };
}

export function emptyStats(): JobStats {
  return { queued: 0, running: 0, done: 0, dead: 0, byKind: {} };
}

export function truncateError(message: string): string {
  return message.length <= maxErrorLength ? message : `${message.slice(0, maxErrorLength - 1)}…`;
}

/** A unique index refused the row: PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
