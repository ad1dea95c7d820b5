// The scan gate's tables (src/metadata/sql-quarantine-store.ts): a state per digest, the
// verdict cache keyed by (digest, scanner, engine key), and the audit log of admin actions.
// No foreign keys to the registry tables: a state and its verdicts belong to the bytes, and
// outlive the repositories that hold them (the same layer pushed again keeps its verdict).
import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectKind } from '../database.js';
import { columnTypes } from './column-types.js';

export function quarantine(dialect: DialectKind): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('content_states')
        .addColumn('digest', t.key, (col) => col.primaryKey())
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('state', 'text', (col) => col.notNull())
        .addColumn('reason', 'text')
        .addColumn('decided_by', 'text')
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addColumn('updated_at', t.timestamp, (col) => col.notNull())
        .addCheckConstraint('content_states_kind', sql`kind in ('blob', 'manifest')`)
        .addCheckConstraint('content_states_state', sql`state in ('pending', 'clean', 'infected', 'failed')`)
        .execute();
      // The admin listing (one state, paged by digest) and staleClean (every clean digest).
      await db.schema.createIndex('content_states_state_digest').on('content_states').columns(['state', 'digest']).execute();

      await db.schema
        .createTable('verdicts')
        .addColumn('digest', t.key, (col) => col.notNull())
        .addColumn('scanner', t.key, (col) => col.notNull())
        .addColumn('engine', t.key, (col) => col.notNull())
        .addColumn('verdict', 'text', (col) => col.notNull())
        .addColumn('findings', t.json, (col) => col.notNull())
        .addColumn('duration_ms', 'integer', (col) => col.notNull())
        .addColumn('scanned_at', t.timestamp, (col) => col.notNull())
        .addPrimaryKeyConstraint('verdicts_pk', ['digest', 'scanner', 'engine'])
        .addCheckConstraint('verdicts_verdict', sql`verdict in ('clean', 'infected')`)
        .execute();
      // latestVerdicts, and "is there a newer verdict from this scanner" in staleClean.
      await db.schema.createIndex('verdicts_digest_scanner_scanned_at').on('verdicts').columns(['digest', 'scanner', 'scanned_at']).execute();
      // staleClean walks one scanner's verdicts oldest first and stops at its limit.
      await db.schema.createIndex('verdicts_scanner_scanned_at').on('verdicts').columns(['scanner', 'scanned_at', 'digest']).execute();

      await db.schema
        .createTable('quarantine_audit')
        .addColumn('id', t.key, (col) => col.primaryKey())
        .addColumn('digest', t.key, (col) => col.notNull())
        .addColumn('action', 'text', (col) => col.notNull())
        .addColumn('actor', 'text', (col) => col.notNull())
        .addColumn('reason', 'text', (col) => col.notNull())
        .addColumn('at', t.timestamp, (col) => col.notNull())
        .addCheckConstraint('quarantine_audit_action', sql`action in ('release', 'rescan', 'quarantine', 'delete')`)
        .execute();
      // listAudit for one digest, and for all, newest first.
      await db.schema.createIndex('quarantine_audit_digest_at').on('quarantine_audit').columns(['digest', 'at']).execute();
      await db.schema.createIndex('quarantine_audit_at').on('quarantine_audit').column('at').execute();
    },
  };
}
