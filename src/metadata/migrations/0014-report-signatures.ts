// Signed vulnerability reports (src/metadata/sql-vulnerability-report-store.ts,
// src/metadata/sql-report-signing-key-store.ts):
// - each completed report gets the digest of its canonical bytes, its JWS (the statement
//   that binds those bytes to the artifact, signed with a report signing key) and the digest
//   of the OCI referrer that carries it to registry clients, once that is stored;
// - report_signing_keys: Ed25519 keys that sign reports, apart from the registry token keys
//   (signing_keys, 0004) so that no report key can ever sign or verify a registry token. A
//   key retired by a rotation stays published (it verifies the reports it signed) until an
//   admin deletes it;
// - the CVE search looks findings up by id regardless of case (an expression index).
import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectKind } from '../database.js';
import { columnTypes } from './column-types.js';

export function reportSignatures(dialect: DialectKind): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('vulnerability_reports').addColumn('report_digest', t.key).execute();
      await db.schema.alterTable('vulnerability_reports').addColumn('signature', 'text').execute();
      await db.schema.alterTable('vulnerability_reports').addColumn('referrer', t.key).execute();
      // The history of an artifact across scanners, newest first; and "is this a report's referrer".
      await db.schema.createIndex('vulnerability_reports_by_time').on('vulnerability_reports').columns(['digest', 'created_at']).execute();
      await db.schema.createIndex('vulnerability_reports_by_referrer').on('vulnerability_reports').column('referrer').execute();

      await db.schema
        .createTable('report_signing_keys')
        .addColumn('kid', t.key, (col) => col.primaryKey())
        .addColumn('algorithm', 'text', (col) => col.notNull())
        .addColumn('public_jwk', t.json, (col) => col.notNull())
        .addColumn('private_jwk', 'text', (col) => col.notNull())
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addColumn('retired_at', t.timestamp)
        .execute();

      await db.schema.createIndex('vulnerability_findings_by_id').on('vulnerability_findings').expression(sql`upper(cve)`).execute();
    },
  };
}
