// Vulnerabilities (src/metadata/sql-vulnerability-store.ts): which (digest, scanner) pairs a
// vulnerability scan has completed for, what each found, the gates per scope, and the CVE
// allowlist.
// A scan row exists even when the scan found nothing, so "not scanned" and "clean" differ;
// findings hang off their scan row (a foreign key), so there are none without one. As with
// verdicts, no foreign keys to the registry tables: findings belong to the bytes.
import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectKind } from '../database.js';
import { columnTypes } from './column-types.js';

const severityCheck = sql`severity in ('critical', 'high', 'medium', 'low', 'unknown')`;

export function vulnerabilities(dialect: DialectKind): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('vulnerability_scans')
        .addColumn('digest', t.key, (col) => col.notNull())
        .addColumn('scanner', t.key, (col) => col.notNull())
        .addColumn('scanned_at', t.timestamp, (col) => col.notNull())
        .addColumn('finding_count', 'integer', (col) => col.notNull())
        .addPrimaryKeyConstraint('vulnerability_scans_pk', ['digest', 'scanner'])
        .execute();

      await db.schema
        .createTable('vulnerability_findings')
        .addColumn('digest', t.key, (col) => col.notNull())
        .addColumn('scanner', t.key, (col) => col.notNull())
        // The finding's place in the scanner's report: a report may name the same CVE in the
        // same package twice (two copies of a library), so no natural key is unique.
        .addColumn('position', 'integer', (col) => col.notNull())
        .addColumn('cve', t.key, (col) => col.notNull())
        .addColumn('package', 'text', (col) => col.notNull())
        .addColumn('version', 'text', (col) => col.notNull())
        .addColumn('fixed_version', 'text')
        .addColumn('severity', 'text', (col) => col.notNull())
        .addPrimaryKeyConstraint('vulnerability_findings_pk', ['digest', 'scanner', 'position'])
        .addForeignKeyConstraint('vulnerability_findings_scan', ['digest', 'scanner'], 'vulnerability_scans', ['digest', 'scanner'], (fk) =>
          fk.onDelete('cascade'),
        )
        .addCheckConstraint('vulnerability_findings_severity', severityCheck)
        .execute();

      await db.schema
        .createTable('vulnerability_gates')
        .addColumn('scope', t.key, (col) => col.primaryKey())
        .addColumn('severity', 'text', (col) => col.notNull())
        // 0 or 1 on both dialects: better-sqlite3 cannot bind a boolean.
        .addColumn('block_unscanned', 'integer', (col) => col.notNull())
        .addColumn('updated_by', 'text', (col) => col.notNull())
        .addColumn('updated_at', t.timestamp, (col) => col.notNull())
        .addCheckConstraint('vulnerability_gates_severity', sql`severity in ('critical', 'high', 'medium', 'low', 'none')`)
        .addCheckConstraint('vulnerability_gates_block_unscanned', sql`block_unscanned in (0, 1)`)
        .execute();

      await db.schema
        .createTable('cve_allowlist')
        .addColumn('id', t.key, (col) => col.primaryKey())
        .addColumn('cve', t.key, (col) => col.notNull())
        .addColumn('scope_kind', 'text', (col) => col.notNull())
        // The namespace (kind namespace) or the repository (kinds repository and digest).
        .addColumn('scope_name', t.key)
        .addColumn('digest', t.key)
        .addColumn('expires_at', t.timestamp, (col) => col.notNull())
        .addColumn('reason', 'text', (col) => col.notNull())
        .addColumn('author', 'text', (col) => col.notNull())
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addCheckConstraint(
          'cve_allowlist_scope',
          sql`(scope_kind = 'global' and scope_name is null and digest is null)
            or (scope_kind in ('namespace', 'repository') and scope_name is not null and digest is null)
            or (scope_kind = 'digest' and scope_name is not null and digest is not null)`,
        )
        .execute();
      // allowlistFor: the entries naming one namespace or repository.
      await db.schema.createIndex('cve_allowlist_scope_name').on('cve_allowlist').columns(['scope_name', 'scope_kind']).execute();
    },
  };
}
