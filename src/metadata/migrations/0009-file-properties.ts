// File properties (src/metadata/sql-property-store.ts): name/value pairs set through the
// properties API on a file entry, addressed by (repository, path) as the entry is.
//
// They belong to the entry, not to its bytes: deleting the entry deletes them (ON DELETE
// CASCADE, so a later upload at the path starts bare), but an upload over it keeps them
// (FileStore.put updates the row in place, which fires no cascade). A restriction such as
// a billing code must not vanish because someone who may push re-uploads the file.
import type { Kysely, Migration } from 'kysely';
import type { DialectKind } from '../database.js';
import { columnTypes } from './column-types.js';

export function fileProperties(dialect: DialectKind): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('file_properties')
        .addColumn('repository', t.key, (col) => col.notNull())
        .addColumn('path', t.key, (col) => col.notNull())
        .addColumn('name', t.key, (col) => col.notNull())
        .addColumn('value', 'text', (col) => col.notNull())
        .addColumn('updated_by', 'text', (col) => col.notNull())
        .addColumn('updated_at', t.timestamp, (col) => col.notNull())
        .addPrimaryKeyConstraint('file_properties_pk', ['repository', 'path', 'name'])
        .addForeignKeyConstraint('file_properties_file', ['repository', 'path'], 'files', ['repository', 'path'], (fk) => fk.onDelete('cascade'))
        .execute();
    },
  };
}
