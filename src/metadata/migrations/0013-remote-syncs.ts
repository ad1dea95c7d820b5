// Syncs of remotes asked for through the admin API (src/metadata/sql-remote-sync-store.ts):
// their state and progress, written by the process that runs the sync job and read by any.
// `active_remote` is the remote's name while the sync is unfinished and null after: its
// unique index lets one unfinished sync per remote exist (nulls are distinct on both dialects).
import type { Kysely, Migration } from 'kysely';
import type { DialectKind } from '../database.js';
import { columnTypes } from './column-types.js';

export function remoteSyncs(dialect: DialectKind): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('remote_syncs')
        .addColumn('id', t.key, (col) => col.primaryKey())
        .addColumn('remote', t.key, (col) => col.notNull())
        .addColumn('active_remote', t.key)
        .addColumn('selection', t.json, (col) => col.notNull())
        .addColumn('state', 'text', (col) => col.notNull())
        .addColumn('requested_by', 'text', (col) => col.notNull())
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addColumn('started_at', t.timestamp)
        .addColumn('finished_at', t.timestamp)
        .addColumn('updated_at', t.timestamp, (col) => col.notNull())
        .addColumn('attempts', 'integer', (col) => col.notNull())
        .addColumn('items_total', 'integer', (col) => col.notNull())
        .addColumn('items_done', 'integer', (col) => col.notNull())
        .addColumn('items_failed', 'integer', (col) => col.notNull())
        .addColumn('bytes_total', t.size, (col) => col.notNull())
        .addColumn('bytes_done', t.size, (col) => col.notNull())
        .addColumn('current_item', 'text')
        .addColumn('outcomes', t.json, (col) => col.notNull())
        .addColumn('problems', t.json, (col) => col.notNull())
        .addColumn('error', 'text')
        .addColumn('job_id', 'text')
        .execute();
      await db.schema.createIndex('remote_syncs_active').on('remote_syncs').column('active_remote').unique().execute();
      await db.schema.createIndex('remote_syncs_by_remote').on('remote_syncs').columns(['remote', 'created_at']).execute();
    },
  };
}
