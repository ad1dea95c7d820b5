// The durable job queue (src/jobs): one table. A dedupe key is unique among unfinished
// jobs only (a partial index), so the same work may be queued again once it has finished.
import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectKind } from '../database.js';
import { columnTypes } from './column-types.js';

export function jobs(dialect: DialectKind): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('jobs')
        .addColumn('id', t.key, (col) => col.primaryKey())
        .addColumn('kind', t.key, (col) => col.notNull())
        .addColumn('payload', t.json, (col) => col.notNull())
        .addColumn('dedupe_key', t.key)
        .addColumn('state', 'text', (col) => col.notNull())
        .addColumn('run_at', t.timestamp, (col) => col.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', t.timestamp)
        .addColumn('attempts', 'integer', (col) => col.notNull())
        .addColumn('max_attempts', 'integer', (col) => col.notNull())
        .addColumn('last_error', 'text')
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addColumn('updated_at', t.timestamp, (col) => col.notNull())
        .addCheckConstraint('jobs_state', sql`state in ('queued', 'running', 'done', 'dead')`)
        .addCheckConstraint('jobs_max_attempts', sql`max_attempts >= 1`)
        .execute();
      await db.schema
        .createIndex('jobs_dedupe_unfinished')
        .on('jobs')
        .column('dedupe_key')
        .unique()
        .where(sql.ref('state'), 'in', ['queued', 'running'])
        .execute();
      // claim(): queued jobs whose run-at has come, and running jobs whose lease expired.
      await db.schema.createIndex('jobs_state_run_at').on('jobs').columns(['state', 'run_at']).execute();
      await db.schema.createIndex('jobs_state_lease_until').on('jobs').columns(['state', 'lease_until']).execute();
      // prune() and the admin listing of finished jobs.
      await db.schema.createIndex('jobs_state_updated_at').on('jobs').columns(['state', 'updated_at']).execute();
    },
  };
}
