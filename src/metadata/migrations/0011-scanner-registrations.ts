// Harbor scanner adapter registrations (src/metadata/sql-scanner-registration-store.ts): one
// row per scanner, of the admin API or recorded from the config file (`source`), its definition
// as the JSON of a `vulnerabilityScanners:` entry without its inline secret, which has a column
// of its own (never shown by the API). The default and enabled flags are columns, so that making
// one scanner the default is one UPDATE and a unique index keeps it one. And the scanners each
// namespace chose through the API. Every process sharing the database re-reads these tables
// every few seconds, so all scan with the same adapters.
import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectKind } from '../database.js';
import { columnTypes } from './column-types.js';

export function scannerRegistrations(dialect: DialectKind): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('vulnerability_scanners')
        .addColumn('name', t.key, (col) => col.primaryKey())
        .addColumn('definition', t.json, (col) => col.notNull())
        .addColumn('secret', 'text')
        // 0 or 1 on both dialects: better-sqlite3 cannot bind a boolean.
        .addColumn('is_default', 'integer', (col) => col.notNull())
        .addColumn('enabled', 'integer', (col) => col.notNull())
        .addColumn('source', 'text', (col) => col.notNull())
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addColumn('updated_at', t.timestamp, (col) => col.notNull())
        .addColumn('updated_by', 'text', (col) => col.notNull())
        .addCheckConstraint('vulnerability_scanners_flags', sql`is_default in (0, 1) and enabled in (0, 1)`)
        .addCheckConstraint('vulnerability_scanners_source', sql`source in ('config', 'api')`)
        .execute();
      // At most one default: two admins setting it at once cannot both win.
      await db.schema
        .createIndex('vulnerability_scanners_one_default')
        .on('vulnerability_scanners')
        .column('is_default')
        .unique()
        .where(sql.ref('is_default'), '=', 1)
        .execute();

      await db.schema
        .createTable('vulnerability_scanner_namespaces')
        .addColumn('namespace', t.key, (col) => col.primaryKey())
        // JSON array of scanner names.
        .addColumn('scanners', t.json, (col) => col.notNull())
        .addColumn('updated_at', t.timestamp, (col) => col.notNull())
        .addColumn('updated_by', 'text', (col) => col.notNull())
        .execute();
    },
  };
}
