// Bucket scanning (src/metadata/sql-bucket-scan-store.ts): one row per object version seen,
// (bucket, object key, ETag), with its status, the lease of the worker on it and the result
// to publish, so that events delivered more than once do the work once; and the bucket
// verdict cache, keyed by (content key, scanner, engine key) like the registry's `verdicts`
// but over S3 content keys (`sha256:...` or `etag:...`) rather than digests of stored blobs.
import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectKind } from '../database.js';
import { columnTypes } from './column-types.js';

export function bucketScans(dialect: DialectKind): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('bucket_objects')
        .addColumn('bucket', t.key, (col) => col.notNull())
        .addColumn('object_key', t.key, (col) => col.notNull())
        .addColumn('etag', t.key, (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('attempts', 'integer', (col) => col.notNull())
        .addColumn('failures', 'integer', (col) => col.notNull())
        .addColumn('abandoned', 'integer', (col) => col.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', t.timestamp)
        .addColumn('result', t.json)
        .addColumn('published_at', t.timestamp)
        .addColumn('last_error', 'text')
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addColumn('updated_at', t.timestamp, (col) => col.notNull())
        .addPrimaryKeyConstraint('bucket_objects_pk', ['bucket', 'object_key', 'etag'])
        .addCheckConstraint('bucket_objects_status', sql`status in ('scanning', 'clean', 'infected', 'too-large', 'error')`)
        .execute();

      await db.schema
        .createTable('bucket_verdicts')
        .addColumn('content_key', t.key, (col) => col.notNull())
        .addColumn('scanner', t.key, (col) => col.notNull())
        .addColumn('engine', t.key, (col) => col.notNull())
        .addColumn('verdict', 'text', (col) => col.notNull())
        .addColumn('findings', t.json, (col) => col.notNull())
        .addColumn('duration_ms', 'integer', (col) => col.notNull())
        .addColumn('scanned_at', t.timestamp, (col) => col.notNull())
        .addPrimaryKeyConstraint('bucket_verdicts_pk', ['content_key', 'scanner', 'engine'])
        .addCheckConstraint('bucket_verdicts_verdict', sql`verdict in ('clean', 'infected')`)
        .execute();
    },
  };
}
