// The registry core: repositories, blob links, upload sessions, manifests, their references
// and tags. Deleting a manifest cascades to its references and the tags that point at it.
import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectKind } from '../database.js';
import { columnTypes } from './column-types.js';

export function registryCore(dialect: DialectKind): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('repositories')
        .addColumn('name', t.key, (col) => col.primaryKey())
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .execute();

      await db.schema
        .createTable('blob_links')
        .addColumn('repository', t.key, (col) => col.notNull().references('repositories.name').onDelete('cascade'))
        .addColumn('digest', t.key, (col) => col.notNull())
        .addColumn('size', t.size, (col) => col.notNull())
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addPrimaryKeyConstraint('blob_links_pk', ['repository', 'digest'])
        .execute();
      // findBlob: is this digest known in any repository?
      await db.schema.createIndex('blob_links_digest').on('blob_links').column('digest').execute();

      await db.schema
        .createTable('upload_sessions')
        .addColumn('id', t.key, (col) => col.primaryKey())
        .addColumn('repository', t.key, (col) => col.notNull())
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .execute();

      await db.schema
        .createTable('manifests')
        .addColumn('repository', t.key, (col) => col.notNull().references('repositories.name').onDelete('cascade'))
        .addColumn('digest', t.key, (col) => col.notNull())
        .addColumn('media_type', 'text', (col) => col.notNull())
        .addColumn('size', t.size, (col) => col.notNull())
        .addColumn('artifact_type', 'text')
        .addColumn('subject', t.key)
        .addColumn('annotations', t.json)
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addPrimaryKeyConstraint('manifests_pk', ['repository', 'digest'])
        .execute();
      await db.schema.createIndex('manifests_referrers').on('manifests').columns(['repository', 'subject']).execute();
      await db.schema.createIndex('manifests_digest').on('manifests').column('digest').execute();

      await db.schema
        .createTable('manifest_references')
        .addColumn('repository', t.key, (col) => col.notNull())
        .addColumn('manifest_digest', t.key, (col) => col.notNull())
        .addColumn('referenced_digest', t.key, (col) => col.notNull())
        .addColumn('kind', 'text', (col) => col.notNull())
        .addPrimaryKeyConstraint('manifest_references_pk', ['repository', 'manifest_digest', 'referenced_digest'])
        .addForeignKeyConstraint('manifest_references_manifest', ['repository', 'manifest_digest'], 'manifests', ['repository', 'digest'], (fk) =>
          fk.onDelete('cascade'),
        )
        .addCheckConstraint('manifest_references_kind', sql`kind in ('blob', 'manifest')`)
        .execute();
      // Garbage collection and fsck: which manifests still reference this digest?
      await db.schema.createIndex('manifest_references_referenced').on('manifest_references').column('referenced_digest').execute();

      await db.schema
        .createTable('tags')
        .addColumn('repository', t.key, (col) => col.notNull())
        .addColumn('tag', t.key, (col) => col.notNull())
        .addColumn('digest', t.key, (col) => col.notNull())
        .addColumn('updated_at', t.timestamp, (col) => col.notNull())
        .addPrimaryKeyConstraint('tags_pk', ['repository', 'tag'])
        .addForeignKeyConstraint('tags_manifest', ['repository', 'digest'], 'manifests', ['repository', 'digest'], (fk) => fk.onDelete('cascade'))
        .execute();
      // The cascade from manifests, and "which tags point at this digest".
      await db.schema.createIndex('tags_digest').on('tags').columns(['repository', 'digest']).execute();
    },
  };
}
