// When remotes' tags and files were last found current upstream (src/metadata/
// sql-upstream-check-store.ts), so a restart does not re-check each of them at once. One row
// per (remote, kind, subject), replaced on every check.
import type { Kysely, Migration } from 'kysely';
import type { DialectKind } from '../database.js';
import { columnTypes } from './column-types.js';

export function upstreamChecks(dialect: DialectKind): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('upstream_checks')
        .addColumn('remote', t.key, (col) => col.notNull())
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('subject', t.key, (col) => col.notNull())
        .addColumn('fingerprint', 'text', (col) => col.notNull())
        .addColumn('checked_at', t.timestamp, (col) => col.notNull())
        .addColumn('etag', 'text')
        .addColumn('last_modified', 'text')
        .addPrimaryKeyConstraint('upstream_checks_pk', ['remote', 'kind', 'subject'])
        .execute();
    },
  };
}
