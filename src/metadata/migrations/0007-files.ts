// The file store's entries (src/metadata/sql-file-store.ts): one row per (repository, path),
// naming the blob that holds the bytes. No foreign keys to the registry tables: a file is
// not a blob link (the OCI API must not see files as blobs of the repository), and its
// bytes are the blob store's, kept while any entry names their digest.
//
// `file_uploads`: uploads whose scan is being waited for, before their entry is written (it
// is written only once the content is not refused). The quarantine counts their repository
// among those holding the digest, so the repository's scanner requirements apply from the
// first verdict on.
import type { Kysely, Migration } from 'kysely';
import type { DialectKind } from '../database.js';
import { columnTypes } from './column-types.js';

export function files(dialect: DialectKind): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('files')
        .addColumn('repository', t.key, (col) => col.notNull())
        // `key` (byte order on both dialects): listings page by path with `last`.
        .addColumn('path', t.key, (col) => col.notNull())
        .addColumn('digest', t.key, (col) => col.notNull())
        .addColumn('size', t.size, (col) => col.notNull())
        .addColumn('media_type', 'text', (col) => col.notNull())
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addPrimaryKeyConstraint('files_pk', ['repository', 'path'])
        .execute();
      // digestsInUse (garbage collection): which digests some entry holds.
      await db.schema.createIndex('files_digest').on('files').column('digest').execute();

      await db.schema
        .createTable('file_uploads')
        .addColumn('id', t.key, (col) => col.primaryKey())
        .addColumn('repository', t.key, (col) => col.notNull())
        .addColumn('digest', t.key, (col) => col.notNull())
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .execute();
      // repositoriesHolding (the quarantine's scanner requirements) looks uploads up by digest.
      await db.schema.createIndex('file_uploads_digest').on('file_uploads').column('digest').execute();
    },
  };
}
