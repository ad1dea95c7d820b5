// Remotes made through the admin API (src/metadata/sql-remote-store.ts): one row per remote,
// its definition as the JSON of a `remotes:` config entry, and the upstream password given
// to the API (stored as given; the API never returns it). Every server sharing the database
// reads this table (at most every few seconds, or on a miss), so all mirror the same remotes.
import type { Kysely, Migration } from 'kysely';
import type { DialectKind } from '../database.js';
import { columnTypes } from './column-types.js';

export function remotes(dialect: DialectKind): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('remotes')
        .addColumn('name', t.key, (col) => col.primaryKey())
        .addColumn('definition', t.json, (col) => col.notNull())
        .addColumn('password', 'text')
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addColumn('updated_at', t.timestamp, (col) => col.notNull())
        .addColumn('updated_by', 'text', (col) => col.notNull())
        .execute();
    },
  };
}
