// Artifact properties (src/metadata/sql-property-store.ts): name/value pairs set through the
// properties API on an artifact, i.e. a manifest in a repository. A manifest's own OCI
// annotations are not copied here: they are read from the manifest row, and the API shows
// both. Deleting the manifest deletes its properties (ON DELETE CASCADE), so a later push of
// the same digest starts with none.
import type { Kysely, Migration } from 'kysely';
import type { DialectKind } from '../database.js';
import { columnTypes } from './column-types.js';

export function properties(dialect: DialectKind): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('artifact_properties')
        .addColumn('repository', t.key, (col) => col.notNull())
        .addColumn('digest', t.key, (col) => col.notNull())
        .addColumn('name', t.key, (col) => col.notNull())
        .addColumn('value', 'text', (col) => col.notNull())
        .addColumn('updated_by', 'text', (col) => col.notNull())
        .addColumn('updated_at', t.timestamp, (col) => col.notNull())
        .addPrimaryKeyConstraint('artifact_properties_pk', ['repository', 'digest', 'name'])
        .addForeignKeyConstraint('artifact_properties_manifest', ['repository', 'digest'], 'manifests', ['repository', 'digest'], (fk) =>
          fk.onDelete('cascade'),
        )
        .execute();
    },
  };
}
